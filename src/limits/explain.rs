//! `outreachd explain`: every limit between a lead (or a mailbox) and its next send, evaluated
//! in the order the daemon applies them, with the one that binds and the next time a send is
//! eligible.
//!
//! Pure: the CLI reads the facts from the store and hands them in with the clock, so every
//! branch is unit-tested without a database. The window, the mailbox's state and its caps
//! (with warm-up) are evaluated by the gate functions the actors use (`limits::gates`,
//! `limits::budget`); status, due time, the daily new-lead cap and the gap are read from the
//! store's facts as the claim and the pacer apply them.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use crate::domain::{CampaignStatus, EnrolmentState, Mailbox, SendingRules};

/// One limit's verdict.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    /// Blocked until a time (`None`: until an operator or an event changes something).
    Blocked {
        until: Option<DateTime<Utc>>,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable name: `suppression`, `window`, `daily_cap`...
    pub name: &'static str,
    #[serde(flatten)]
    pub verdict: Verdict,
    /// What was compared, for people.
    pub detail: String,
}

impl Check {
    fn pass(name: &'static str, detail: impl Into<String>) -> Self {
        Self {
            name,
            verdict: Verdict::Pass,
            detail: detail.into(),
        }
    }

    fn blocked(
        name: &'static str,
        until: Option<DateTime<Utc>>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            name,
            verdict: Verdict::Blocked { until },
            detail: detail.into(),
        }
    }

    pub fn is_blocked(&self) -> bool {
        matches!(self.verdict, Verdict::Blocked { .. })
    }
}

/// Every check in order, the first that blocks, and when a send could next happen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Explanation {
    pub now: DateTime<Utc>,
    pub checks: Vec<Check>,
    /// The check that holds the send longest: the first that only an operator or an event can
    /// lift, else the one whose time comes last (on a tie the later in order, the deeper cause:
    /// a lead released to the cap's reset is due then too). `None` when every check passes.
    pub binding: Option<&'static str>,
    /// `Some(now)` when eligible now; `None` when only an operator or an event can unblock.
    pub next_eligible: Option<DateTime<Utc>>,
}

/// A mailbox's limits and its recent usage (`mailbox_usage` of the store).
#[derive(Clone, Debug)]
pub struct MailboxFacts {
    pub mailbox: Mailbox,
    /// Sends (sent or unknown) on the mailbox's local date of `now`.
    pub sent_today: u32,
    /// Send times within the last hour.
    pub last_hour: Vec<DateTime<Utc>>,
}

/// Everything `explain --campaign C --lead L` looks at.
#[derive(Clone, Debug)]
pub struct LeadFacts {
    pub suppressed: bool,
    pub unsubscribed_at: Option<DateTime<Utc>>,
    pub lead_timezone: Option<String>,
    pub enrolment: Option<EnrolmentState>,
    pub campaign_status: CampaignStatus,
    pub rules: SendingRules,
    /// Step-1 sends of the campaign today (and those in flight), for its new-lead cap.
    pub new_leads_today: u32,
    /// The lead's mailbox, when it has one.
    pub mailbox: Option<MailboxFacts>,
}

mod lead;
mod mailbox;

pub use lead::explain_lead;
pub use mailbox::{explain_mailbox, mailbox_checks};

fn tz_or_utc(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

fn next_midnight(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    crate::domain::resolve_local(day.succ_opt().unwrap_or(day), 0, tz)
}

fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn binding(checks: &[Check]) -> Option<&'static str> {
    if let Some(c) = checks
        .iter()
        .find(|c| c.verdict == Verdict::Blocked { until: None })
    {
        return Some(c.name);
    }
    let mut best: Option<(&Check, DateTime<Utc>)> = None;
    for c in checks {
        if let Verdict::Blocked { until: Some(t) } = c.verdict
            && best.is_none_or(|(_, b)| t >= b)
        {
            best = Some((c, t));
        }
    }
    best.map(|(c, _)| c.name)
}

/// Evaluates at `now`, then walks forward to the first time every check passes: each blocked
/// check names when it lifts, and a later time may hit another limit (a window closed when a
/// cap resets), so the checks are re-run at that time, a bounded number of times.
fn finish(now: DateTime<Utc>, checks_at: impl Fn(DateTime<Utc>) -> Vec<Check>) -> Explanation {
    let checks = checks_at(now);
    let binding = binding(&checks);
    let mut at = now;
    let mut next_eligible = None;
    for _ in 0..16 {
        let later = checks_at(at);
        let mut latest = None;
        let mut forever = false;
        for c in &later {
            match c.verdict {
                Verdict::Pass => {}
                Verdict::Blocked { until: None } => forever = true,
                Verdict::Blocked { until: Some(t) } => {
                    latest = Some(latest.map_or(t, |l: DateTime<Utc>| l.max(t)));
                }
            }
        }
        if forever {
            break;
        }
        match latest {
            None => {
                next_eligible = Some(at);
                break;
            }
            Some(t) if t > at => at = t,
            // A check blocked "until" a time not after `at`: step past it.
            Some(_) => at += TimeDelta::seconds(1),
        }
    }
    Explanation {
        now,
        checks,
        binding,
        next_eligible,
    }
}

impl std::fmt::Display for Explanation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for c in &self.checks {
            let verdict = match &c.verdict {
                Verdict::Pass => "pass".to_owned(),
                Verdict::Blocked { until: Some(t) } => format!("BLOCKED until {}", fmt_time(*t)),
                Verdict::Blocked { until: None } => "BLOCKED".to_owned(),
            };
            let marker = if Some(c.name) == self.binding {
                " <- binding"
            } else {
                ""
            };
            writeln!(f, "{:<20} {:<38} {}{marker}", c.name, verdict, c.detail)?;
        }
        match (self.binding, self.next_eligible) {
            (None, _) => writeln!(f, "Eligible now ({}).", fmt_time(self.now)),
            (Some(b), Some(t)) => writeln!(f, "Blocked by {b}; next eligible {}.", fmt_time(t)),
            (Some(b), None) => writeln!(
                f,
                "Blocked by {b}; no send is possible until an operator or an event changes it."
            ),
        }
    }
}

#[cfg(test)]
mod tests;
