//! Caps counted at the SMTP sink: a mailbox's daily and hourly caps and warm-up ramp, and a
//! campaign's daily cap on new leads. What the cap holds back stays active, waiting for the
//! moment the cap lets it go, with a send row that says why and no attempt spent.
//!
//! Local days are read in fixed-offset zones chosen so it is about noon there, so no test
//! straddles the midnight it asserts on.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use outreachd::domain::{HumanDuration, MailboxSpec, StepSpec, Warmup};

use crate::fixtures::{
    Received, SeedPlan, Seeded, lead_states, seed_plan, step, summary, wait_for,
};
use crate::helpers::{TestApp, spawn_app_with};
use crate::observe::{lead_rows, next_midnight, send_rows, zone_at_local_hour};
use crate::sink::Sink;
use crate::support::TestBackend;

const FAST: &[(&str, &str)] = &[("OUTREACHD__DISPATCH__COMPLETION_FLUSH", "10ms")];

/// Time for anything that should not happen to show up (a send past a cap).
const SETTLE: Duration = Duration::from_secs(3);

/// Sends one at a time, 50 ms apart: each send is gated after the previous one was counted.
/// (An unpaced mailbox gates a whole batch at once; see the ignored tests.)
fn one_at_a_time(m: &mut MailboxSpec) {
    m.min_gap = HumanDuration::parse("50ms").unwrap();
    m.max_gap = HumanDuration::parse("50ms").unwrap();
}

fn one_step() -> Vec<StepSpec> {
    vec![step("0s", Some("Hi {{ first_name }}"), "Hello.")]
}

/// Every active lead waits (due no earlier than `from`, no later than `to`), and its step-1
/// row, if the pipeline made one, is a `retry` that mentions `reason` and spent no attempt.
async fn assert_held_back(
    url: &str,
    campaign: outreachd::domain::CampaignId,
    expected: usize,
    (from, to): (DateTime<Utc>, DateTime<Utc>),
    reason: &str,
) {
    let waiting: Vec<_> = lead_rows(url, campaign)
        .await
        .into_iter()
        .filter(|l| l.status == "active")
        .collect();
    assert_eq!(waiting.len(), expected, "{waiting:#?}");
    let sends = send_rows(url, campaign).await;
    for lead in &waiting {
        let due = lead.next_scheduled_at.expect("an active lead is scheduled");
        assert!(
            from <= due && due <= to,
            "{} is due at {due}, expected between {from} and {to}",
            lead.email
        );
        let row = sends
            .iter()
            .find(|s| s.email == lead.email && s.step == lead.step)
            .unwrap_or_else(|| panic!("{} has no send row saying why it waits", lead.email));
        assert_eq!(row.state, "retry", "{row:?}");
        assert_eq!(
            row.attempts, 0,
            "a cap is not the recipient's fault: {row:?}"
        );
        assert!(
            row.last_error
                .as_deref()
                .is_some_and(|e| e.contains(reason)),
            "{row:?} should mention {reason:?}"
        );
    }
}

/// A mailbox sending one at a time, capped at 5 a day (its day in a zone where it is noon), 8
/// leads, one step; returns once 5 went out and a send past the cap had time to show up.
struct Capped {
    app: TestApp,
    sink: Sink,
    seeded: Seeded,
    midnight: DateTime<Utc>,
}

async fn run_into_the_daily_cap(backend: TestBackend) -> Capped {
    let sink = Sink::start(&[]).await;
    let app = spawn_app_with(backend, FAST).await;
    let (zone, tz) = zone_at_local_hour(12);
    let midnight = next_midnight(tz, Utc::now());
    let plan = SeedPlan {
        mailbox: Box::new(move |_, m| {
            one_at_a_time(m);
            m.daily_cap = 5;
            m.timezone = zone.clone();
        }),
        ..SeedPlan::new(1, 8, one_step())
    };
    let seeded = seed_plan(app.store.as_ref(), sink.port, plan).await;
    app.supervisor.notify();
    wait_for(
        app.store.as_ref(),
        seeded.workspace,
        Duration::from_secs(30),
        |s| lead_states(s).get("completed") == Some(&5),
    )
    .await;
    tokio::time::sleep(SETTLE).await;
    Capped {
        app,
        sink,
        seeded,
        midnight,
    }
}

async fn a_daily_cap_lets_exactly_the_cap_reach_the_sink(backend: TestBackend) {
    let Capped {
        app, sink, seeded, ..
    } = run_into_the_daily_cap(backend).await;
    assert_eq!(sink.dumps(6).await.len(), 5, "the sink got exactly the cap");
    let s = summary(app.store.as_ref(), seeded.workspace).await;
    assert_eq!(lead_states(&s).get("active"), Some(&3), "{s:#?}");
    assert_eq!(s.mailboxes[0].sent_today, 5);
    let sends = send_rows(&app.database_url, seeded.campaign).await;
    assert_eq!(sends.iter().filter(|r| r.state == "sent").count(), 5);
    assert!(
        sends.iter().all(|r| r.attempts == 0),
        "a cap spends no attempt: {sends:#?}"
    );
}

async fn leads_held_by_a_daily_cap_wait_for_local_midnight_and_say_why(backend: TestBackend) {
    let Capped {
        app,
        seeded,
        midnight,
        ..
    } = run_into_the_daily_cap(backend).await;
    let window = (midnight, midnight + TimeDelta::minutes(1));
    assert_held_back(&app.database_url, seeded.campaign, 3, window, "daily cap").await;
}

