//! The mailbox's own limits for `explain`: state, gap, hourly cap, daily cap, warm-up, as the
//! mailbox actor applies them when it sends.

use chrono::{DateTime, TimeDelta, Utc};
use chrono_tz::Tz;

use super::{Check, Explanation, MailboxFacts, finish, fmt_time, next_midnight};
use crate::domain::{Mailbox, MailboxStatus};
use crate::limits::{BudgetConfig, SendBudget};

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
