//! The probes: `/healthz` (the process answers), `/readyz` (it can do its job; a load balancer
//! drains a daemon that says no) and `/metrics` (Prometheus exposition that promtool accepts).

use std::process::Stdio;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use tokio::io::AsyncWriteExt;

use crate::helpers::{EVENTUALLY, spawn_app};
use crate::support::TestBackend;

crate::on_both_backends!(
    healthz_answers_200,
    readyz_answers_200_once_the_supervisor_has_reconciled,
    metrics_output_passes_promtool_check,
    readyz_is_never_200_once_shutdown_begins_and_the_server_then_stops,
);

async fn healthz_answers_200(backend: TestBackend) {
    let app = spawn_app(backend).await;

    let response = app.get("/healthz").await;

    assert_eq!(response.status(), StatusCode::OK);
    let body: serde_json::Value = response.json().await.expect("a JSON body");
    assert_eq!(body["status"], "ok");
}

async fn readyz_answers_200_once_the_supervisor_has_reconciled(backend: TestBackend) {
    let app = spawn_app(backend).await;

    app.wait_until_ready().await;

    let body: serde_json::Value = app.get("/readyz").await.json().await.expect("a JSON body");
    assert_eq!(body["status"], "ready", "{body}");
    assert_eq!(body["checks"]["store_reachable"], true, "{body}");
    assert_eq!(body["checks"]["migrations_pending"], 0, "{body}");
    assert_eq!(body["checks"]["supervisor_running"], true, "{body}");
    assert!(app.store.readiness().await.reachable);
}

async fn metrics_output_passes_promtool_check(backend: TestBackend) {
    let app = spawn_app(backend).await;
    // After a reconcile pass the pool gauges and reconcile counters hold values, so the scrape
    // has samples as well as HELP/TYPE lines.
    app.wait_until_ready().await;

    let response = app.get("/metrics").await;

    assert_eq!(response.status(), StatusCode::OK);
    let content_type = response.headers()[reqwest::header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(content_type.starts_with("text/plain"), "{content_type}");
    let scrape = response.text().await.expect("a text body");
    assert!(
        scrape.contains("# HELP outreachd_"),
        "no outreachd metric in the scrape:\n{scrape}"
    );
    promtool_check_metrics(&scrape).await;
}

async fn readyz_is_never_200_once_shutdown_begins_and_the_server_then_stops(backend: TestBackend) {
    let mut app = spawn_app(backend).await;
    app.wait_until_ready().await;
    // A new connection per probe: a pooled one that the draining server closes would fail
    // in ways that say nothing about readiness.
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .timeout(Duration::from_secs(5))
        .build()
        .expect("build the HTTP client");

    app.shutdown.cancel();

    // The supervisor's token is a child of the daemon's: it reports unhealthy at once, so any
    // /readyz answered while the server drains is a 503, until the server stops answering.
    assert!(!app.supervisor.is_healthy());
    let start = Instant::now();
    while let Ok(response) = client.get(app.url("/readyz")).send().await {
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            start.elapsed() < EVENTUALLY,
            "the server still answers {EVENTUALLY:?} after shutdown"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    app.stop().await.expect("the daemon stops cleanly");
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", app.port))
            .await
            .is_err(),
        "the listener is still open after the daemon stopped"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_is_503_once_the_postgres_database_is_gone() {
    let app = spawn_app(TestBackend::Postgres).await;
    app.wait_until_ready().await;

    app.drop_postgres_database().await;

    let start = Instant::now();
    loop {
        let response = app.get("/readyz").await;
        if response.status() == StatusCode::SERVICE_UNAVAILABLE {
            let body: serde_json::Value = response.json().await.expect("a JSON body");
            assert_eq!(body["checks"]["store_reachable"], false, "{body}");
            break;
        }
        assert!(
            start.elapsed() < EVENTUALLY,
            "/readyz still {} after the database was dropped",
            response.status()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Pipes a scrape to `promtool check metrics` (exposition lint: HELP on every metric, naming
/// and unit conventions). Without promtool the check is skipped with a note, except under CI,
/// where scripts/test.sh installs it and its absence is a failure.
async fn promtool_check_metrics(scrape: &str) {
    let Some(promtool) = crate::support::skip::program(
        "promtool",
        "apt-get install prometheus, or run scripts/test.sh",
    ) else {
        return;
    };
    let mut child = tokio::process::Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start promtool");
    let mut stdin = child.stdin.take().expect("promtool's stdin");
    stdin
        .write_all(scrape.as_bytes())
        .await
        .expect("write the scrape to promtool");
    drop(stdin);
    let output = child.wait_with_output().await.expect("wait for promtool");
    assert!(
        output.status.success(),
        "promtool check metrics failed ({}):\n{}{}\n--- scrape ---\n{scrape}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
}
