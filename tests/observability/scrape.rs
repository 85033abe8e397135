//! `/metrics` after a real end-to-end run: linted by `promtool check metrics`, and showing the
//! sending series with the values the run implies.

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::fixtures::{lead_states, seed, step, wait_for};
use crate::helpers::spawn_app_with;
use crate::sink::Sink;
use crate::support::TestBackend;
use crate::tools::{assert_all_declared, assert_ok, promtool};

const FAST: &[(&str, &str)] = &[
    ("OUTREACHD__DISPATCH__COMPLETION_FLUSH", "10ms"),
    ("OUTREACHD__DISPATCH__RETRY_BACKOFF", "200ms"),
];

/// The value of the first sample line of `scrape` that starts with `series` (exact labels).
fn sample(scrape: &str, series: &str) -> Option<f64> {
    scrape
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_after_an_end_to_end_run_pass_promtool_and_show_the_sending_series() {
    let sink = Sink::start(&[]).await;
    let app = spawn_app_with(TestBackend::Postgres, FAST).await;
    let seeded = seed(
        app.store.as_ref(),
        sink.port,
        2,
        20,
        vec![step("0s", Some("Hello {{ first_name }}"), "Hi there.")],
    )
    .await;
    app.supervisor.notify();
    wait_for(
        app.store.as_ref(),
        seeded.workspace,
        Duration::from_secs(60),
        |s| lead_states(s).get("completed") == Some(&20),
    )
    .await;
    // Let a supervisor pass (200 ms) refresh the gauges and drain the histograms.
    tokio::time::sleep(Duration::from_millis(600)).await;

    let scrape = app
        .get("/metrics")
        .await
        .text()
        .await
        .expect("a /metrics body");

    // The recipients are lead<i>@rcpt.test: provider class "other".
    let sent = sample(
        &scrape,
        r#"outreachd_sends_total{outcome="sent",provider="other"}"#,
    );
    assert!(sent.is_some_and(|n| n >= 20.0), "sent: {sent:?}\n{scrape}");
    for series in [
        r#"outreachd_sends_total{outcome="bounced",provider="gmail"}"#,
        r#"outreachd_smtp_transaction_seconds_count{provider="other"}"#,
        "outreachd_schedule_lag_seconds_count",
        "outreachd_limiter_wait_seconds_count",
        "outreachd_claim_batch_rows_count",
        r#"outreachd_content_generation_seconds_count{provider="template"}"#,
        r#"outreachd_content_generations_total{provider="template",result="ok"}"#,
        "outreachd_due_oldest_age_seconds",
        "outreachd_due_campaigns",
        "outreachd_due_backlog_steps",
        "outreachd_completion_batch_rows_count",
        "outreachd_completions_fenced_total",
        "outreachd_sends_in_flight",
        r#"outreachd_mailboxes{state="active"}"#,
        r#"outreachd_db_pool_connections{state="in_use"}"#,
        r#"outreachd_supervisor_reconciles_total{result="ok"}"#,
    ] {
        assert!(
            sample(&scrape, series).is_some(),
            "{series} missing from the scrape:\n{scrape}"
        );
    }
    for (series, at_least) in [
        ("outreachd_schedule_lag_seconds_count", 20.0),
        ("outreachd_claim_batch_rows_count", 1.0),
        (
            r#"outreachd_smtp_transaction_seconds_count{provider="other"}"#,
            20.0,
        ),
    ] {
        let value = sample(&scrape, series).unwrap_or_default();
        assert!(
            value >= at_least,
            "{series} = {value}, expected >= {at_least}"
        );
    }
    for prefix in [
        "outreachd_mailbox_sends_total{mailbox=",
        "outreachd_campaign_sends_total{campaign=",
        "outreachd_claimed_sends_total{campaign=",
        "outreachd_mailbox_state{mailbox=",
        "outreachd_mailbox_daily_cap_used_ratio{mailbox=",
        "outreachd_campaign_due_age_seconds{campaign=",
        "outreachd_build_info{version=",
    ] {
        assert!(
            scrape.lines().any(|l| l.starts_with(prefix)),
            "no {prefix}...}} series:\n{scrape}"
        );
    }
    assert_all_declared("the /metrics scrape", &scrape);

    let Some(promtool) = promtool() else { return };
    let mut child = Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start promtool");
    child
        .stdin
        .take()
        .expect("promtool's stdin")
        .write_all(scrape.as_bytes())
        .expect("write the scrape");
    let out = child.wait_with_output().expect("wait for promtool");
    assert_ok(
        &format!("promtool check metrics\n--- scrape ---\n{scrape}"),
        &out,
    );
}

/// A send to a port nobody listens on fails before any SMTP reply: the errors counter shows it
/// under stage smtp, type connect (the outcome alone only says the mailbox was throttled).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_to_a_refusing_relay_counts_an_smtp_connect_error() {
    let app = spawn_app_with(TestBackend::Postgres, FAST).await;
    seed(
        app.store.as_ref(),
        crate::sink::free_port(),
        1,
        1,
        vec![step("0s", Some("Hello"), "Hi there.")],
    )
    .await;
    app.supervisor.notify();
    let series = r#"outreachd_errors_total{stage="smtp",type="connect"}"#;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let scrape = app
            .get("/metrics")
            .await
            .text()
            .await
            .expect("a /metrics body");
        if sample(&scrape, series).is_some_and(|n| n >= 1.0) {
            assert!(
                sample(
                    &scrape,
                    r#"outreachd_errors_total{stage="smtp",type="rejected"}"#
                )
                .is_some(),
                "every smtp error type is exported once a mailbox runs:\n{scrape}"
            );
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{series} never counted:\n{scrape}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
