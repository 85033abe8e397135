//! The mailbox's own limits for `explain`: state, gap, hourly cap, daily cap, warm-up, through
//! the gate functions the mailbox actor applies when it sends.

use chrono::{DateTime, TimeDelta, Utc};

use super::{Check, Explanation, MailboxFacts, finish, fmt_time};
use crate::domain::MailboxStatus;
use crate::limits::{BudgetConfig, Hold, MailboxState, daily_gate, gap_gate, hourly_gate};

/// The mailbox checks (state, gap, hourly cap, daily cap, warm-up) at `at`, from facts read
/// at `now`.
pub fn mailbox_checks(facts: &MailboxFacts, now: DateTime<Utc>, at: DateTime<Utc>) -> Vec<Check> {
    let m = &facts.mailbox;
    let mut checks = Vec::new();
    let state = MailboxState::from_row(m.status, m.status_reason.as_deref(), m.cooling_until, now);
    checks.push(match state.hold(at) {
        Some(Hold::Paused(_)) => Check::blocked(
            "mailbox_state",
            None,
            format!(
                "mailbox {} is paused: {}",
                m.address,
                m.status_reason.as_deref().unwrap_or("no reason given")
            ),
        ),
        Some(Hold::Until(until)) => Check::blocked(
            "mailbox_state",
            Some(until),
            format!(
                "mailbox {} is cooling down until {}",
                m.address,
                fmt_time(until)
            ),
        ),
        None if m.status == MailboxStatus::Cooling => Check::pass(
            "mailbox_state",
            format!("mailbox {} cooled down", m.address),
        ),
        None => Check::pass("mailbox_state", format!("mailbox {} is active", m.address)),
    });
    let last = facts.last_hour.iter().max().copied();
    checks.push(
        match (last, gap_gate(&facts.last_hour, m.min_gap.to_chrono(), at)) {
            (Some(last), Some(free_at)) => Check::blocked(
                "gap",
                Some(free_at),
                format!("last send {}, min_gap {}", fmt_time(last), m.min_gap),
            ),
            (Some(last), None) => Check::pass(
                "gap",
                format!("last send {}, min_gap {}", fmt_time(last), m.min_gap),
            ),
            (None, _) => Check::pass(
                "gap",
                format!("no send in the last hour, min_gap {}", m.min_gap),
            ),
        },
    );
    let config = BudgetConfig::for_mailbox(m);
    let hour_ago = at - TimeDelta::hours(1);
    let mut recent: Vec<DateTime<Utc>> = facts
        .last_hour
        .iter()
        .copied()
        .filter(|t| *t > hour_ago && *t <= at)
        .collect();
    recent.sort();
    let hourly = hourly_gate(config.hourly_cap, &recent, 0, at);
    checks.push(match (config.hourly_cap, hourly) {
        (None, _) => Check::pass("hourly_cap", "no hourly cap"),
        (Some(cap), Err(blocked)) => Check::blocked(
            "hourly_cap",
            Some(blocked.until),
            format!("{} of {cap} sent in the last hour", recent.len()),
        ),
        (Some(cap), Ok(())) => Check::pass(
            "hourly_cap",
            format!("{} of {cap} sent in the last hour", recent.len()),
        ),
    });
    let zone = config.timezone;
    let today = at.with_timezone(&zone).date_naive();
    // The store's count is for the local date of "now"; a later `at` on another day starts at 0.
    let sent = if today == now.with_timezone(&zone).date_naive() {
        facts.sent_today
    } else {
        0
    };
    let daily = format!("{sent} of {} sent today ({})", m.daily_cap, m.timezone);
    checks.push(match daily_gate(sent, 0, m.daily_cap, today, zone) {
        Err(blocked) => Check::blocked("daily_cap", Some(blocked.until), daily),
        Ok(()) => Check::pass("daily_cap", daily),
    });
    // The warm-up binds only while its ramp is below the cap (the daily cap reports the rest).
    let ramp = config.cap_on(today);
    checks.push(match config.warmup {
        None => Check::pass("warmup", "no warm-up"),
        Some(_) if ramp < m.daily_cap => match daily_gate(sent, 0, ramp, today, zone) {
            Err(blocked) => Check::blocked(
                "warmup",
                Some(blocked.until),
                format!(
                    "warm-up allows {ramp} today (day {} since {}), {sent} sent",
                    (today - config.warmup_started_on).num_days().max(0),
                    config.warmup_started_on
                ),
            ),
            Ok(()) => Check::pass(
                "warmup",
                format!("warm-up allows {ramp} today, {sent} sent"),
            ),
        },
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
