//! How much one claim may take: the ramp from a small first claim to full-size ones while a
//! backlog drains, and the room left under the campaign's daily cap on new leads (counted by
//! the store, tallied locally between counts).

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::CampaignActor;
use crate::actors::job::CampaignPlan;
use crate::store::StoreError;

/// The first claim of a drain takes at most this many rows; each full claim doubles the next
/// one, up to `dispatch.max_claim_batch`. A claim of 2,000 rows takes about 150-250 ms on
/// PostgreSQL, and nothing of it is sent before it returns and is generated: starting small
/// puts the first messages on the wire within a few tens of milliseconds of a wake-up, and a
/// backlog still reaches full-size claims after a handful of them.
const FIRST_CLAIM_ROWS: u32 = 128;

/// The size of the next claim of a drain: small first, doubling while claims come back full.
#[derive(Clone, Copy, Debug)]
pub(super) struct ClaimRamp(u32);

impl ClaimRamp {
    pub(super) fn start(max: u32) -> Self {
        Self(FIRST_CLAIM_ROWS.min(max).max(1))
    }

    pub(super) fn limit(self) -> u32 {
        self.0
    }

    /// A claim came back full: the next may be twice as large, up to `max`.
    pub(super) fn grow(&mut self, max: u32) {
        self.0 = self.0.saturating_mul(2).min(max.max(1));
    }
}

/// How often a campaign at its daily new-lead cap asks the store again.
const NEW_LEAD_RECOUNT_EVERY: Duration = Duration::from_secs(2);

/// Step-1 leads claimed today, as last counted by the store plus this actor's claims since.
#[derive(Clone, Copy)]
pub(super) struct NewLeadTally {
    day: chrono::NaiveDate,
    pub(super) count: u32,
    read_at: std::time::Instant,
}

impl CampaignActor {
    /// Step-1 leads this claim may take under the campaign's daily cap on new leads.
    pub(super) async fn new_lead_budget(
        &mut self,
        plan: &CampaignPlan,
        now: DateTime<Utc>,
    ) -> Result<u32, StoreError> {
        let Some(cap) = plan.campaign.rules.daily_new_leads_cap else {
            return Ok(u32::MAX);
        };
        let today = now.with_timezone(&plan.timezone).date_naive();
        // The local tally counts this actor's claims; it is refreshed from the store (which
        // counts live claims, sends in flight and sent ones) at a new day and whenever it says
        // the cap is reached, so claims released without sending (backpressure, a mailbox
        // that is not sending yet) give their place back instead of idling the day away.
        let fresh = match self.new_today {
            Some(t) if t.day == today => {
                t.count < cap || t.read_at.elapsed() < NEW_LEAD_RECOUNT_EVERY
            }
            _ => false,
        };
        if !fresh {
            let midnight = crate::domain::resolve_local(today, 0, plan.timezone);
            let count = self
                .ctx
                .store
                .new_leads_sent_since(
                    self.campaign_id,
                    midnight,
                    now,
                    self.ctx.settings.claim_lease.to_chrono(),
                )
                .await?;
            self.new_today = Some(NewLeadTally {
                day: today,
                count,
                read_at: std::time::Instant::now(),
            });
        }
        let count = self.new_today.map_or(0, |t| t.count);
        Ok(cap.saturating_sub(count))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drain_starts_with_a_small_claim_and_doubles_it_up_to_the_maximum() {
        let mut ramp = ClaimRamp::start(2_000);
        let mut sizes = vec![ramp.limit()];
        for _ in 0..6 {
            ramp.grow(2_000);
            sizes.push(ramp.limit());
        }
        assert_eq!(sizes, [128, 256, 512, 1_024, 2_000, 2_000, 2_000]);
    }

    #[test]
    fn a_maximum_below_the_first_claim_size_bounds_every_claim() {
        let mut ramp = ClaimRamp::start(10);
        assert_eq!(ramp.limit(), 10);
        ramp.grow(10);
        assert_eq!(ramp.limit(), 10);
    }
}
