//! Texts written ahead: with a model writing the texts, leads due within
//! `dispatch.generate_ahead` get their text before they are due, once, and the sends use it.
//! The model is a local server speaking the OpenAI chat-completions format.

use std::time::Duration;

use chrono::Utc;
use outreachd::domain::{EmailAddress, NewLead, PrefetchRequest};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::fixtures::{Received, lead_states, seed, step, wait_for};
use crate::helpers::spawn_app_with;
use crate::sink::Sink;
use crate::support::TestBackend;

const LEADS: usize = 12;

/// A chat completion whose content is the email the model "wrote".
fn completion() -> ResponseTemplate {
    let content = r#"{"subject": "Written ahead", "body": "Hello from the model.\n\nSender"}"#;
    ResponseTemplate::new(200)
        .set_body_json(serde_json::json!({
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "model": "gpt-test",
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop"
            }],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}
        }))
        .set_delay(Duration::from_millis(200))
}

async fn leads_due_soon_get_their_text_before_they_are_due_and_once(backend: TestBackend) {
    let model = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .respond_with(completion())
        .mount(&model)
        .await;
    let sink = Sink::start(&[]).await;
    let base_url = model.uri();
    let app = spawn_app_with(
        backend,
        &[
            ("OUTREACHD__CONTENT__PROVIDER", "openai_compatible"),
            ("OUTREACHD__CONTENT__ON_FAILURE", "fail"),
            (
                "OUTREACHD__AI__OPENAI_COMPATIBLE__BASE_URL",
                base_url.as_str(),
            ),
            ("OUTREACHD__AI__OPENAI_COMPATIBLE__MODEL", "gpt-test"),
            ("OUTREACHD__DISPATCH__GENERATE_AHEAD", "1m"),
            ("OUTREACHD__DISPATCH__COMPLETION_FLUSH", "10ms"),
        ],
    )
    .await;
    let store = app.store.as_ref();
    let seeded = seed(
        store,
        sink.port,
        2,
        0,
        vec![step("0s", Some("Hi"), "Template body")],
    )
    .await;
    let new: Vec<NewLead> = (0..LEADS)
        .map(|i| NewLead {
            email: Some(EmailAddress::parse(&format!("lead{i}@rcpt.test")).unwrap()),
            first_name: Some(format!("Lead{i}")),
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
    let due = Utc::now() + chrono::TimeDelta::seconds(8);
    store
        .enroll_leads(seeded.workspace, seeded.campaign, &ids, due)
        .await
        .unwrap();
    app.supervisor.notify();

    // Every text is written and stored before any lead is due.
    let all_written = async {
        loop {
            let left = store
                .texts_to_write(&PrefetchRequest {
                    workspace_id: seeded.workspace,
                    campaign_id: seeded.campaign,
                    now: Utc::now(),
                    until: Utc::now() + chrono::TimeDelta::hours(1),
                    max_rows: 100,
                })
                .await
                .unwrap();
            if left.is_empty() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), all_written)
        .await
        .expect("the texts are written ahead");
    assert!(Utc::now() < due, "written before the leads were due");
    assert_eq!(sink.dumps(0).await.len(), 0, "nothing was sent early");

    let s = wait_for(store, seeded.workspace, Duration::from_secs(60), |s| {
        lead_states(s).get("completed") == Some(&(LEADS as u64))
    })
    .await;
    assert_eq!(s.campaigns[0].emails_sent, LEADS as u64);
    let received: Vec<Received> = sink
        .dumps(LEADS)
        .await
        .iter()
        .map(|d| Received::parse(d))
        .collect();
    assert_eq!(received.len(), LEADS);
    assert!(
        received
            .iter()
            .all(|r| r.header("subject") == Some("Written ahead")),
        "every send used the text written ahead"
    );
    let calls = model.received_requests().await.unwrap_or_default().len();
    assert_eq!(calls, LEADS, "one model call per lead and step");

    // The recorder is one per process (tests of both backends add to it): at least ours were
    // ready ahead, and no claim anywhere waited on the model.
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let count = |when: &str| -> u64 {
        let series = format!("outreachd_content_ready_total{{when=\"{when}\"}} ");
        metrics
            .lines()
            .find_map(|l| l.strip_prefix(series.as_str()))
            .map_or(0, |v| v.trim().parse().unwrap())
    };
    assert!(count("ahead") >= LEADS as u64, "{metrics}");
    assert_eq!(count("at_claim"), 0, "no claim waited on the model");
}

crate::on_both_backends!(leads_due_soon_get_their_text_before_they_are_due_and_once);
