//! The campaign side of a lead's next send for `explain`: suppression, unsubscribe, the lead's
//! and the campaign's status, the window, the step's due time, the campaign's daily cap on new
//! leads and a claim in flight, as the campaign actor applies them when it claims (the window
//! through the same gate function); then the lead's mailbox.

use chrono::{DateTime, Utc};

use super::{
    Check, Explanation, LeadFacts, finish, fmt_time, mailbox_checks, next_midnight, tz_or_utc,
};
use crate::domain::{CampaignLeadStatus, CampaignStatus};
use crate::limits::{send_zone, window_gate};

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
    let tz = send_zone(
        rules.timezone_policy,
        tz_or_utc(&rules.timezone),
        facts.lead_timezone.as_deref(),
    );
    let window = &rules.window;
    let window_text = format!(
        "{}-{} {} ({})",
        window.start_hhmm(),
        window.end_hhmm(),
        window_days(window),
        tz.name()
    );
    checks.push(match window_gate(window, tz, at) {
        Ok(()) => Check::pass("window", format!("open: {window_text}")),
        Err(opens) => Check::blocked("window", Some(opens), format!("closed: {window_text}")),
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
