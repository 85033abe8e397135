//! Our SMTP path alone: `SmtpConnection`s (what each mailbox actor owns) sending prebuilt
//! `smtp::build` messages to the sink, one transaction at a time per connection, no store.

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, bail};
use chrono::Utc;
use outreachd::domain::{EmailAddress, SendId, SmtpSecurity};
use outreachd::smtp::{
    self, Envelope, ListUnsubscribe, OutgoingMessage, SmtpConnection, SmtpEndpoint, Timeouts,
};
use secrecy::SecretString;

use crate::cpu::CpuSample;
use crate::report::{Measurement, count};

/// A realistic cold email: a few short paragraphs and a signature (about 1 KB on the wire).
pub const BODY: &str = "Hi Lead,\n\nI noticed Company is hiring for its sales team, which usually \
means outbound is about to become a priority. We help teams like yours book more first calls \
without adding headcount: personalised sequences, sent from your own mailboxes, paced so they \
land in the inbox.\n\nWould a 15-minute call next week be useful? If the timing is wrong, just \
say so and I will not follow up.\n\nBest,\nSender\nAcme";

pub struct Prebuilt {
    pub envelope: Envelope,
    pub bytes: Vec<u8>,
}

/// `n` messages as `smtp::build` makes them (distinct recipients and Message-IDs); also how
/// long building took, per message.
pub fn prebuild(n: usize) -> anyhow::Result<(Vec<Prebuilt>, f64)> {
    let from = EmailAddress::parse("sender@acme.test")?;
    let start = Instant::now();
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let message = OutgoingMessage {
            from_name: "Sender".into(),
            from: from.clone(),
            to: EmailAddress::parse(&format!("lead{i}@rcpt.test"))?,
            to_name: Some(format!("Lead{i}")),
            subject: "Quick question about your outbound".into(),
            text_body: BODY.into(),
            html_body: None,
            message_id: smtp::message_id_for(SendId::new(), "acme.test"),
            in_reply_to: None,
            references: Vec::new(),
            list_unsubscribe: Some(ListUnsubscribe {
                mailto: Some("mailto:sender@acme.test?subject=unsubscribe".into()),
                https_url: None,
            }),
            date: Utc::now(),
        };
        let (envelope, bytes) = smtp::build(&message).context("Failed to build a message")?;
        out.push(Prebuilt { envelope, bytes });
    }
    let per_message_us = start.elapsed().as_secs_f64() * 1e6 / n.max(1) as f64;
    Ok((out, per_message_us))
}

pub fn endpoint(port: u16) -> SmtpEndpoint {
    SmtpEndpoint {
        host: "127.0.0.1".into(),
        port,
        security: SmtpSecurity::Plain,
        username: String::new(),
        password: SecretString::from(String::new()),
        helo_name: "bench.test".into(),
        extra_root_pem: None,
    }
}

/// Sends every message over `connections` connections (message i on connection i mod n),
/// connections opened before the clock starts, as a running mailbox actor's would be.
pub async fn run(
    port: u16,
    connections: usize,
    messages: Arc<Vec<Prebuilt>>,
) -> anyhow::Result<Measurement> {
    let endpoint = endpoint(port);
    let timeouts = Timeouts::default();
    let mut opened = Vec::with_capacity(connections);
    for _ in 0..connections {
        opened.push(
            SmtpConnection::connect(&endpoint, &timeouts)
                .await
                .context("Failed to connect to smtp-sink")?,
        );
    }
    let before = CpuSample::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (k, mut conn) in opened.into_iter().enumerate() {
        let messages = messages.clone();
        tasks.spawn(async move {
            let mut failed = 0usize;
            for m in messages.iter().skip(k).step_by(connections) {
                if conn.send(&m.envelope, &m.bytes).await.is_err() {
                    failed += 1;
                }
            }
            conn.quit().await;
            failed
        });
    }
    let mut failed = 0;
    while let Some(result) = tasks.join_next().await {
        failed += result?;
    }
    let span = before.until(&CpuSample::now());
    if failed > 0 {
        bail!("{failed} sends failed on the SMTP path");
    }
    Ok(Measurement::new(
        format!("our SMTP path, {}", count(connections, "connection")),
        messages.len(),
        span.wall,
        span.own,
        span.machine,
    ))
}
