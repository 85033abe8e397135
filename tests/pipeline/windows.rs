//! Sending windows end to end: a due row outside its window moves to the window's next
//! opening, it is neither sent early nor lost; with the lead time-zone policy each lead's own
//! clock decides; a follow-up whose delay ends outside the window waits for the next opening.
//!
//! Windows are set in fixed-offset zones chosen from the clock, so "open now" and "closed for
//! hours" hold whenever the test runs.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use chrono_tz::Tz;
use outreachd::domain::{SendWindow, StepSpec, TimezonePolicy};

use crate::fixtures::{Received, SeedPlan, lead_states, seed_plan, step, wait_for};
use crate::helpers::spawn_app_with;
use crate::observe::{LeadRow, eventually, lead_rows, local_time, send_rows, zone_at_local_hour};
use crate::sink::Sink;
use crate::support::TestBackend;

const FAST: &[(&str, &str)] = &[("OUTREACHD__DISPATCH__COMPLETION_FLUSH", "10ms")];

/// Time for a send that should not happen to show up.
const SETTLE: Duration = Duration::from_secs(4);

fn one_step() -> Vec<StepSpec> {
    vec![step("0s", Some("Hi {{ first_name }}"), "Hello.")]
}

/// Today's `hour`:00 in `tz`, or tomorrow's if that has passed.
fn next_local(tz: Tz, hour: u32) -> chrono::DateTime<Utc> {
    let now = Utc::now();
    let today = now.with_timezone(&tz).date_naive();
    let at = local_time(tz, today, hour);
    if at >= now {
        at
    } else {
        local_time(tz, today.succ_opt().expect("a next day"), hour)
    }
}

fn assert_due_at(leads: &[&LeadRow], at: chrono::DateTime<Utc>) {
    for lead in leads {
        assert_eq!(lead.status, "active", "{lead:?}");
        assert_eq!(
            lead.next_scheduled_at,
            Some(at),
            "{} waits for the window's next opening",
            lead.email
        );
    }
}

async fn a_due_lead_outside_the_window_waits_for_its_opening(backend: TestBackend) {
    let sink = Sink::start(&[]).await;
    let app = spawn_app_with(backend, FAST).await;
    // About noon in the campaign's zone; the window opens at 15:00 there.
    let (zone, tz) = zone_at_local_hour(12);
    let mut plan = SeedPlan::new(1, 4, one_step());
    plan.rules.window = SendWindow::parse("all", "15:00", "16:00").unwrap();
    plan.rules.timezone = zone;
    let seeded = seed_plan(app.store.as_ref(), sink.port, plan).await;
    app.supervisor.notify();
    tokio::time::sleep(SETTLE).await;
    assert!(sink.dumps(1).await.is_empty(), "nothing is sent early");
    let opening = next_local(tz, 15);
    let leads = lead_rows(&app.database_url, seeded.campaign).await;
    assert_eq!(leads.len(), 4, "nothing is lost");
    assert_due_at(&leads.iter().collect::<Vec<_>>(), opening);
    for send in send_rows(&app.database_url, seeded.campaign).await {
        assert!(
            send.state == "retry" && send.attempts == 0,
            "a closed window is nobody's fault: {send:?}"
        );
    }
}

async fn with_the_lead_policy_each_leads_own_clock_opens_the_window(backend: TestBackend) {
    let sink = Sink::start(&[]).await;
    let app = spawn_app_with(backend, FAST).await;
    // Window 10:00-15:00 local: open for leads where it is noon, closed where it is 06:xx.
    let (noon, _) = zone_at_local_hour(12);
    let (dawn, dawn_tz) = zone_at_local_hour(6);
    let mut plan = SeedPlan::new(1, 8, one_step());
    plan.rules.window = SendWindow::parse("all", "10:00", "15:00").unwrap();
    plan.rules.timezone_policy = TimezonePolicy::Lead;
    plan.lead = Box::new(move |i, mut lead| {
        lead.timezone = Some(if i < 4 { noon.clone() } else { dawn.clone() });
        lead
    });
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
    let mut to: Vec<String> = sink
        .dumps(5)
        .await
        .iter()
        .map(|d| {
            Received::parse(d)
                .header("to")
                .unwrap_or_default()
                .to_owned()
        })
        .collect();
    to.sort();
    assert_eq!(to.len(), 4, "only the leads whose window is open: {to:?}");
    for (i, t) in to.iter().enumerate() {
        assert!(t.contains(&format!("lead{i}@")), "{to:?}");
    }
    let leads = lead_rows(&app.database_url, seeded.campaign).await;
    let waiting: Vec<&LeadRow> = leads.iter().filter(|l| l.status != "completed").collect();
    assert_eq!(waiting.len(), 4, "{leads:#?}");
    assert_due_at(&waiting, next_local(dawn_tz, 10));
}

async fn a_follow_up_due_after_the_window_closes_moves_to_the_next_opening(backend: TestBackend) {
    let sink = Sink::start(&[]).await;
    let app = spawn_app_with(backend, FAST).await;
    // Noon in the campaign's zone, window 10:00-15:00: step 2, four hours later, falls at 16:xx.
    let (zone, tz) = zone_at_local_hour(12);
    let mut plan = SeedPlan::new(
        1,
        2,
        vec![
            step("0s", Some("Hi {{ first_name }}"), "Step one."),
            step("4h", None, "Step two."),
        ],
    );
    plan.rules.window = SendWindow::parse("all", "10:00", "15:00").unwrap();
    plan.rules.timezone = zone;
    let seeded = seed_plan(app.store.as_ref(), sink.port, plan).await;
    app.supervisor.notify();
    let url = app.database_url.as_str();
    let leads = eventually(
        Duration::from_secs(30),
        "step one of both leads",
        || async {
            let leads = lead_rows(url, seeded.campaign).await;
            leads.iter().all(|l| l.step == 2).then_some(leads)
        },
    )
    .await;
    assert_eq!(sink.dumps(2).await.len(), 2, "step one went out at once");
    let tomorrow = Utc::now().with_timezone(&tz).date_naive() + TimeDelta::days(1);
    assert_due_at(
        &leads.iter().collect::<Vec<_>>(),
        local_time(tz, tomorrow, 10),
    );
}

crate::on_both_backends!(
    a_due_lead_outside_the_window_waits_for_its_opening,
    with_the_lead_policy_each_leads_own_clock_opens_the_window,
    a_follow_up_due_after_the_window_closes_moves_to_the_next_opening,
);
