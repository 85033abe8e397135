//! The gates a due send passes besides the caps (see `budget`): the mailbox's own state
//! (active, cooling down after a throttle, paused) with its cooldown policy, the minimum gap
//! after the mailbox's last recorded send, and the campaign's sending window read in the right
//! zone. Pure functions of facts and a clock: the actors call
//! them to decide, and `explain` calls the same ones to report, so the two cannot drift.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use crate::domain::{MailboxStatus, SendWindow, TimezonePolicy};

/// When the minimum gap after the mailbox's last recorded send ends, if it has not ended by
/// `now`. A new mailbox actor holds its first send until then (its pacer starts empty), and
/// `explain` reports the same time.
pub fn gap_gate(
    recent_sends: &[DateTime<Utc>],
    min_gap: TimeDelta,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let last = recent_sends.iter().max()?;
    let free_at = *last + min_gap;
    (free_at > now).then_some(free_at)
}

/// A mailbox's sending state, as its actor holds it (and as a stored row starts it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MailboxState {
    Active,
    /// Throttled by its server: no send before `until`. `streak` counts the throttles in a row,
    /// each doubling the rest.
    Cooling {
        until: DateTime<Utc>,
        streak: u32,
    },
    /// Only an operator lifts this.
    Paused {
        reason: String,
    },
}

/// Why the mailbox's state holds a send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Hold<'a> {
    /// Cooling down until then.
    Until(DateTime<Utc>),
    /// Paused, for this reason.
    Paused(&'a str),
}

impl MailboxState {
    /// The state a stored mailbox is in at `now`: a cooldown already over is active.
    pub fn from_row(
        status: MailboxStatus,
        reason: Option<&str>,
        cooling_until: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Self {
        match status {
            MailboxStatus::Cooling => match cooling_until {
                Some(until) if until > now => Self::Cooling { until, streak: 1 },
                _ => Self::Active,
            },
            MailboxStatus::Paused => Self::Paused {
                reason: reason.unwrap_or("paused").to_owned(),
            },
            MailboxStatus::Active => Self::Active,
        }
    }

    /// What holds a send at `at`, if anything.
    pub fn hold(&self, at: DateTime<Utc>) -> Option<Hold<'_>> {
        match self {
            Self::Cooling { until, .. } if *until > at => Some(Hold::Until(*until)),
            Self::Paused { reason } => Some(Hold::Paused(reason)),
            _ => None,
        }
    }

    /// The server throttled us at `now`: cool down for `base`, doubled for each throttle in a
    /// row (at most 16x). Returns when the cooldown ends.
    pub fn throttle(&mut self, now: DateTime<Utc>, base: TimeDelta) -> DateTime<Utc> {
        let streak = match self {
            Self::Cooling { streak, .. } => *streak + 1,
            _ => 0,
        };
        let until = now + base * (1i32 << streak.min(4));
        *self = Self::Cooling { until, streak };
        until
    }
}

/// The zone a lead's sending window is read in: the lead's own when the campaign says so and
/// the lead's zone is known, else the campaign's.
pub fn send_zone(policy: TimezonePolicy, campaign_zone: Tz, lead_zone: Option<&str>) -> Tz {
    match (policy, lead_zone) {
        (TimezonePolicy::Lead, Some(zone)) => zone.parse().unwrap_or(campaign_zone),
        _ => campaign_zone,
    }
}

/// `Ok` when the window is open at `at` in `zone`; else when it next opens.
pub fn window_gate(window: &SendWindow, zone: Tz, at: DateTime<Utc>) -> Result<(), DateTime<Utc>> {
    if window.is_open(at, zone) {
        Ok(())
    } else {
        Err(window.next_open(at, zone))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_gap_holds_until_min_gap_after_the_latest_recorded_send() {
        let now = at("2026-11-23T10:00:00Z");
        let gap = TimeDelta::minutes(5);
        let sends = [now - TimeDelta::minutes(20), now - TimeDelta::minutes(2)];
        assert_eq!(
            gap_gate(&sends, gap, now),
            Some(now + TimeDelta::minutes(3))
        );
        assert_eq!(gap_gate(&sends[..1], gap, now), None, "the gap is over");
        assert_eq!(gap_gate(&[], gap, now), None, "no send to wait after");
    }

    #[test]
    fn a_stored_cooldown_that_is_over_starts_active() {
        let now = at("2026-11-23T10:00:00Z");
        let earlier = Some(now - TimeDelta::minutes(1));
        let later = Some(now + TimeDelta::minutes(1));
        let state = |until| MailboxState::from_row(MailboxStatus::Cooling, None, until, now);
        assert_eq!(state(earlier), MailboxState::Active);
        assert_eq!(
            state(later).hold(now),
            Some(Hold::Until(now + TimeDelta::minutes(1)))
        );
        assert_eq!(state(later).hold(now + TimeDelta::minutes(2)), None);
    }

    #[test]
    fn a_paused_mailbox_holds_every_send_with_its_reason() {
        let now = at("2026-11-23T10:00:00Z");
        let paused = MailboxState::from_row(MailboxStatus::Paused, None, None, now);
        assert_eq!(
            paused.hold(now + TimeDelta::days(30)),
            Some(Hold::Paused("paused"))
        );
    }

    #[test]
    fn repeated_throttles_double_the_rest_up_to_sixteen_times() {
        let now = at("2026-11-23T10:00:00Z");
        let base = TimeDelta::minutes(10);
        let mut state = MailboxState::Active;
        let mut rests = Vec::new();
        for _ in 0..6 {
            let until = state.throttle(now, base);
            rests.push((until - now).num_minutes());
        }
        assert_eq!(rests, [10, 20, 40, 80, 160, 160]);
    }

    #[test]
    fn the_lead_zone_applies_only_when_the_campaign_says_so_and_it_parses() {
        let berlin = chrono_tz::Europe::Berlin;
        let tokyo = Some("Asia/Tokyo");
        assert_eq!(
            send_zone(TimezonePolicy::Lead, berlin, tokyo),
            chrono_tz::Asia::Tokyo
        );
        assert_eq!(
            send_zone(TimezonePolicy::Lead, berlin, Some("Mars/Base")),
            berlin
        );
        assert_eq!(send_zone(TimezonePolicy::Lead, berlin, None), berlin);
        assert_eq!(send_zone(TimezonePolicy::Campaign, berlin, tokyo), berlin);
    }
}
