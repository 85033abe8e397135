//! `outreachd review list|resolve`: a message the classifier left to a person is listed with
//! its reason and lead, resolved once with a reading that answers it, then listed only with
//! `--all`.

use std::sync::Arc;

use chrono::Utc;
use outreachd::domain::{EmailAddress, InboundRecord};
use outreachd::imap::actions_for;
use outreachd::imap::classify::{Classification, Confidence, Judgement, ReviewReason};
use outreachd::store::{OpenMode, Store};

use crate::helpers::{outreachd, settings, stderr};
use crate::ops::{MAILBOX, Ops, apply_file, campaign};

async fn open(ops: &Ops) -> Arc<dyn Store> {
    outreachd::startup::install_crypto_provider();
    outreachd::startup::open_store(&settings(&ops.env), OpenMode::Tool)
        .await
        .expect("open store")
}

/// Records, as the poller does, a reply from `email` that may be an opt-out.
async fn unsure_reply(ops: &Ops, email: &str) {
    let store = open(ops).await;
    let ws = store.workspace_by_name("ops").await.unwrap().unwrap();
    let mailbox = store
        .mailbox_by_address(ws.id, &EmailAddress::parse(MAILBOX).unwrap())
        .await
        .unwrap()
        .unwrap();
    let judgement = Judgement {
        classification: Classification::Reply {
            send_id: None,
            lead_email: EmailAddress::parse(email).ok(),
        },
        confidence: Confidence::Low,
        needs_review: Some(ReviewReason::UnsubscribeOrReply),
        evidence: Vec::new(),
    };
    let record = InboundRecord {
        workspace_id: ws.id,
        mailbox_id: mailbox.id,
        message_id: "<maybe-out@rcpt.test>".into(),
        folder: "INBOX".into(),
        class: "reply",
        received_at: Utc::now(),
        actions: actions_for(&judgement, 3),
        needs_review: judgement.needs_review,
        judgement: serde_json::to_value(&judgement).ok(),
        reply: None,
    };
    store.record_inbound(&record).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_is_listed_resolved_once_and_then_listed_with_all() {
    let ops = Ops::new();
    ops.write_apply(&apply_file("outbox", 25, "", &campaign("Seq", "")));
    ops.apply();
    ops.enrol("Seq", &["a@rcpt.test"]);
    assert!(ops.ok(&["review", "list"]).contains("No reviews."));
    unsure_reply(&ops, "a@rcpt.test").await;

    let text = ops.ok(&["review", "list", "-w", "ops"]);
    assert!(
        text.contains("unsubscribe_or_reply") && text.contains("a@rcpt.test"),
        "{text}"
    );
    let listed: Vec<serde_json::Value> =
        serde_json::from_str(&ops.ok(&["review", "list", "--json"])).expect("JSON");
    let id = listed[0]["id"].as_str().unwrap().to_owned();

    let wrong = outreachd(&["review", "resolve", &id, "--as", "hard"], &ops.env);
    assert!(!wrong.status.success());
    assert!(
        stderr(&wrong).contains("resolve it as one of"),
        "{}",
        stderr(&wrong)
    );
    let out = ops.ok(&["review", "resolve", &id, "--as", "dismiss"]);
    assert!(out.contains("resolved as dismiss"), "{out}");
    let again = outreachd(&["review", "resolve", &id, "--as", "reply"], &ops.env);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("resolved already"),
        "{}",
        stderr(&again)
    );

    assert!(ops.ok(&["review", "list"]).contains("No reviews."));
    let all = ops.ok(&["review", "list", "--all"]);
    assert!(
        all.contains(&id) && all.contains("resolved as dismiss"),
        "{all}"
    );
}
