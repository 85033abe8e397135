//! What AI writing costs, end to end: a local server speaking OpenAI's wire format writes the
//! previews; an answer with a banned phrase is asked for again, both calls are paid for and
//! shown in the campaign's stats and on its lead; once the campaign's daily budget is spent,
//! the next lead gets the rendered template without a call, or waits for the next day.

use outreachd::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::campaign_setup::{id, leads, mailboxes, workspace};
use crate::client::signed_in;
use crate::helpers::spawn_app_with;
use crate::sink::Sink;
use crate::support::TestBackend;

crate::on_both_backends!(
    a_refused_answer_is_rewritten_paid_for_and_counted_until_the_budget_is_spent,
    once_the_budget_is_spent_the_next_email_waits_for_the_next_day,
);

/// A chat completion as OpenAI sends it: 1200 prompt and 300 completion tokens.
fn completion(subject: &str, body: &str) -> ResponseTemplate {
    let content = json!({"subject": subject, "body": body}).to_string();
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-abc123",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-4o-mini-2024-07-18",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": null},
            "logprobs": null,
            "finish_reason": "stop"
        }],
        "usage": {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500}
    }))
}

async fn a_refused_answer_is_rewritten_paid_for_and_counted_until_the_budget_is_spent(
    backend: TestBackend,
) {
    let model = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .respond_with(completion("Trucks?", "Hi Lead0, act now!"))
        .up_to_n_times(1)
        .mount(&model)
        .await;
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .respond_with(completion("Trucks?", "Hi Lead0, how are the trucks?"))
        .mount(&model)
        .await;
    let sink = Sink::start(&[]).await;
    let uri = model.uri();
    // Each call costs 1200 * $0.15/M + 300 * $0.60/M = $0.00036 (gpt-4o-mini's default
    // price): two calls spend the budget.
    let app = spawn_app_with(
        backend,
        &[
            ("OUTREACHD__CONTENT__PROVIDER", "openai"),
            ("OUTREACHD__AI__OPENAI__BASE_URL", uri.as_str()),
            ("OUTREACHD__AI__OPENAI__API_KEY", "sk-test"),
            ("OUTREACHD__AI__OPENAI__MAX_RETRIES", "0"),
            ("OUTREACHD__BUDGETS__CAMPAIGN_DAILY_USD", "0.0007"),
        ],
    )
    .await;
    let client = signed_in(&app, "acme", Role::Member).await;
    let ws = workspace(&app, "acme").await;
    let pool = mailboxes(&app, ws, 1, sink.port).await;
    let people = leads(&app, ws, "lead", 2).await;
    let body = json!({
        "name": "Q4",
        "mailbox_ids": pool,
        "banned_phrases": ["Act   Now"],
        "steps": [{"subject": "Hello {{ first_name }}", "body": "Hi {{ first_name }}."}],
    });
    let (status, created) = client.post("/api/v1/campaigns", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["rules"]["banned_phrases"], json!(["Act Now"]));
    let campaign = format!("/api/v1/campaigns/{}", id(&created));
    client
        .post(&format!("{campaign}/leads"), json!({"lead_ids": people}))
        .await;

    let preview = |lead| format!("{campaign}/leads/{lead}/preview");
    let (status, first) = client.post(&preview(people[0]), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["body"], "Hi Lead0, how are the trucks?");
    assert_eq!(first["provider"], "openai");
    let (status, second) = client.post(&preview(people[1]), json!({})).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    assert_eq!(
        (&second["provider"], &second["body"]),
        (&json!("template"), &json!("Hi Lead1."))
    );
    assert_eq!(model.received_requests().await.unwrap().len(), 2);

    let (_, stats) = client.get(&format!("{campaign}/stats")).await;
    let cost: &Value = &stats["cost"];
    assert_eq!(
        (
            &cost["total_usd"],
            &cost["today_usd"],
            &cost["calls"],
            &cost["leads"]
        ),
        (&json!(0.00072), &json!(0.00072), &json!(1), &json!(1)),
        "{stats}"
    );
    assert_eq!(cost["steps"], json!([{"step": 1, "cost_usd": 0.00072}]));
    let (_, listed) = client.get(&format!("{campaign}/leads")).await;
    let costs: Vec<&Value> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| &l["cost_usd"])
        .collect();
    assert_eq!(costs, [&json!(0.00072), &json!(0.0)], "{listed}");
}

async fn once_the_budget_is_spent_the_next_email_waits_for_the_next_day(backend: TestBackend) {
    let model = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/chat/completions"))
        .respond_with(completion("Trucks?", "Hi there, how are the trucks?"))
        .mount(&model)
        .await;
    let sink = Sink::start(&[]).await;
    let uri = model.uri();
    // One call ($0.00036) spends the budget; one generation at a time and none written ahead,
    // so none overshoots it.
    let app = spawn_app_with(
        backend,
        &[
            ("OUTREACHD__CONTENT__PROVIDER", "openai"),
            ("OUTREACHD__AI__OPENAI__BASE_URL", uri.as_str()),
            ("OUTREACHD__AI__OPENAI__API_KEY", "sk-test"),
            ("OUTREACHD__BUDGETS__WORKSPACE_DAILY_USD", "0.0003"),
            ("OUTREACHD__BUDGETS__ON_EXHAUSTED", "wait"),
            ("OUTREACHD__DISPATCH__GENERATION_CONCURRENCY", "1"),
            ("OUTREACHD__DISPATCH__GENERATE_AHEAD", "0s"),
        ],
    )
    .await;
    let client = signed_in(&app, "acme", Role::Member).await;
    let ws = workspace(&app, "acme").await;
    let pool = mailboxes(&app, ws, 1, sink.port).await;
    let people = leads(&app, ws, "lead", 2).await;
    let body = json!({
        "name": "Q4",
        "mailbox_ids": pool,
        "steps": [{"subject": "Hello {{ first_name }}", "body": "Hi {{ first_name }}."}],
    });
    let (_, created) = client.post("/api/v1/campaigns", body).await;
    let campaign = format!("/api/v1/campaigns/{}", id(&created));
    client
        .post(&format!("{campaign}/leads"), json!({"lead_ids": people}))
        .await;
    client
        .post(&format!("{campaign}/status"), json!({"status": "running"}))
        .await;

    let (status, run) = client
        .post(&format!("{campaign}/run?timeout=8"), json!({}))
        .await;

    assert_eq!(
        (status, &run["emails_sent"]),
        (StatusCode::OK, &json!(1)),
        "{run}"
    );
    assert_eq!(model.received_requests().await.unwrap().len(), 1);
    let (_, stats) = client.get(&format!("{campaign}/stats")).await;
    assert_eq!(
        (&stats["cost"]["calls"], &stats["steps"][0]["in_flight"]),
        (&json!(1), &json!(1)),
        "the other lead's send waits for a retry: {stats}"
    );
}
