//! Numbers for people: a campaign's stats (per step and per day), each mailbox's day against
//! its cap, and the workspace summary of `outreachd status`. What each count means, and the
//! denominators of the rates, are defined once in `domain::activity`.

use chrono::{DateTime, Days, NaiveTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::ServiceError;
use super::mailboxes::state_of;
use crate::domain::{CampaignId, CampaignStats, MailboxId, MailboxStatus, WorkspaceId};
use crate::store::{Store, StoreError};

/// Days of a campaign's daily series unless asked otherwise.
pub const DEFAULT_DAYS: u32 = 30;
/// The longest daily series answered.
pub const MAX_DAYS: u32 = 366;

/// A campaign's stats at `now`, with a daily series of `days` UTC days ending today.
pub async fn campaign(
    store: &dyn Store,
    ws: WorkspaceId,
    id: CampaignId,
    days: u32,
    now: DateTime<Utc>,
) -> Result<CampaignStats, ServiceError> {
    let days = days.clamp(1, MAX_DAYS);
    let steps = store.campaign_steps(ws, id).await?;
    let today = now.date_naive();
    let first = today
        .checked_sub_days(Days::new(u64::from(days - 1)))
        .unwrap_or(today);
    let since = first.and_time(NaiveTime::MIN).and_utc();
    let counts = store.campaign_counts(ws, id, since).await?;
    let step_count = u32::try_from(steps.len()).unwrap_or(u32::MAX);
    Ok(CampaignStats::from_counts(
        id, counts, step_count, today, days,
    ))
}

/// One mailbox's day: what it sent against today's cap, and whether it may send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct MailboxStats {
    pub id: MailboxId,
    pub address: String,
    pub status: MailboxStatus,
    /// Why it is paused or cooling (an operator's words, or the server's).
    pub reason: Option<String>,
    pub cooling_until: Option<DateTime<Utc>>,
    /// Sends counted today, on the mailbox's local date.
    pub sent_today: u32,
    /// The configured daily cap.
    pub daily_cap: u32,
    /// Today's cap: the daily cap, lowered by warm-up while it ramps.
    pub daily_cap_today: u32,
    /// Sends left today under today's cap.
    pub remaining_today: u32,
    pub hourly_cap: Option<u32>,
}

/// Every mailbox of the workspace, by address.
pub async fn mailboxes(
    store: &dyn Store,
    ws: WorkspaceId,
    now: DateTime<Utc>,
) -> Result<Vec<MailboxStats>, ServiceError> {
    let mut out = Vec::new();
    for m in store.list_mailboxes(ws).await? {
        let (id, daily_cap, hourly_cap) = (m.id, m.daily_cap, m.hourly_cap);
        let state = state_of(store, m, now).await?;
        out.push(MailboxStats {
            id,
            address: state.address,
            status: state.status,
            reason: state.reason,
            cooling_until: state.cooling_until,
            sent_today: state.sent_today,
            daily_cap,
            daily_cap_today: state.daily_cap_today,
            remaining_today: state.daily_cap_today.saturating_sub(state.sent_today),
            hourly_cap,
        });
    }
    Ok(out)
}

/// `NotFound` as the API and the CLI report a campaign missing from the workspace.
pub fn no_campaign(id: CampaignId) -> ServiceError {
    ServiceError::Store(StoreError::not_found("campaign", id.to_string()))
}
