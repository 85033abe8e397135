//! The baseline: Postfix `smtp-source` sending to the same sink, each session reusing its
//! connection (`-d`, as our mailbox actors do), timed from spawn to exit. Its CPU is read from
//! this process's reaped-children counters.

use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use crate::cpu::CpuSample;
use crate::report::{Measurement, count};

const SMTP_SOURCE: &str = "/usr/sbin/smtp-source";

/// Sends `messages` messages of `length` payload bytes over `sessions` parallel sessions.
pub async fn run(
    port: u16,
    sessions: usize,
    messages: usize,
    length: usize,
) -> anyhow::Result<Measurement> {
    let args: Vec<String> = vec![
        "-s".into(),
        sessions.to_string(),
        "-m".into(),
        messages.to_string(),
        "-l".into(),
        length.to_string(),
        "-d".into(),
        "-f".into(),
        "a@x.test".into(),
        "-t".into(),
        "b@y.test".into(),
        format!("127.0.0.1:{port}"),
    ];
    let before = CpuSample::now();
    let status = tokio::task::spawn_blocking(move || {
        Command::new(SMTP_SOURCE)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .status()
    })
    .await?
    .context("Failed to run smtp-source (apt-get install postfix)")?;
    let span = before.until(&CpuSample::now());
    if !status.success() {
        bail!("smtp-source failed: {status}");
    }
    Ok(Measurement::new(
        format!("smtp-source, {}", count(sessions, "session")),
        messages,
        span.wall,
        span.children,
        span.machine,
    ))
}
