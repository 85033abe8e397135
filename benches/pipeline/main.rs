//! `cargo bench --bench pipeline`: the throughput measurements, in one run against
//! one Postfix `smtp-sink` on loopback.
//!
//! 1. The baseline: `smtp-source` with 1 and 10 sessions.
//! 2. Our SMTP path alone: `SmtpConnection`s sending prebuilt `smtp::build` messages over 1
//!    and 10 connections (no store, no actors).
//! 3. End to end: the real daemon (`Application`, supervisor, campaign and mailbox actors,
//!    completion writer) on a fresh PostgreSQL database, then on an SQLite file, sending one
//!    step to L leads over M unpaced mailboxes with the template provider.
//!
//! It prints a table and writes a JSON report. Options come from the environment:
//! `BENCH_LEADS` (20000), `BENCH_MAILBOXES` (10), `BENCH_PG_URL`
//! (postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable; see [`DEFAULT_PG_URL`]),
//! `BENCH_REPORT` (target/bench-pipeline.json),
//! `BENCH_MESSAGES` (messages for steps 1-2, default BENCH_LEADS), `BENCH_SKIP` (comma list of
//! source, smtp, pg, sqlite), `BENCH_POLL_MS` (20), `BENCH_PG_SAMPLE_MS` (unset: no
//! `pg_stat_activity` sampler), `BENCH_PG_SETTINGS` (`;`-separated `name=value` set on the bench
//! database only, e.g. `synchronous_commit=off` to see what waiting for WAL flushes costs, or
//! `session_preload_libraries=auto_explain;auto_explain.log_min_duration=20ms` to log slow
//! plans), `BENCH_ANALYZE` (0; 1 runs `ANALYZE` after seeding, so the planner has statistics),
//! `BENCH_SUPPRESSIONS` (0: that many suppressed addresses, and a tenth as many suppressed
//! domains, none of them a lead's, as an agency's do-not-contact list), and any `OUTREACHD__*` variable overrides the daemon's settings.
//!
//! Figures move with whatever else the machine runs: the report records the load average.

mod cpu;
mod end_to_end;
mod mailbox;
mod pg;
mod report;
mod sink;
mod smtp_path;
mod source;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;

use end_to_end::{Database, E2eOptions};
use report::{Ratio, Report};
use sink::Sink;

/// The throughput targets.
const TARGET_ONE_CONNECTION: f64 = 1_000.0;
const TARGET_SMTP_VS_SOURCE: f64 = 0.7;
const TARGET_END_TO_END_PG: f64 = 5_000.0;

/// The server shares the machine with the daemon, as in a single-host deployment, so the bench
/// connects the way docs/configuration.md recommends there: without TLS. With
/// `sslmode` left at its default (`prefer`) both ends encrypt every statement and row on the
/// same two cores, which a remote server would not: in one alternating run on 2026-11-23 that
/// cost a fifth of the throughput (4,181-4,566 against 5,337-5,783 sends/s). Set
/// `BENCH_PG_URL` without `sslmode` to measure it.
const DEFAULT_PG_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable";

#[derive(Debug, serde::Serialize)]
struct Options {
    leads: usize,
    mailboxes: usize,
    messages: usize,
    pg_url: String,
    report: PathBuf,
    skip: Vec<String>,
    poll_ms: u64,
    pg_sample_ms: Option<u64>,
    pg_settings: Vec<(String, String)>,
    analyze: bool,
    suppressions: usize,
    overrides: Vec<(String, String)>,
}

impl Options {
    fn from_env() -> anyhow::Result<Self> {
        fn number<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T> {
            match std::env::var(name) {
                Ok(v) => v
                    .trim()
                    .parse()
                    .map_err(|_| anyhow::anyhow!("{name}={v:?} is not a number")),
                Err(_) => Ok(default),
            }
        }
        let leads = number("BENCH_LEADS", 20_000usize)?;
        Ok(Self {
            leads,
            mailboxes: number("BENCH_MAILBOXES", 10usize)?.max(1),
            messages: number("BENCH_MESSAGES", leads)?.max(1),
            pg_url: std::env::var("BENCH_PG_URL").unwrap_or_else(|_| DEFAULT_PG_URL.into()),
            report: std::env::var("BENCH_REPORT")
                .unwrap_or_else(|_| "target/bench-pipeline.json".into())
                .into(),
            skip: std::env::var("BENCH_SKIP")
                .unwrap_or_default()
                .split(',')
                .map(|s| s.trim().to_lowercase())
                .filter(|s| !s.is_empty())
                .collect(),
            poll_ms: number("BENCH_POLL_MS", 20u64)?.max(1),
            pg_sample_ms: std::env::var("BENCH_PG_SAMPLE_MS")
                .ok()
                .and_then(|v| v.trim().parse().ok()),
            pg_settings: std::env::var("BENCH_PG_SETTINGS")
                .unwrap_or_default()
                .split(';')
                .filter(|s| !s.trim().is_empty())
                .map(|s| match s.split_once('=') {
                    Some((k, v)) => Ok((k.trim().to_owned(), v.trim().to_owned())),
                    None => Err(anyhow::anyhow!(
                        "BENCH_PG_SETTINGS: {s:?} is not name=value"
                    )),
                })
                .collect::<anyhow::Result<_>>()?,
            analyze: number("BENCH_ANALYZE", 0u8)? != 0,
            suppressions: number("BENCH_SUPPRESSIONS", 0usize)?,
            overrides: std::env::vars()
                .filter(|(k, _)| k.starts_with("OUTREACHD__"))
                .collect(),
        })
    }

