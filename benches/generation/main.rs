//! `cargo bench --bench generation`: does writing texts ahead keep mailboxes from waiting on
//! the model?
//!
//! The real daemon on a fresh SQLite file sends one step to L leads over M unpaced mailboxes
//! pointed at Postfix `smtp-sink`, with the texts written by a local server that speaks the
//! OpenAI chat-completions format and answers each request after `latency ± jitter`
//! (uniform). The leads fall due evenly at 90% of what the generation slots allow
//! (`concurrency ÷ latency`), starting a few seconds after the daemon starts (`BENCH_DUE_SHARE`
//! sets the share; 0 makes a backlog, every lead due at the start). The
//! same schedule runs twice: texts written at claim (`generate_ahead = "0s"`), then written
//! ahead (`generate_ahead` = `BENCH_AHEAD`).
//!
//! Reported per run: sends/s over the schedule against the slots' bound, the share of sends
//! whose mailbox waited on the model (`outreachd_content_ready_total`: `waited` + `at_claim`
//! over all) and the mean wait per send (`outreachd_content_wait_seconds`), both after the
//! first horizon (the leads due before it could not be written ahead), and how late sends were
//! against their due time (p50/p99).
//!
//! Options from the environment: `BENCH_LEADS` (2000), `BENCH_MAILBOXES` (20),
//! `BENCH_LATENCY_MS` (1500), `BENCH_JITTER_MS` (500), `BENCH_CONCURRENCY` (32: the
//! provider's `concurrency` and `dispatch.generation_concurrency`), `BENCH_AHEAD` ("30s"), `BENCH_DUE_SHARE` (0.9), `BENCH_ONLY` (`claim` or
//! `ahead`: one run), and any `OUTREACHD__*` variable.

#[path = "../pipeline/mailbox.rs"]
mod mailbox;
#[path = "../pipeline/sink.rs"]
mod sink;

mod model;
mod run;

use std::time::Duration;

use anyhow::Context;

#[derive(Clone, Debug)]
pub struct Options {
    pub leads: usize,
    pub mailboxes: usize,
    pub latency: Duration,
    pub jitter: Duration,
    pub concurrency: u32,
    pub ahead: String,
    pub due_share: f64,
    pub only: Option<String>,
    pub overrides: Vec<(String, String)>,
}

fn number<T: std::str::FromStr>(name: &str, default: T) -> anyhow::Result<T> {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("{name}={v:?} is not a number")),
        Err(_) => Ok(default),
    }
}

impl Options {
    fn from_env() -> anyhow::Result<Self> {
        Ok(Self {
            leads: number("BENCH_LEADS", 2_000)?,
            mailboxes: number("BENCH_MAILBOXES", 20)?,
            latency: Duration::from_millis(number("BENCH_LATENCY_MS", 1_500)?),
            jitter: Duration::from_millis(number("BENCH_JITTER_MS", 500)?),
            concurrency: number("BENCH_CONCURRENCY", 32)?,
            ahead: std::env::var("BENCH_AHEAD").unwrap_or_else(|_| "30s".into()),
            due_share: number("BENCH_DUE_SHARE", 0.9)?,
            only: std::env::var("BENCH_ONLY").ok(),
            overrides: std::env::vars()
                .filter(|(k, _)| k.starts_with("OUTREACHD__"))
                .collect(),
        })
    }
}

fn main() -> anyhow::Result<()> {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary without it,
    // and nextest with `--list`: both must find nothing to do, not a minutes-long benchmark.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let opts = Options::from_env()?;
    let _ = rustls::crypto::ring::default_provider().install_default();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("Failed to start the runtime")?;
    runtime.block_on(async {
        let sink = sink::Sink::start().await?;
        let model = model::SlowModel::start(opts.latency, opts.jitter).await;
        let bound = f64::from(opts.concurrency) / opts.latency.as_secs_f64();
        println!(
            "{} leads, {} mailboxes, model {} ms ± {} ms, {} generation slots: bound {:.1} sends/s",
            opts.leads,
            opts.mailboxes,
            opts.latency.as_millis(),
            opts.jitter.as_millis(),
            opts.concurrency,
            bound
        );
        let runs: Vec<(&str, &str)> = [("claim", "0s"), ("ahead", opts.ahead.as_str())]
            .into_iter()
            .filter(|(name, _)| opts.only.as_deref().is_none_or(|o| o == *name))
            .collect();
        for (name, ahead) in runs {
            let r = run::run(&opts, sink.port, &model, ahead).await?;
            println!(
                "texts written {name:<6} (generate_ahead {ahead:>4}): {:>6.1} sends/s ({:.0}% of the bound), \
                 waited on the model: {:.1}% of sends, mean wait {:.3} s/send, late p50 {:.2} s p99 {:.2} s, \
                 {} model calls",
                r.sends_per_second,
                100.0 * r.sends_per_second / bound,
                100.0 * r.waited_share,
                r.mean_wait,
                r.late_p50,
                r.late_p99,
                r.model_calls,
            );
        }
        Ok(())
    })
}
