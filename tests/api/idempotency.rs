//! `Idempotency-Key`: a retried POST gets the first answer and does nothing twice; the same key
//! for another request is refused.

use outreachd::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::client::{ApiClient, signed_in};
use crate::helpers::spawn_app;
use crate::support::TestBackend;

crate::on_both_backends!(
    a_retried_post_with_the_same_key_returns_the_first_answer_and_creates_one_token,
    the_same_key_with_another_body_is_refused_with_422,
    a_malformed_key_is_refused_before_anything_runs,
);

async fn post_with_key(
    client: &ApiClient<'_>,
    key: &str,
    body: Value,
) -> (StatusCode, Value, bool) {
    let response = client
        .app
        .client
        .post(client.app.url("/api/v1/tokens"))
        .bearer_auth(&client.token)
        .header("Idempotency-Key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let replayed = response.headers().get("idempotent-replayed").is_some();
    let status = response.status();
    (status, response.json().await.unwrap(), replayed)
}

async fn a_retried_post_with_the_same_key_returns_the_first_answer_and_creates_one_token(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    let admin = signed_in(&app, "acme", Role::Admin).await;
    let body = json!({"name": "crm", "role": "viewer"});

    let (first_status, first, first_replayed) = post_with_key(&admin, "k-1", body.clone()).await;
    let (again_status, again, again_replayed) = post_with_key(&admin, "k-1", body).await;

    assert_eq!(first_status, StatusCode::CREATED, "{first}");
    assert_eq!(again_status, StatusCode::CREATED, "{again}");
    assert!(!first_replayed);
    assert!(again_replayed);
    assert_eq!(first, again, "the retry must get the first answer");
    let (_, listed) = admin.get("/api/v1/tokens").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 1, "{listed}");
}

async fn the_same_key_with_another_body_is_refused_with_422(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = signed_in(&app, "acme", Role::Admin).await;

    post_with_key(&admin, "k-2", json!({"name": "a", "role": "viewer"})).await;
    let (status, problem, _) =
        post_with_key(&admin, "k-2", json!({"name": "b", "role": "viewer"})).await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "Idempotency-Key");
}

async fn a_malformed_key_is_refused_before_anything_runs(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = signed_in(&app, "acme", Role::Admin).await;

    let (status, problem, _) = post_with_key(
        &admin,
        &"x".repeat(300),
        json!({"name": "a", "role": "viewer"}),
    )
    .await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (_, listed) = admin.get("/api/v1/tokens").await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 0, "{listed}");
}
