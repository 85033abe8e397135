//! Lead replies and their answers over HTTP, end to end: a reply recorded as the IMAP poller
//! records it is drafted by the configured model (a local server speaking the OpenAI
//! chat-completions format), approved by a member, and arrives at the smtp-sink once, in the
//! lead's thread. Viewers read only; another workspace's reply is 404; an illegal move is 409.

use std::time::Duration;

use chrono::Utc;
use outreachd::domain::{InboundAction, InboundRecord, MailboxId, ReplyContent, Role, WorkspaceId};
use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::client::{ApiClient, signed_in};
use crate::fixtures::{SeedPlan, seed_plan, step, wait_for};
use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use crate::sink::{Sink, message};
use crate::support::TestBackend;

crate::on_both_backends!(
    an_answer_drafted_by_the_model_and_approved_arrives_once_in_the_leads_thread,
    replies_follow_roles_tenancy_and_their_states,
);

const ANSWER: &str = "It is 10 EUR per seat a month. Shall we look at it together on Tuesday?";

/// An answer as OpenAI's chat completions send it, with `content` as the message.
fn completion(content: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-reply",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "reply-model",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": null},
            "logprobs": null,
            "finish_reason": "stop"
        }],
        "usage": {"prompt_tokens": 800, "completion_tokens": 60, "total_tokens": 860}
    }))
}

/// Seeds one lead into a running two-step campaign sending to `sink`, and waits for step 1.
async fn step_one_sent(app: &TestApp, sink: &Sink) -> (WorkspaceId, MailboxId) {
    let steps = vec![
        step("0s", Some("Faster invoicing"), "Hello there."),
        step("3d", None, "Following up."),
    ];
    let seeded = seed_plan(app.store.as_ref(), sink.port, SeedPlan::new(1, 1, steps)).await;
    wait_for(
        app.store.as_ref(),
        seeded.workspace,
        Duration::from_secs(30),
        |s| s.campaigns[0].emails_sent >= 1,
    )
    .await;
    let mailbox = app.store.list_mailboxes(seeded.workspace).await.unwrap()[0].id;
    (seeded.workspace, mailbox)
}

/// Records, as the IMAP poller does, lead0's reply asking for the price.
async fn lead_replies(app: &TestApp, ws: WorkspaceId, mailbox: MailboxId) {
    let record = InboundRecord {
        workspace_id: ws,
        mailbox_id: mailbox,
        message_id: "<question@rcpt.test>".into(),
        folder: "INBOX".into(),
        class: "reply",
        received_at: Utc::now(),
        actions: vec![InboundAction::Reply {
            send_id: None,
            email: Some("lead0@rcpt.test".into()),
        }],
        needs_review: None,
        judgement: None,
        reply: Some(ReplyContent {
            message_id: "<question@rcpt.test>".into(),
            subject: "Re: Faster invoicing".into(),
            text: "Sounds interesting. What does it cost?".into(),
        }),
    };
    let out = app.store.record_inbound(&record).await.unwrap();
    assert!(out.reply.is_some(), "{out:?}");
}

