//! `outreachd explain`: every limit between a lead (or a mailbox) and its next send, evaluated
//! in the order the daemon applies them, with the one that binds and the next time a send is
//! eligible.
//!
//! Pure: the CLI reads the facts from the store and hands them in with the clock, so every
//! branch is unit-tested without a database. The rules mirror the daemon's: the campaign actor
//! checks status, due time, window and the daily new-lead cap when it claims; the mailbox actor
//! checks its state, caps (with warm-up) and gap when it sends.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::{BudgetConfig, SendBudget};
use crate::domain::{CampaignLeadStatus, CampaignStatus, MailboxStatus, TimezonePolicy};
use crate::store::{EnrolmentState, Mailbox, SendingRules};

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

impl BudgetConfig {
    /// The caps of a stored mailbox, as its actor uses them.
    pub fn for_mailbox(mailbox: &Mailbox) -> Self {
        let timezone: Tz = mailbox.timezone.parse().unwrap_or(Tz::UTC);
        Self {
            daily_cap: mailbox.daily_cap,
            hourly_cap: mailbox.hourly_cap.filter(|c| *c > 0),
            warmup: mailbox.warmup,
            warmup_started_on: mailbox.created_at.with_timezone(&timezone).date_naive(),
            timezone,
        }
    }
}

fn tz_or_utc(name: &str) -> Tz {
    name.parse().unwrap_or(Tz::UTC)
}

fn next_midnight(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    crate::domain::resolve_local(day.succ_opt().unwrap_or(day), 0, tz)
}

fn fmt_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// The mailbox checks (state, gap, hourly cap, daily cap, warm-up) at `at`, from facts read
/// at `now`.
pub fn mailbox_checks(facts: &MailboxFacts, now: DateTime<Utc>, at: DateTime<Utc>) -> Vec<Check> {
    let m = &facts.mailbox;
    let mut checks = Vec::new();
    checks.push(match m.status {
        MailboxStatus::Paused => Check::blocked(
            "mailbox_state",
            None,
            format!(
                "mailbox {} is paused: {}",
                m.address,
                m.status_reason.as_deref().unwrap_or("no reason given")
            ),
        ),
        MailboxStatus::Cooling => match m.cooling_until {
            Some(until) if until > at => Check::blocked(
                "mailbox_state",
                Some(until),
                format!(
                    "mailbox {} is cooling down until {}",
                    m.address,
                    fmt_time(until)
                ),
            ),
            _ => Check::pass(
                "mailbox_state",
                format!("mailbox {} cooled down", m.address),
            ),
        },
        MailboxStatus::Active => {
            Check::pass("mailbox_state", format!("mailbox {} is active", m.address))
        }
    });
    let min_gap = m.min_gap.to_chrono();
    let last = facts.last_hour.iter().max().copied();
    checks.push(match last {
        Some(last) if last + min_gap > at => Check::blocked(
            "gap",
            Some(last + min_gap),
            format!("last send {}, min_gap {}", fmt_time(last), m.min_gap),
        ),
        Some(last) => Check::pass(
            "gap",
            format!("last send {}, min_gap {}", fmt_time(last), m.min_gap),
        ),
        None => Check::pass(
            "gap",
            format!("no send in the last hour, min_gap {}", m.min_gap),
        ),
    });
    let config = BudgetConfig::for_mailbox(m);
    let hour_ago = at - TimeDelta::hours(1);
    let mut recent: Vec<DateTime<Utc>> = facts
        .last_hour
        .iter()
        .copied()
        .filter(|t| *t > hour_ago && *t <= at)
        .collect();
    recent.sort();
    checks.push(match config.hourly_cap {
        None => Check::pass("hourly_cap", "no hourly cap"),
        Some(cap) if recent.len() >= cap as usize => {
            let until = recent.first().map_or(at, |t| *t + TimeDelta::hours(1));
            Check::blocked(
                "hourly_cap",
                Some(until),
                format!("{} of {cap} sent in the last hour", recent.len()),
            )
        }
        Some(cap) => Check::pass(
            "hourly_cap",
            format!("{} of {cap} sent in the last hour", recent.len()),
        ),
    });
    let today = at.with_timezone(&config.timezone).date_naive();
    let midnight = next_midnight(today, config.timezone);
    // The store's count is for the local date of "now"; a later `at` on another day starts at 0.
    let sent = if today == now.with_timezone(&config.timezone).date_naive() {
        facts.sent_today
    } else {
        0
    };
    let budget = SendBudget::new(config.clone(), at, sent, &recent);
    let ramp = budget.daily_cap_on(today);
    checks.push(if sent >= m.daily_cap {
        Check::blocked(
            "daily_cap",
            Some(midnight),
            format!("{sent} of {} sent today ({})", m.daily_cap, m.timezone),
        )
    } else {
        Check::pass(
            "daily_cap",
            format!("{sent} of {} sent today ({})", m.daily_cap, m.timezone),
        )
    });
    checks.push(match config.warmup {
        None => Check::pass("warmup", "no warm-up"),
        Some(_) if sent >= ramp && ramp < m.daily_cap => Check::blocked(
            "warmup",
            Some(midnight),
            format!(
                "warm-up allows {ramp} today (day {} since {}), {sent} sent",
                (today - config.warmup_started_on).num_days().max(0),
                config.warmup_started_on
            ),
        ),
        Some(_) => Check::pass(
            "warmup",
            format!("warm-up allows {ramp} today, {sent} sent"),
        ),
    });
    checks
}

