//! Signing in, bearer tokens and roles: a login gives a session that expires and can be ended;
//! API tokens are shown once, stored hashed, and revocable; roles limit what a caller may do.

use outreachd::domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::client::{PASSWORD, create_user, login, signed_in};
use crate::helpers::spawn_app;
use crate::support::TestBackend;

crate::on_both_backends!(
    a_user_signs_in_and_the_session_says_who_they_are,
    a_wrong_password_and_an_unknown_email_get_the_same_401,
    requests_without_a_valid_token_get_401_problem_json,
    a_signed_out_session_no_longer_works,
    an_api_token_is_shown_once_works_and_stops_working_when_revoked,
    a_viewer_can_read_but_not_make_tokens_and_nobody_grants_above_their_role,
    a_token_over_its_rate_limit_gets_429_with_retry_after,
);

async fn a_user_signs_in_and_the_session_says_who_they_are(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let client = signed_in(&app, "acme", Role::Owner).await;

    let (status, me) = client.get("/api/v1/auth/me").await;

    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["role"], "owner");
    assert_eq!(me["token_kind"], "session");
    assert!(client.token.starts_with("oas_"), "{}", client.token);
}

async fn a_wrong_password_and_an_unknown_email_get_the_same_401(backend: TestBackend) {
    let app = spawn_app(backend).await;
    create_user(&app, "ann@acme.example", "acme", Role::Owner).await;
    let attempt = |email: &'static str, password: &'static str| {
        let app = &app;
        async move {
            let response = app
                .client
                .post(app.url("/api/v1/auth/login"))
                .json(&json!({"email": email, "password": password}))
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body: serde_json::Value = response.json().await.unwrap();
            (status, body)
        }
    };

    let (wrong_status, wrong) = attempt("ann@acme.example", "not the password").await;
    let (unknown_status, unknown) = attempt("bob@acme.example", PASSWORD).await;

    assert_eq!(wrong_status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong["detail"], unknown["detail"],
        "the answer must not tell which was wrong"
    );
}

async fn requests_without_a_valid_token_get_401_problem_json(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let forged = format!("oat_{}", "A".repeat(43));

    for auth in [
        None,
        Some("Bearer nonsense".to_owned()),
        Some(format!("Bearer {forged}")),
    ] {
        let mut request = app.client.get(app.url("/api/v1/mailboxes"));
        if let Some(auth) = &auth {
            request = request.header("Authorization", auth);
        }
        let response = request.send().await.unwrap();

        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{auth:?}");
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json",
            "{auth:?}"
        );
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["status"], 401);
        assert_eq!(body["code"], "unauthorized");
    }
}

async fn a_signed_out_session_no_longer_works(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let client = signed_in(&app, "acme", Role::Member).await;

    let (status, _) = client.post("/api/v1/auth/logout", json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, _) = client.get("/api/v1/auth/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn an_api_token_is_shown_once_works_and_stops_working_when_revoked(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let admin = signed_in(&app, "acme", Role::Admin).await;

    let (status, created) = admin
        .post(
            "/api/v1/tokens",
            json!({"name": "crm sync", "role": "member"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["token"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("oat_"));
    assert!(secret.starts_with(created["prefix"].as_str().unwrap()));

    let machine = crate::client::ApiClient {
        app: &app,
        token: secret.clone(),
    };
    let (status, me) = machine.get("/api/v1/auth/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["role"], "member");
    assert_eq!(me["token_kind"], "api");

    let (_, listed) = admin.get("/api/v1/tokens").await;
    let listed = listed["items"].as_array().unwrap().clone();
    assert_eq!(listed.len(), 1);
    assert!(
        listed[0].get("token").is_none(),
        "a listed token must not carry its secret"
    );
    assert!(!listed[0].to_string().contains(&secret[12..]), "{listed:?}");

    let id = created["id"].as_str().unwrap();
    let (status, _) = admin.delete(&format!("/api/v1/tokens/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = machine.get("/api/v1/auth/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

async fn a_viewer_can_read_but_not_make_tokens_and_nobody_grants_above_their_role(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    let viewer = signed_in(&app, "acme", Role::Viewer).await;
    let admin = signed_in(&app, "acme", Role::Admin).await;

    let (status, _) = viewer.get("/api/v1/mailboxes").await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = viewer
        .post("/api/v1/tokens", json!({"name": "x", "role": "viewer"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = admin
        .post("/api/v1/tokens", json!({"name": "x", "role": "owner"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

async fn a_token_over_its_rate_limit_gets_429_with_retry_after(backend: TestBackend) {
    let app =
        crate::helpers::spawn_app_with(backend, &[("OUTREACHD__API__RATE_LIMIT", "3/min")]).await;
    create_user(&app, "ann@acme.example", "acme", Role::Owner).await;
    let client = login(&app, "ann@acme.example").await;

    for _ in 0..3 {
        let (status, _) = client.get("/api/v1/auth/me").await;
        assert_eq!(status, StatusCode::OK);
    }
    let response = app
        .client
        .get(app.url("/api/v1/auth/me"))
        .bearer_auth(&client.token)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry), "Retry-After: {retry}");
}
