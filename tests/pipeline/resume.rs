//! An operator resumes a mailbox during its cooldown, while the daemon runs: the supervisor
//! replaces the cooling actor with a fresh one within its reconcile interval, and sending
//! starts again without waiting out the cooldown.

use std::time::Duration;

use chrono::Utc;
use outreachd::domain::{EmailAddress, NewLead};

use crate::fixtures::{
    lead_states, mailbox_spec, seed, step, summary, wait_for, wait_until_a_mailbox_cools,
};
use crate::helpers::spawn_app_with;
use crate::sink::Sink;
use crate::support::TestBackend;

/// A cooldown no test waits out.
const LONG_COOLDOWN: &[(&str, &str)] = &[
    ("OUTREACHD__DISPATCH__COMPLETION_FLUSH", "10ms"),
    ("OUTREACHD__DISPATCH__THROTTLE_COOLDOWN", "1h"),
];

async fn a_mailbox_resumed_during_its_cooldown_sends_again_at_once(backend: TestBackend) {
    let throttling = Sink::start(&["-Q", "CONNECT"]).await;
    let healthy = Sink::start(&[]).await;
    let app = spawn_app_with(backend, LONG_COOLDOWN).await;
    let store = app.store.as_ref();
    let steps = vec![step("0s", Some("Hi {{ first_name }}"), "Hello.")];
    let seeded = seed(store, throttling.port, 1, 1, steps).await;
    app.supervisor.notify();
    wait_until_a_mailbox_cools(store, seeded.workspace).await;
    let address = EmailAddress::parse("sender0@acme.test").unwrap();
    let cooling = store
        .mailbox_by_address(seeded.workspace, &address)
        .await
        .unwrap()
        .unwrap();
    let half_an_hour = Utc::now() + chrono::TimeDelta::minutes(30);
    assert!(cooling.cooling_until.is_some_and(|t| t > half_an_hour));

    // New leads due now wait for the mailbox; its relay is moved to a healthy one meanwhile.
    let new: Vec<NewLead> = ["late1@rcpt.test", "late2@rcpt.test"]
        .iter()
        .map(|e| NewLead {
            email: Some(EmailAddress::parse(e).unwrap()),
            first_name: Some("Late".into()),
            ..NewLead::default()
        })
        .collect();
    let ids: Vec<_> = store
        .insert_leads(seeded.workspace, &new)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id())
        .collect();
    store
        .enroll_leads(seeded.workspace, seeded.campaign, &ids, Utc::now())
        .await
        .unwrap();
    store
        .upsert_mailbox(seeded.workspace, &mailbox_spec(0, healthy.port))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        healthy.dumps(0).await.len(),
        0,
        "a cooling mailbox sends nothing"
    );

    let ws = outreachd::service::workspace(store, Some("acme"))
        .await
        .unwrap();
    let resumed = outreachd::service::mailboxes::resume(store, &ws, &address, Utc::now())
        .await
        .unwrap();
    assert!(resumed.changed && resumed.before.to_string() == "cooling");
    wait_for(store, seeded.workspace, Duration::from_secs(30), |s| {
        lead_states(s).get("completed") == Some(&2)
    })
    .await;
    assert_eq!(healthy.dumps(2).await.len(), 2);
    let s = summary(store, seeded.workspace).await;
    assert_eq!(s.mailboxes[0].status.to_string(), "active");
    assert_eq!(
        lead_states(&s).get("active"),
        Some(&1),
        "the lead held by the cooldown keeps its time"
    );
}

crate::on_both_backends!(a_mailbox_resumed_during_its_cooldown_sends_again_at_once);