/// Why a mailbox can or cannot send now, and when it next can.
pub fn explain_mailbox(facts: &MailboxFacts, now: DateTime<Utc>) -> Explanation {
    finish(now, |at| mailbox_checks(facts, now, at))
}

/// The campaign-side checks of one lead at `at`.
fn lead_checks(facts: &LeadFacts, now: DateTime<Utc>, at: DateTime<Utc>) -> Vec<Check> {
    let mut checks = Vec::new();
    checks.push(if facts.suppressed {
        Check::blocked(
            "suppression",
            None,
            "the address or its domain is suppressed",
        )
    } else {
        Check::pass("suppression", "not suppressed")
    });
    checks.push(match facts.unsubscribed_at {
        Some(t) => Check::blocked(
            "unsubscribed",
            None,
            format!("unsubscribed {}", fmt_time(t)),
        ),
        None => Check::pass("unsubscribed", "not unsubscribed"),
    });
    let enrolment = facts.enrolment.as_ref();
    checks.push(match enrolment {
        None => Check::blocked("lead_status", None, "not enrolled in this campaign"),
        Some(e) if e.status != CampaignLeadStatus::Active => Check::blocked(
            "lead_status",
            None,
            format!(
                "lead is {}{}",
                e.status.as_str(),
                e.stop_reason
                    .as_deref()
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default()
            ),
        ),
        Some(e) if e.next_scheduled_at.is_none() => Check::blocked(
            "lead_status",
            None,
            "active but parked: an outcome is unknown and awaits reconciliation",
        ),
        Some(e) => Check::pass(
            "lead_status",
            format!("active, next step {}", e.current_step_order),
        ),
    });
    checks.push(if facts.campaign_status == CampaignStatus::Running {
        Check::pass("campaign_status", "running")
    } else {
        Check::blocked(
            "campaign_status",
            None,
            format!("campaign is {}", facts.campaign_status.as_str()),
        )
    });
    let rules = &facts.rules;
    let tz = match (rules.timezone_policy, facts.lead_timezone.as_deref()) {
        (TimezonePolicy::Lead, Some(lead_tz)) if lead_tz.parse::<Tz>().is_ok() => {
            tz_or_utc(lead_tz)
        }
        _ => tz_or_utc(&rules.timezone),
    };
    let window = &rules.window;
    let window_text = format!(
        "{}-{} {} ({})",
        window.start_hhmm(),
        window.end_hhmm(),
        window_days(window),
        tz.name()
    );
    checks.push(if window.is_open(at, tz) {
        Check::pass("window", format!("open: {window_text}"))
    } else {
        let opens = window.next_open(at, tz);
        Check::blocked("window", Some(opens), format!("closed: {window_text}"))
    });
    let due = enrolment.and_then(|e| e.next_scheduled_at);
    checks.push(match due {
        Some(due) if due > at => Check::blocked(
            "step_delay",
            Some(due),
            format!("step due {}", fmt_time(due)),
        ),
        Some(due) => Check::pass("step_delay", format!("step due since {}", fmt_time(due))),
        None => Check::pass("step_delay", "no due time"),
    });
    let step = enrolment.map_or(1, |e| e.current_step_order);
    checks.push(match rules.daily_new_leads_cap {
        _ if step > 1 => Check::pass("campaign_daily_cap", "follow-ups are not capped"),
        None => Check::pass("campaign_daily_cap", "no daily cap on new leads"),
        Some(cap) => {
            let campaign_tz = tz_or_utc(&rules.timezone);
            let today = at.with_timezone(&campaign_tz).date_naive();
            let counted_today = now.with_timezone(&campaign_tz).date_naive() == today;
            let count = if counted_today {
                facts.new_leads_today
            } else {
                0
            };
            if count >= cap {
                Check::blocked(
                    "campaign_daily_cap",
                    Some(next_midnight(today, campaign_tz)),
                    format!("{count} of {cap} new leads today"),
                )
            } else {
                Check::pass(
                    "campaign_daily_cap",
                    format!("{count} of {cap} new leads today"),
                )
            }
        }
    });
    if let Some(e) = enrolment
        && let Some(lease) = e.lease_expires_at
        && lease > at
    {
        checks.push(Check::blocked(
            "in_flight",
            Some(lease),
            format!("claimed or being sent; lease until {}", fmt_time(lease)),
        ));
    }
    match &facts.mailbox {
        Some(m) => checks.extend(mailbox_checks(m, now, at)),
        None => checks.push(Check::blocked(
            "mailbox_state",
            None,
            "the lead has no mailbox (its mailbox was removed)",
        )),
    }
    checks
}

fn window_days(window: &crate::domain::SendWindow) -> String {
    use chrono::Weekday::*;
    let names = [
        (Mon, "Mon"),
        (Tue, "Tue"),
        (Wed, "Wed"),
        (Thu, "Thu"),
        (Fri, "Fri"),
        (Sat, "Sat"),
        (Sun, "Sun"),
    ];
    names
        .iter()
        .filter(|(d, _)| window.days.contains(*d))
        .map(|(_, n)| *n)
        .collect::<Vec<_>>()
        .join(",")
}

/// Why a lead of a campaign can or cannot be sent its next step now, and when it next can.
pub fn explain_lead(facts: &LeadFacts, now: DateTime<Utc>) -> Explanation {
    finish(now, |at| lead_checks(facts, now, at))
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
            writeln!(f, "{:<20} {:<36} {}{marker}", c.name, verdict, c.detail)?;
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
#[path = "explain_tests.rs"]
mod tests;
