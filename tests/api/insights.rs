//! Company insights over HTTP, against local servers speaking Perplexity's and OpenAI's
//! chat-completions APIs: members refresh an insight, viewers read it, and a preview asks for a
//! missing one once and hands it to the email prompt. A refresh writes one `api_usage` row.

use outreachd::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::campaign_setup::{id, leads, mailboxes, workspace};
use crate::client::signed_in;
use crate::helpers::{TestApp, spawn_app_with};
use crate::sink::Sink;
use crate::support::TestBackend;
use crate::support::database::usage_rows;

crate::on_both_backends!(
    members_refresh_an_insight_and_viewers_read_it,
    a_preview_asks_for_a_missing_insight_once_and_gives_it_to_the_prompt,
);

const SUMMARY: &str = "Rcpt runs parcel lockers in Berlin.";

/// Perplexity answering every question about a company with [`SUMMARY`] and one source.
async fn perplexity() -> MockServer {
    let server = MockServer::start().await;
    let content = json!({
        "summary": SUMMARY,
        "recent_developments": ["Opened 40 lockers in Hamburg (Oct 2026)."],
        "facts": ["Founded 2019"],
        "citations": ["https://rcpt.test/about"],
    })
    .to_string();
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "1", "model": "sonar", "created": 1, "object": "chat.completion",
            "usage": {"prompt_tokens": 30, "completion_tokens": 90, "total_tokens": 120},
            "citations": ["https://news.test/rcpt-hamburg"],
            "search_results": [{"title": "Rcpt in Hamburg", "url": "https://news.test/rcpt-hamburg",
                                "date": "2026-10-01"}],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}]
        })))
        .mount(&server)
        .await;
    server
}

async fn app(backend: TestBackend, perplexity: &MockServer, extra: &[(&str, &str)]) -> TestApp {
    let base = perplexity.uri();
    let mut overrides = vec![
        ("OUTREACHD__INSIGHTS__ENABLED", "true"),
        ("OUTREACHD__AI__PERPLEXITY__BASE_URL", base.as_str()),
        ("OUTREACHD__AI__PERPLEXITY__API_KEY", "pplx-test-key"),
    ];
    overrides.extend_from_slice(extra);
    spawn_app_with(backend, &overrides).await
}

async fn members_refresh_an_insight_and_viewers_read_it(backend: TestBackend) {
    let perplexity = perplexity().await;
    let app = app(backend, &perplexity, &[]).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    let viewer = signed_in(&app, "acme", Role::Viewer).await;

    let (status, _) = viewer.get("/api/v1/insights/rcpt.test").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = viewer
        .post("/api/v1/insights/rcpt.test/refresh", json!({}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = member
        .post("/api/v1/insights/not_a_domain/refresh", json!({}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

    let (status, refreshed) = member
        .post("/api/v1/insights/WWW.Rcpt.test/refresh", json!({}))
        .await;

    assert_eq!(status, StatusCode::OK, "{refreshed}");
    assert_eq!(refreshed["insight"]["domain"], "rcpt.test");
    assert_eq!(refreshed["insight"]["summary"], SUMMARY);
    assert_eq!(refreshed["usage"]["provider"], "perplexity");
    assert_eq!(refreshed["usage"]["input_tokens"], 30);
    let urls: Vec<&Value> = refreshed["insight"]["citations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| &c["url"])
        .collect();
    assert_eq!(
        urls,
        [
            &json!("https://news.test/rcpt-hamburg"),
            &json!("https://rcpt.test/about")
        ]
    );
    let (status, shown) = viewer.get("/api/v1/insights/rcpt.test").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(shown, refreshed["insight"]);
    let (status, _) = signed_in(&app, "other", Role::Member)
        .await
        .get("/api/v1/insights/rcpt.test")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "another workspace has none");

    // The refresh wrote one usage row with the stub's tokens, for no lead (the recorder writes
    // in batches, so the row may land a moment later).
    let mut rows = Vec::new();
    for _ in 0..100 {
        rows = usage_rows(&app.database_url, "insight").await;
        if !rows.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(rows, vec![(30, 90, "ok".to_owned(), false)]);
}

async fn a_preview_asks_for_a_missing_insight_once_and_gives_it_to_the_prompt(
    backend: TestBackend,
) {
    let perplexity = perplexity().await;
    let openai = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .and(body_string_contains(SUMMARY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "c1", "object": "chat.completion", "created": 1, "model": "gpt-test",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant",
                "content": "{\"subject\": \"Lockers in Hamburg\", \"body\": \"Hi Lead0\"}"}}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20}
        })))
        .expect(2)
        .mount(&openai)
        .await;
    let openai_url = openai.uri();
    let app = app(
        backend,
        &perplexity,
        &[
            ("OUTREACHD__CONTENT__PROVIDER", "openai"),
            ("OUTREACHD__CONTENT__ON_FAILURE", "fail"),
            ("OUTREACHD__AI__OPENAI__BASE_URL", openai_url.as_str()),
            ("OUTREACHD__AI__OPENAI__API_KEY", "sk-test-key"),
        ],
    )
    .await;
    let sink = Sink::start(&[]).await;
    let client = signed_in(&app, "acme", Role::Member).await;
    let ws = workspace(&app, "acme").await;
    let pool = mailboxes(&app, ws, 1, sink.port).await;
    let two = leads(&app, ws, "lead", 2).await;
    let (status, created) = client
        .post(
            "/api/v1/campaigns",
            json!({"name": "Q4", "mailbox_ids": pool, "steps": [
                {"subject": "Hi", "body": "Hi {{ first_name }}: {{ insight.summary }}"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let path = format!("/api/v1/campaigns/{}", id(&created));
    client
        .post(&format!("{path}/leads"), json!({"lead_ids": two}))
        .await;

    for lead in &two {
        let (status, preview) = client
            .post(&format!("{path}/leads/{lead}/preview"), json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{preview}");
        assert_eq!(preview["subject"], "Lockers in Hamburg");
    }

    let asked = perplexity.received_requests().await.unwrap();
    assert_eq!(asked.len(), 1, "both leads are at rcpt.test: asked once");
    let prompt =
        String::from_utf8_lossy(&openai.received_requests().await.unwrap()[0].body).into_owned();
    assert!(prompt.contains("company_insight"), "{prompt}");
    assert!(
        !prompt.contains("news.test"),
        "sources stay out of the email prompt"
    );
}
