//! Mapping proposals for imported columns no header alias places, against a local server
//! speaking OpenAI's chat-completions API: the job reports the proposal; accepted, the mapped
//! columns fill their fields; not accepted, the import is what it was without a model.

use outreachd::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::client::{ApiClient, signed_in};
use crate::helpers::spawn_app_with;
use crate::imports::{Part, finished, upload};
use crate::support::TestBackend;

crate::on_both_backends!(
    an_accepted_proposal_fills_the_fields_it_maps,
    a_proposal_not_accepted_changes_nothing,
);

/// OpenAI mapping German headers, as a model would.
async fn model() -> MockServer {
    let server = MockServer::start().await;
    let content = json!({"mappings": [
        {"column": "E-Mail Adresse", "field": "email", "confidence": 0.97},
        {"column": "Firma", "field": "company", "confidence": 0.9},
        {"column": "Vorname", "field": "first_name", "confidence": 0.95},
    ]})
    .to_string();
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .and(body_string_contains("header_mapping"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "id": "c1", "object": "chat.completion", "created": 1, "model": "gpt-test",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 50, "completion_tokens": 40, "total_tokens": 90}
        })))
        .mount(&server)
        .await;
    server
}

async fn import(client: &ApiClient<'_>, csv: &str, accept: bool) -> Value {
    let mut parts: Vec<Part<'_>> = vec![("file", Some("leads.csv"), csv.as_bytes())];
    if accept {
        parts.push(("accept_mapping", None, b"true"));
    }
    let (status, location, job) = upload(client, &parts).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    finished(client, &location.unwrap()).await
}

async fn lead(client: &ApiClient<'_>, email: &str) -> Value {
    let (_, page) = client.get(&format!("/api/v1/leads?email={email}")).await;
    page["items"][0].clone()
}

async fn an_accepted_proposal_fills_the_fields_it_maps(backend: TestBackend) {
    let model = model().await;
    let base = model.uri();
    let app = spawn_app_with(
        backend,
        &[
            ("OUTREACHD__IMPORTS__PROPOSE_MAPPING", "true"),
            ("OUTREACHD__AI__OPENAI__BASE_URL", base.as_str()),
            ("OUTREACHD__AI__OPENAI__API_KEY", "sk-test-key"),
            ("OUTREACHD__AI__OPENAI__MODEL", "gpt-test"),
        ],
    )
    .await;
    let client = signed_in(&app, "acme", Role::Member).await;

    let job = import(
        &client,
        "E-Mail Adresse,Firma,Vorname\nann@acme.test,Acme GmbH,Ann\n",
        true,
    )
    .await;

    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["imported"], 1);
    let proposal = &job["mapping_proposal"];
    assert_eq!(proposal["accepted"], true);
    assert_eq!(
        proposal["mappings"][1],
        json!({"column": "Firma", "field": "company", "confidence": 0.9})
    );
    let ann = lead(&client, "ann@acme.test").await;
    assert_eq!(
        (&ann["company"], &ann["first_name"], &ann["custom"]),
        (&json!("Acme GmbH"), &json!("Ann"), &json!({}))
    );
    let sent = &model.received_requests().await.unwrap()[0];
    let sent = String::from_utf8_lossy(&sent.body);
    assert!(
        sent.contains("ann@acme.test"),
        "sample rows are sent: {sent}"
    );
}

async fn a_proposal_not_accepted_changes_nothing(backend: TestBackend) {
    let model = model().await;
    let base = model.uri();
    let app = spawn_app_with(
        backend,
        &[
            ("OUTREACHD__IMPORTS__PROPOSE_MAPPING", "true"),
            ("OUTREACHD__AI__OPENAI__BASE_URL", base.as_str()),
            ("OUTREACHD__AI__OPENAI__API_KEY", "sk-test-key"),
        ],
    )
    .await;
    let client = signed_in(&app, "acme", Role::Member).await;

    let job = import(
        &client,
        "Email,Firma,Vorname\nbob@acme.test,Acme GmbH,Bob\n",
        false,
    )
    .await;

    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["mapping_proposal"]["accepted"], false);
    let bob = lead(&client, "bob@acme.test").await;
    assert_eq!(bob["company"], Value::Null);
    assert_eq!(
        bob["custom"],
        json!({"Firma": "Acme GmbH", "Vorname": "Bob"})
    );

    let job = import(&client, "E-Mail Adresse,Firma\ncy@acme.test,Acme\n", false).await;
    assert_eq!(
        job["status"], "failed",
        "no email column without the proposal: {job}"
    );
    assert_eq!(job["mapping_proposal"]["mappings"][0]["field"], "email");
}
