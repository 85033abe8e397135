//! The happy path: a multi-step sequence over several mailboxes, exactly once per lead and
//! step, from the lead's own mailbox, threaded under the first message.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::fixtures::{Received, lead_states, seed, seed_with, step, wait_for};
use crate::helpers::spawn_app_with;
use crate::sink::Sink;
use crate::support::TestBackend;

const FAST: &[(&str, &str)] = &[
    ("OUTREACHD__DISPATCH__COMPLETION_FLUSH", "10ms"),
    ("OUTREACHD__DISPATCH__RETRY_BACKOFF", "200ms"),
    ("OUTREACHD__DISPATCH__THROTTLE_COOLDOWN", "500ms"),
];

async fn every_lead_gets_each_step_once_from_its_own_mailbox_threaded(backend: TestBackend) {
    let sink = Sink::start(&[]).await;
    let app = spawn_app_with(backend, FAST).await;
    let steps = vec![
        step(
            "0s",
            Some("{Hello|Hi} {{ first_name }}"),
            "Step one for {{ company }}.\n{{ sender.signature }}",
        ),
        step("1s", None, "Step two, {{ first_name }}."),
        step("1s", Some("Last one"), "Step three."),
    ];
    let seeded = seed(app.store.as_ref(), sink.port, 5, 200, steps).await;
    app.supervisor.notify();
    let s = wait_for(
        app.store.as_ref(),
        seeded.workspace,
        Duration::from_secs(60),
        |s| lead_states(s).get("completed") == Some(&200),
    )
    .await;
    assert_eq!(s.campaigns[0].emails_sent, 600);

    let received: Vec<Received> = sink
        .dumps(600)
        .await
        .iter()
        .map(|d| Received::parse(d))
        .collect();
    assert_eq!(received.len(), 600, "the sink saw exactly 600 transactions");
    let mut by_lead: BTreeMap<String, Vec<&Received>> = BTreeMap::new();
    for r in &received {
        assert_eq!(r.count("from"), 1);
        assert_eq!(r.count("to"), 1);
        assert!(
            r.header("list-unsubscribe")
                .is_some_and(|v| v.contains("mailto:"))
        );
        let to = r.header("to").unwrap().to_owned();
        by_lead.entry(to).or_default().push(r);
    }
    assert_eq!(by_lead.len(), 200, "every lead received mail");
    for (to, messages) in by_lead {
        assert_eq!(messages.len(), 3, "{to} got each step exactly once");
        let senders: BTreeSet<_> = messages.iter().map(|m| m.header("from").unwrap()).collect();
        assert_eq!(
            senders.len(),
            1,
            "{to} got all steps from one mailbox: {senders:?}"
        );
        let first = messages
            .iter()
            .find(|m| m.header("in-reply-to").is_none())
            .expect("a first message");
        let first_id = first.header("message-id").unwrap();
        let subject = first.header("subject").unwrap();
        for m in messages
            .iter()
            .filter(|m| m.header("in-reply-to").is_some())
        {
            assert_eq!(
                m.header("in-reply-to"),
                Some(first_id),
                "{to}: follow-ups thread under step 1"
            );
            assert!(m.header("references").unwrap().contains(first_id));
        }
        assert!(
            messages
                .iter()
                .any(|m| m.header("subject") == Some(&format!("Re: {subject}"))),
            "{to}: step 2 replies in thread"
        );
        assert!(
            messages
                .iter()
                .any(|m| m.header("subject") == Some("Last one"))
        );
    }
    // The load spread across all five mailboxes.
    let senders: BTreeSet<_> = received
        .iter()
        .map(|r| r.header("from").unwrap().to_owned())
        .collect();
    assert_eq!(senders.len(), 5);
}

async fn an_unknown_template_variable_fails_the_step_with_its_reason(backend: TestBackend) {
    let sink = Sink::start(&[]).await;
    let app = spawn_app_with(backend, FAST).await;
    let steps = vec![step(
        "0s",
        Some("Hi {{ first_name }}"),
        "Hello {{ first_nme }}",
    )];
    let seeded = seed(app.store.as_ref(), sink.port, 1, 3, steps).await;
    app.supervisor.notify();
    wait_for(
        app.store.as_ref(),
        seeded.workspace,
        Duration::from_secs(20),
        |s| lead_states(s).get("failed") == Some(&3),
    )
    .await;
    assert!(
        sink.dumps(1).await.is_empty(),
        "no email with a blank hole was sent"
    );
    let reason = crate::support::stop_reasons(&app.database_url, seeded.campaign).await;
    assert!(reason.iter().all(|r| r.contains("first_nme")), "{reason:?}");
}

async fn crlf_in_lead_data_cannot_inject_a_header(backend: TestBackend) {
    let sink = Sink::start(&[]).await;
    let app = spawn_app_with(backend, FAST).await;
    let steps = vec![step(
        "0s",
        Some("Hi {{ first_name }}"),
        "Hello {{ first_name }}\r\n.\r\nMAIL FROM:<evil@x.test>\r\n",
    )];
    let seeded = seed_with(app.store.as_ref(), sink.port, 1, 1, steps, |_, mut lead| {
        lead.first_name = Some("Eve\r\nBcc: victim@x.test".into());
        lead
    })
    .await;
    app.supervisor.notify();
    wait_for(
        app.store.as_ref(),
        seeded.workspace,
        Duration::from_secs(20),
        |s| lead_states(s).get("completed") == Some(&1),
    )
    .await;
    let dumps = sink.dumps(1).await;
    assert_eq!(dumps.len(), 1, "one transaction, not two");
    let r = Received::parse(&dumps[0]);
    assert_eq!(r.count("bcc"), 0);
    assert_eq!(r.count("subject"), 1);
    assert!(!r.header("subject").unwrap().contains('\n'));
}

crate::on_both_backends!(
    every_lead_gets_each_step_once_from_its_own_mailbox_threaded,
    an_unknown_template_variable_fails_the_step_with_its_reason,
    crlf_in_lead_data_cannot_inject_a_header,
);