    fn runs(&self, stage: &str) -> bool {
        !self.skip.iter().any(|s| s == stage)
    }
}

fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it,
    // and nextest with `--list`: both must find nothing to do, not a minutes-long benchmark.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("Failed to start the tokio runtime")?;
    runtime.block_on(bench())
}

async fn bench() -> anyhow::Result<()> {
    outreachd::startup::install_crypto_provider();
    if let Ok(filter) = std::env::var("RUST_LOG") {
        outreachd::telemetry::init_tracing(&filter, outreachd::config::LogFormat::Human);
    }
    let opts = Options::from_env()?;
    let sink = Sink::start().await?;
    eprintln!("smtp-sink on 127.0.0.1:{}; {opts:?}", sink.port);

    let (messages, build_us) = smtp_path::prebuild(opts.messages)?;
    let message_bytes = messages.first().map_or(0, |m| m.bytes.len());
    let messages = Arc::new(messages);
    let mut report = Report {
        options: serde_json::to_value(&opts)?,
        profile: if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
        message_bytes,
        load_average_at_start: load_average(),
        measurements: Vec::new(),
        ratios: Vec::new(),
    };

    if opts.runs("source") {
        for sessions in [1, 10] {
            eprintln!("smtp-source, {} ...", report::count(sessions, "session"));
            let m = source::run(sink.port, sessions, opts.messages, message_bytes).await?;
            report.measurements.push(m);
        }
    }
    if opts.runs("smtp") {
        for connections in [1, 10] {
            eprintln!(
                "our SMTP path, {} ...",
                report::count(connections, "connection")
            );
            let m = smtp_path::run(sink.port, connections, messages.clone()).await?;
            report
                .measurements
                .push(m.with("smtp_build_us_per_message", build_us));
        }
    }
    let e2e = E2eOptions {
        leads: opts.leads,
        mailboxes: opts.mailboxes,
        sink_port: sink.port,
        poll: Duration::from_millis(opts.poll_ms),
        pg_sample: opts.pg_sample_ms.map(Duration::from_millis),
        analyze: opts.analyze,
        suppressions: opts.suppressions,
        overrides: opts.overrides.clone(),
    };
    if opts.runs("pg") {
        eprintln!("end to end on PostgreSQL ...");
        let db = Database::Postgres {
            admin_url: opts.pg_url.clone(),
            settings: opts.pg_settings.clone(),
        };
        report.measurements.push(end_to_end::run(&db, &e2e).await?);
    }
    if opts.runs("sqlite") {
        eprintln!("end to end on SQLite ...");
        report
            .measurements
            .push(end_to_end::run(&Database::Sqlite, &e2e).await?);
    }

    report.ratios = ratios(&report, opts.mailboxes);
    report.print();
    report.write(&opts.report)?;
    println!("\nJSON report: {}", opts.report.display());
    Ok(())
}

/// `/proc/loadavg`'s first three fields: other work on the machine skews every figure.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The headline figures: absolute rates against their targets, and ratios to smtp-source.
fn ratios(report: &Report, mailboxes: usize) -> Vec<Ratio> {
    let rate = |prefix: &str| report.find(prefix).map(|m| m.per_second);
    let mut out = Vec::new();
    if let Some(r) = rate("our SMTP path, 1 connection") {
        out.push(Ratio::new(
            "SMTP path, 1 connection (msg/s)",
            r,
            Some(TARGET_ONE_CONNECTION),
        ));
    }
    let pairs = [
        (
            "our SMTP path, 1 connection",
            "smtp-source, 1 session",
            None,
        ),
        (
            "our SMTP path, 10 connections",
            "smtp-source, 10 sessions",
            Some(TARGET_SMTP_VS_SOURCE),
        ),
        ("end to end on PostgreSQL", "smtp-source, 10 sessions", None),
        ("end to end on SQLite", "smtp-source, 10 sessions", None),
    ];
    for (ours, theirs, target) in pairs {
        if let (Some(a), Some(b)) = (rate(ours), rate(theirs)) {
            out.push(Ratio::new(&format!("{ours} / {theirs}"), a / b, target));
        }
    }
    if let Some(r) = rate("end to end on PostgreSQL") {
        // The target is stated for 10 mailboxes.
        let target = (mailboxes == 10).then_some(TARGET_END_TO_END_PG);
        out.push(Ratio::new(
            &format!("end to end on PostgreSQL, {mailboxes} mailboxes (sends/s)"),
            r,
            target,
        ));
    }
    if let Some(r) = rate("end to end on SQLite") {
        out.push(Ratio::new(
            &format!("end to end on SQLite, {mailboxes} mailboxes (sends/s)"),
            r,
            None,
        ));
    }
    out
}
