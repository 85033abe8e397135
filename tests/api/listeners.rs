//! Where each route is served: with `server.admin_port` the probes and metrics leave the main
//! listener (which may face the internet) for the admin one; every request is counted by route
//! template; CORS answers only the configured origins.

use reqwest::StatusCode;

use crate::client::signed_in;
use crate::helpers::{spawn_app, spawn_app_with};
use crate::support::TestBackend;
use outreachd::domain::Role;

crate::on_both_backends!(
    with_an_admin_port_probes_and_metrics_move_off_the_main_listener,
    requests_are_counted_by_route_template_and_status,
    cors_answers_only_the_configured_origins,
);

async fn with_an_admin_port_probes_and_metrics_move_off_the_main_listener(backend: TestBackend) {
    let app = spawn_app_with(backend, &[("OUTREACHD__SERVER__ADMIN_PORT", "0")]).await;
    let admin = format!(
        "http://127.0.0.1:{}",
        app.admin_port.expect("an admin port")
    );

    for path in ["/healthz", "/metrics"] {
        let main = app.get(path).await;
        assert_eq!(
            main.status(),
            StatusCode::NOT_FOUND,
            "{path} on the main listener"
        );
        let on_admin = app
            .client
            .get(format!("{admin}{path}"))
            .send()
            .await
            .unwrap();
        assert_eq!(
            on_admin.status(),
            StatusCode::OK,
            "{path} on the admin listener"
        );
    }
    let openapi = app.get("/api/v1/openapi.json").await;
    assert_eq!(openapi.status(), StatusCode::OK);
    let on_admin = app
        .client
        .get(format!("{admin}/api/v1/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(on_admin.status(), StatusCode::NOT_FOUND);
}

async fn requests_are_counted_by_route_template_and_status(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let client = signed_in(&app, "acme", Role::Owner).await;
    let missing = uuid::Uuid::now_v7();
    let (status, _) = client.get(&format!("/api/v1/mailboxes/{missing}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let scrape = app.get("/metrics").await.text().await.unwrap();

    let line = scrape
        .lines()
        .find(|l| {
            l.starts_with("outreachd_http_requests_total{")
                && l.contains(r#"route="/api/v1/mailboxes/{id}""#)
                && l.contains(r#"status="404""#)
        })
        .unwrap_or_else(|| panic!("no request series for the route template:\n{scrape}"));
    assert!(
        !line.contains(&missing.to_string()),
        "an id leaked into a label: {line}"
    );
    assert!(scrape.contains("outreachd_http_request_duration_seconds_bucket{"));
}

async fn cors_answers_only_the_configured_origins(backend: TestBackend) {
    let app = spawn_app_with(
        backend,
        &[(
            "OUTREACHD__API__CORS_ORIGINS",
            "https://console.example.com",
        )],
    )
    .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.url("/api/v1/mailboxes"))
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "GET")
            .header("Access-Control-Request-Headers", "authorization")
            .send()
    };

    let allowed = preflight("https://console.example.com").await.unwrap();
    let other = preflight("https://evil.example").await.unwrap();

    assert_eq!(
        allowed.headers()["access-control-allow-origin"],
        "https://console.example.com"
    );
    assert!(other.headers().get("access-control-allow-origin").is_none());
}
