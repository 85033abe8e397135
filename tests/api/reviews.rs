//! Messages that need review over HTTP: the poller's record of an unsure message is listed
//! (open, then resolved) with its reading and evidence, page by page; members resolve it once
//! (a second time is 409, a reading that does not answer the review 422); viewers read only.

use chrono::Utc;
use outreachd::domain::{EmailAddress, InboundRecord, MailboxId, Role, WorkspaceId};
use outreachd::imap::actions_for;
use outreachd::imap::classify::{Classification, Confidence, Evidence, Judgement, ReviewReason};
use reqwest::StatusCode;
use serde_json::json;

use crate::campaign_run::ran;
use crate::client::signed_in;
use crate::fixtures::step;
use crate::helpers::{TestApp, spawn_app};
use crate::support::TestBackend;

crate::on_both_backends!(
    an_unsure_reply_is_listed_resolved_once_and_then_listed_as_resolved,
    a_viewer_reads_reviews_but_cannot_resolve_them,
);

/// Records, as the IMAP poller does, a reply from `email` that may be an opt-out.
pub async fn unsure_reply(
    app: &TestApp,
    ws: WorkspaceId,
    mailbox: MailboxId,
    key: &str,
    email: &str,
) {
    let judgement = Judgement {
        classification: Classification::Reply {
            send_id: None,
            lead_email: EmailAddress::parse(email).ok(),
        },
        confidence: Confidence::Low,
        needs_review: Some(ReviewReason::UnsubscribeOrReply),
        evidence: vec![Evidence {
            rule: "opt_out_words".into(),
            at: "body line 2".into(),
            text: "please remove me".into(),
        }],
    };
    let record = InboundRecord {
        workspace_id: ws,
        mailbox_id: mailbox,
        message_id: format!("<{key}@rcpt.test>"),
        folder: "INBOX".into(),
        class: "reply",
        received_at: Utc::now(),
        actions: actions_for(&judgement, 3),
        needs_review: judgement.needs_review,
        judgement: serde_json::to_value(&judgement).ok(),
        reply: None,
    };
    app.store.record_inbound(&record).await.unwrap();
}

async fn an_unsure_reply_is_listed_resolved_once_and_then_listed_as_resolved(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    let run = ran(&app, 2, vec![step("0s", Some("Hi"), "Hello.")], |_, l| l).await;
    let ws = run.seeded.workspace;
    unsure_reply(&app, ws, run.mailbox, "m0", "lead0@rcpt.test").await;
    unsure_reply(&app, ws, run.mailbox, "m1", "lead1@rcpt.test").await;

    let (status, first) = member.get("/api/v1/reviews?status=open&limit=1").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    let review = &first["items"][0];
    assert_eq!(review["reason"], "unsubscribe_or_reply", "{first}");
    assert_eq!(review["lead_email"], "lead0@rcpt.test");
    assert_eq!(review["message_id"], "<m0@rcpt.test>");
    assert_eq!(review["status"], "open");
    assert_eq!(review["resolution"], json!(null));
    assert_eq!(review["classification"]["class"], "reply");
    assert_eq!(review["classification"]["confidence"], "low");
    assert_eq!(review["evidence"][0]["at"], "body line 2");
    assert!(
        review["mailbox"].as_str().unwrap().contains('@'),
        "{review}"
    );
    assert!(review["received_at"].is_string());
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let (_, second) = member
        .get(&format!("/api/v1/reviews?limit=1&cursor={cursor}"))
        .await;
    assert_eq!(
        second["items"][0]["lead_email"], "lead1@rcpt.test",
        "{second}"
    );
    assert_eq!(second["next_cursor"], json!(null));

    let id = review["id"].as_str().unwrap();
    let path = format!("/api/v1/reviews/{id}/resolve");
    let (wrong, problem) = member.post(&path, json!({"as": "hard"})).await;
    assert_eq!(wrong, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (ok, resolved) = member.post(&path, json!({"as": "unsubscribe"})).await;
    assert_eq!(ok, StatusCode::OK, "{resolved}");
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(resolved["resolution"], "unsubscribe");
    assert!(
        resolved["resolved_by"]
            .as_str()
            .unwrap()
            .starts_with("user:"),
        "{resolved}"
    );
    let (twice, problem) = member.post(&path, json!({"as": "reply"})).await;
    assert_eq!(twice, StatusCode::CONFLICT, "{problem}");

    let (_, suppressed) = member.get("/api/v1/suppressions?q=lead0").await;
    assert_eq!(
        suppressed["items"].as_array().unwrap().len(),
        1,
        "{suppressed}"
    );
    let (_, open) = member.get("/api/v1/reviews?status=open").await;
    assert_eq!(open["items"].as_array().unwrap().len(), 1, "{open}");
    let (_, done) = member.get("/api/v1/reviews?status=resolved").await;
    assert_eq!(done["items"][0]["id"], id, "{done}");
    let (_, one) = member.get(&format!("/api/v1/reviews/{id}")).await;
    assert_eq!(one["resolution"], "unsubscribe", "{one}");
}

async fn a_viewer_reads_reviews_but_cannot_resolve_them(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let viewer = signed_in(&app, "acme", Role::Viewer).await;
    let run = ran(&app, 1, vec![step("0s", Some("Hi"), "Hello.")], |_, l| l).await;
    unsure_reply(
        &app,
        run.seeded.workspace,
        run.mailbox,
        "m0",
        "lead0@rcpt.test",
    )
    .await;

    let (status, list) = viewer.get("/api/v1/reviews").await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let id = list["items"][0]["id"].as_str().unwrap();
    let (forbidden, problem) = viewer
        .post(
            &format!("/api/v1/reviews/{id}/resolve"),
            json!({"as": "dismiss"}),
        )
        .await;
    assert_eq!(forbidden, StatusCode::FORBIDDEN, "{problem}");
    let (_, still) = viewer.get(&format!("/api/v1/reviews/{id}")).await;
    assert_eq!(still["status"], "open", "{still}");
    let (bad, _) = viewer.get("/api/v1/reviews?status=maybe").await;
    assert!(bad.is_client_error());
}
