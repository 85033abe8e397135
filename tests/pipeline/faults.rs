//! SMTP faults through the whole pipeline, each from a real `smtp-sink` fault option.

use std::time::Duration;

use crate::fixtures::{
    lead_states, seed, step, wait_for, wait_until_a_mailbox_cools, wait_until_a_mailbox_pauses,
};
use crate::helpers::spawn_app_with;
use crate::observe::send_rows;
use crate::sink::Sink;
use crate::support::{TestBackend, send_states};

const FAST: &[(&str, &str)] = &[
    ("OUTREACHD__DISPATCH__COMPLETION_FLUSH", "10ms"),
    ("OUTREACHD__DISPATCH__RETRY_BACKOFF", "300ms"),
    ("OUTREACHD__DISPATCH__THROTTLE_COOLDOWN", "1s"),
];

fn one_step() -> Vec<outreachd::domain::StepSpec> {
    vec![step("0s", Some("Hi {{ first_name }}"), "Hello.")]
}

async fn a_temporary_rcpt_failure_is_retried_then_sent(backend: TestBackend) {
    let failing = Sink::start(&["-r", "RCPT"]).await;
    let port = failing.port;
    let app = spawn_app_with(backend, FAST).await;
    let seeded = seed(app.store.as_ref(), port, 1, 3, one_step()).await;
    app.supervisor.notify();
    // Let an attempt fail (and be counted), then replace the sink by a healthy one on the
    // same port.
    let start = std::time::Instant::now();
    while !send_rows(&app.database_url, seeded.campaign)
        .await
        .iter()
        .any(|s| s.attempts >= 1)
    {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no failed attempt was counted"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let port = failing.stop();
    let healthy = Sink::start_on(port, &[]).await;
    wait_for(
        app.store.as_ref(),
        seeded.workspace,
        Duration::from_secs(30),
        |s| lead_states(s).get("completed") == Some(&3),
    )
    .await;
    assert_eq!(healthy.dumps(3).await.len(), 3);
}

async fn a_permanent_rcpt_failure_bounces_and_suppresses(backend: TestBackend) {
    let sink = Sink::start(&["-f", "RCPT", "-B", "550 5.1.1 User unknown"]).await;
    let app = spawn_app_with(backend, FAST).await;
    let seeded = seed(app.store.as_ref(), sink.port, 1, 2, one_step()).await;
    app.supervisor.notify();
    let s = wait_for(
        app.store.as_ref(),
        seeded.workspace,
        Duration::from_secs(20),
        // The summary's counts come from separate statements: wait for both.
        |s| lead_states(s).get("bounced") == Some(&2) && s.suppressions == 2,
    )
    .await;
    assert_eq!(
        s.suppressions, 2,
        "both addresses are suppressed workspace-wide"
    );
}

async fn a_relay_that_will_not_relay_for_us_pauses_the_mailbox_and_blames_no_lead(
    backend: TestBackend,
) {
    // What Postfix answers a client that should have logged in and did not.
    let sink = Sink::start(&["-f", "RCPT", "-B", "554 5.7.1 Relay access denied"]).await;
    let app = spawn_app_with(backend, FAST).await;
    let seeded = seed(app.store.as_ref(), sink.port, 1, 3, one_step()).await;
    app.supervisor.notify();
    let s = wait_until_a_mailbox_pauses(app.store.as_ref(), seeded.workspace).await;
    assert_eq!(lead_states(&s).get("active"), Some(&3), "{s:#?}");
    assert_eq!(s.suppressions, 0, "no address is suppressed");
    let states = send_states(&app.database_url, seeded.campaign).await;
    assert!(
        !states.contains_key("failed") && !states.contains_key("bounced"),
        "{states:?}"
    );
}

async fn a_421_at_connect_cools_the_mailbox_and_requeues_the_leads(backend: TestBackend) {
    let sink = Sink::start(&["-Q", "CONNECT"]).await;
    let app = spawn_app_with(backend, FAST).await;
    let seeded = seed(app.store.as_ref(), sink.port, 1, 3, one_step()).await;
    app.supervisor.notify();
    let s = wait_until_a_mailbox_cools(app.store.as_ref(), seeded.workspace).await;
    assert_eq!(
        lead_states(&s).get("active"),
        Some(&3),
        "leads are requeued, not blamed"
    );
    let states = send_states(&app.database_url, seeded.campaign).await;
    assert!(
        !states.contains_key("failed") && !states.contains_key("bounced"),
        "{states:?}"
    );
}

async fn once_a_421_cools_the_mailbox_the_rest_of_its_batch_is_held_not_sent(backend: TestBackend) {
    let sink = Sink::start(&["-Q", "MAIL"]).await;
    let app = spawn_app_with(backend, FAST).await;
    let seeded = seed(app.store.as_ref(), sink.port, 1, 12, one_step()).await;
    app.supervisor.notify();
    wait_until_a_mailbox_cools(app.store.as_ref(), seeded.workspace).await;
    // Let whatever was queued or marked reach its outcome.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rows = send_rows(&app.database_url, seeded.campaign).await;
    let tried: Vec<_> = rows
        .iter()
        .filter(|r| r.last_error.as_deref().is_some_and(|e| e.contains("421")))
        .collect();
    assert_eq!(
        tried.len(),
        1,
        "only the send that met the 421 went to the server: {rows:?}"
    );
    assert!(
        rows.iter().all(|r| r.state != "sent" && r.attempts == 0),
        "{rows:?}"
    );
}

async fn a_lost_connection_after_the_data_is_unknown_and_never_resent(backend: TestBackend) {
    let sink = Sink::start(&["-q", "."]).await;
    let app = spawn_app_with(backend, FAST).await;
    let seeded = seed(app.store.as_ref(), sink.port, 1, 2, one_step()).await;
    app.supervisor.notify();
    let url = app.database_url.clone();
    let campaign = seeded.campaign;
    let start = std::time::Instant::now();
    loop {
        let states = send_states(&url, campaign).await;
        if states.get("unknown") == Some(&2) {
            break;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "{states:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Nothing is resent: two transactions reached the sink, and stay two.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(sink.dumps(3).await.len(), 2);
    assert_eq!(send_states(&url, campaign).await.get("unknown"), Some(&2));
}

crate::on_both_backends!(
    a_temporary_rcpt_failure_is_retried_then_sent,
    a_permanent_rcpt_failure_bounces_and_suppresses,
    a_relay_that_will_not_relay_for_us_pauses_the_mailbox_and_blames_no_lead,
    a_421_at_connect_cools_the_mailbox_and_requeues_the_leads,
    once_a_421_cools_the_mailbox_the_rest_of_its_batch_is_held_not_sent,
    a_lost_connection_after_the_data_is_unknown_and_never_resent,
);