/// The workspace's only reply, once it is in `status` (within 10 s).
async fn reply_in(client: &ApiClient<'_>, status: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (code, list) = client.get("/api/v1/replies").await;
        assert_eq!(code, StatusCode::OK, "{list}");
        let item = list["items"][0].clone();
        if item["status"] == status {
            return item;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no reply {status}: {list}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn an_answer_drafted_by_the_model_and_approved_arrives_once_in_the_leads_thread(
    backend: TestBackend,
) {
    let model = MockServer::start().await;
    let answer = json!({"subject": "Pricing", "body": ANSWER}).to_string();
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .respond_with(completion(&answer))
        .mount(&model)
        .await;
    let uri = model.uri();
    let app = spawn_app_with(
        backend,
        &[
            ("OUTREACHD__REPLIES__ENABLED", "true"),
            ("OUTREACHD__REPLIES__PROVIDER", "openai_compatible"),
            ("OUTREACHD__REPLIES__MODEL", "reply-model"),
            ("OUTREACHD__REPLIES__RETRY_INTERVAL", "200ms"),
            ("OUTREACHD__AI__OPENAI_COMPATIBLE__BASE_URL", uri.as_str()),
        ],
    )
    .await;
    let member = signed_in(&app, "acme", Role::Member).await;
    let sink = Sink::start(&[]).await;
    let (ws, mailbox) = step_one_sent(&app, &sink).await;
    let first = sink.dumps(1).await;
    assert_eq!(first.len(), 1);
    let thread_id = header(message(&first[0]), "message-id").expect("step 1's Message-ID");
    lead_replies(&app, ws, mailbox).await;

    let drafted = reply_in(&member, "drafted").await;
    assert_eq!(
        drafted["draft_subject"], "Re: Faster invoicing",
        "{drafted}"
    );
    assert_eq!(drafted["draft_body"], ANSWER);
    assert_eq!(drafted["body"], "Sounds interesting. What does it cost?");
    let asked = model.received_requests().await.unwrap();
    let prompt = String::from_utf8_lossy(&asked[0].body).into_owned();
    assert!(prompt.contains("What does it cost?"), "{prompt}");
    assert!(prompt.contains("Hello there."), "the thread: {prompt}");

    let id = drafted["id"].as_str().unwrap();
    let (code, approved) = member
        .post(&format!("/api/v1/replies/{id}/approve"), json!({}))
        .await;
    assert_eq!(code, StatusCode::OK, "{approved}");
    let sent = reply_in(&member, "sent").await;
    let dumps = sink.dumps(2).await;
    assert_eq!(dumps.len(), 2, "step 1 and the answer, nothing more");
    tokio::time::sleep(Duration::from_millis(600)).await;
    assert_eq!(sink.dumps(3).await.len(), 2, "the answer went out once");
    let answer = dumps
        .iter()
        .map(|d| message(d))
        .find(|m| m.contains("Pricing") || m.contains("10 EUR"))
        .expect("the answer at the sink");
    assert_eq!(
        header(answer, "in-reply-to").as_deref(),
        Some("<question@rcpt.test>"),
        "{answer}"
    );
    let references = header(answer, "references").unwrap_or_default();
    assert!(
        references.contains(&thread_id) && references.contains("<question@rcpt.test>"),
        "{references}"
    );
    assert_eq!(
        header(answer, "subject").as_deref(),
        Some("Re: Faster invoicing")
    );
    assert!(
        header(answer, "to")
            .unwrap_or_default()
            .contains("lead0@rcpt.test")
    );
    assert_eq!(
        sent["sent_message_id"],
        header(answer, "message-id").unwrap()
    );
    let (code, twice) = member
        .post(&format!("/api/v1/replies/{id}/approve"), json!({}))
        .await;
    assert_eq!(
        code,
        StatusCode::CONFLICT,
        "approving a sent answer: {twice}"
    );
}

/// A header's value (unfolded), by case-insensitive name.
fn header(message: &str, name: &str) -> Option<String> {
    let head = message.split("\r\n\r\n").next().unwrap_or(message);
    let head = head.split("\n\n").next().unwrap_or(head);
    let unfolded = head
        .replace("\r\n ", " ")
        .replace("\n ", " ")
        .replace("\r\n\t", " ");
    unfolded.lines().find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}

async fn replies_follow_roles_tenancy_and_their_states(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    let viewer = signed_in(&app, "acme", Role::Viewer).await;
    let stranger = signed_in(&app, "other", Role::Admin).await;
    let sink = Sink::start(&[]).await;
    let (ws, mailbox) = step_one_sent(&app, &sink).await;
    lead_replies(&app, ws, mailbox).await;

    let pending = reply_in(&viewer, "pending").await;
    let id = pending["id"].as_str().unwrap();
    let one = format!("/api/v1/replies/{id}");
    let (code, _) = viewer.get(&one).await;
    assert_eq!(code, StatusCode::OK);
    let (code, list) = stranger.get("/api/v1/replies").await;
    assert_eq!(
        (code, list["items"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(0))
    );
    let (code, _) = stranger.get(&one).await;
    assert_eq!(code, StatusCode::NOT_FOUND);
    let (code, _) = stranger.post(&format!("{one}/discard"), json!({})).await;
    assert_eq!(code, StatusCode::NOT_FOUND);

    let (code, _) = viewer.post(&format!("{one}/approve"), json!({})).await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, problem) = member.post(&format!("{one}/approve"), json!({})).await;
    assert_eq!(code, StatusCode::CONFLICT, "no draft yet: {problem}");
    let (code, problem) = member
        .call(reqwest::Method::PATCH, &one, Some(json!({"body": "  "})))
        .await;
    assert_eq!(code, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (code, edited) = member
        .call(
            reqwest::Method::PATCH,
            &one,
            Some(json!({"body": "It is 10 EUR."})),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{edited}");
    assert_eq!(edited["status"], "drafted");
    assert_eq!(edited["draft_subject"], "Re: Faster invoicing");
    let (code, _) = viewer
        .call(reqwest::Method::PATCH, &one, Some(json!({"body": "x"})))
        .await;
    assert_eq!(code, StatusCode::FORBIDDEN);
    let (code, discarded) = member.post(&format!("{one}/discard"), json!({})).await;
    assert_eq!(code, StatusCode::OK, "{discarded}");
    assert!(
        discarded["decided_by"]
            .as_str()
            .unwrap()
            .starts_with("user:")
    );
    let (code, _) = member.post(&format!("{one}/approve"), json!({})).await;
    assert_eq!(code, StatusCode::CONFLICT, "a discarded answer");
    let (_, filtered) = viewer.get("/api/v1/replies?status=discarded").await;
    assert_eq!(
        filtered["items"].as_array().map(Vec::len),
        Some(1),
        "{filtered}"
    );
    let (_, none) = viewer.get("/api/v1/replies?status=sent").await;
    assert_eq!(none["items"].as_array().map(Vec::len), Some(0), "{none}");
}