async fn an_hourly_cap_holds_the_rest_for_about_an_hour(backend: TestBackend) {
    hourly_cap_of_3_with_5_leads(backend, one_at_a_time).await;
}

async fn an_unpaced_mailbox_never_sends_past_its_hourly_cap(backend: TestBackend) {
    hourly_cap_of_3_with_5_leads(backend, |_| {}).await;
}

async fn hourly_cap_of_3_with_5_leads(backend: TestBackend, pace: fn(&mut MailboxSpec)) {
    let sink = Sink::start(&[]).await;
    let app = spawn_app_with(backend, FAST).await;
    let start = Utc::now();
    let plan = SeedPlan {
        mailbox: Box::new(move |_, m| {
            pace(m);
            m.hourly_cap = Some(3);
        }),
        ..SeedPlan::new(1, 5, one_step())
    };
    let seeded = seed_plan(app.store.as_ref(), sink.port, plan).await;
    app.supervisor.notify();
    wait_for(
        app.store.as_ref(),
        seeded.workspace,
        Duration::from_secs(30),
        |s| lead_states(s).get("completed") == Some(&3),
    )
    .await;
    tokio::time::sleep(SETTLE).await;
    assert_eq!(sink.dumps(4).await.len(), 3, "the sink got exactly the cap");
    // A slot frees an hour after the oldest send of the hour, which happened after `start`.
    let window = (
        start + TimeDelta::hours(1),
        Utc::now() + TimeDelta::hours(1),
    );
    assert_held_back(&app.database_url, seeded.campaign, 2, window, "hourly cap").await;
}

async fn warm_up_allows_only_the_first_days_sends(backend: TestBackend) {
    let sink = Sink::start(&[]).await;
    let app = spawn_app_with(backend, FAST).await;
    let (zone, _) = zone_at_local_hour(12);
    let plan = SeedPlan {
        mailbox: Box::new(move |_, m| {
            one_at_a_time(m);
            m.daily_cap = 100;
            m.warmup = Some(Warmup {
                start_per_day: 2,
                increment_per_day: 1,
            });
            m.timezone = zone.clone();
        }),
        ..SeedPlan::new(1, 6, one_step())
    };
    let seeded = seed_plan(app.store.as_ref(), sink.port, plan).await;
    app.supervisor.notify();
    wait_for(
        app.store.as_ref(),
        seeded.workspace,
        Duration::from_secs(30),
        |s| lead_states(s).get("completed") == Some(&2),
    )
    .await;
    tokio::time::sleep(SETTLE).await;
    assert_eq!(sink.dumps(3).await.len(), 2, "day one of the ramp sends 2");
    let s = summary(app.store.as_ref(), seeded.workspace).await;
    assert_eq!(lead_states(&s).get("active"), Some(&4), "{s:#?}");
}

async fn the_campaign_cap_on_new_leads_limits_first_steps_not_follow_ups(backend: TestBackend) {
    let sink = Sink::start(&[]).await;
    let app = spawn_app_with(backend, FAST).await;
    let (zone, _) = zone_at_local_hour(12);
    let mut plan = SeedPlan::new(
        2,
        10,
        vec![
            step("0s", Some("Hi {{ first_name }}"), "Step one."),
            step("1s", None, "Step two."),
        ],
    );
    plan.rules.daily_new_leads_cap = Some(4);
    plan.rules.timezone = zone;
    let seeded = seed_plan(app.store.as_ref(), sink.port, plan).await;
    app.supervisor.notify();
    wait_for(
        app.store.as_ref(),
        seeded.workspace,
        Duration::from_secs(30),
        |s| lead_states(s).get("completed") == Some(&4),
    )
    .await;
    tokio::time::sleep(SETTLE).await;
    let received: Vec<Received> = sink
        .dumps(9)
        .await
        .iter()
        .map(|d| Received::parse(d))
        .collect();
    let firsts = received
        .iter()
        .filter(|r| r.header("in-reply-to").is_none())
        .count();
    assert_eq!(firsts, 4, "four new leads today");
    assert_eq!(received.len(), 8, "their follow-ups are not capped");
    let leads = lead_rows(&app.database_url, seeded.campaign).await;
    let waiting: Vec<_> = leads.iter().filter(|l| l.status == "active").collect();
    assert_eq!(waiting.len(), 6, "{leads:#?}");
    assert!(waiting.iter().all(|l| l.step == 1), "{waiting:#?}");
    let sends = send_rows(&app.database_url, seeded.campaign).await;
    assert!(
        sends
            .iter()
            .filter(|s| waiting.iter().any(|l| l.email == s.email))
            .all(|s| s.state != "sent" && s.attempts == 0),
        "{sends:#?}"
    );
}

crate::on_both_backends!(
    a_daily_cap_lets_exactly_the_cap_reach_the_sink,
    an_hourly_cap_holds_the_rest_for_about_an_hour,
    warm_up_allows_only_the_first_days_sends,
    the_campaign_cap_on_new_leads_limits_first_steps_not_follow_ups,
    leads_held_by_a_daily_cap_wait_for_local_midnight_and_say_why,
    an_unpaced_mailbox_never_sends_past_its_hourly_cap,
);
