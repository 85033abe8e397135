//! The sending mailboxes the benches seed: unpaced, uncapped, pointed at the sink.

use outreachd::domain::{EmailAddress, HumanDuration, MailboxSpec, ServerSpec, SmtpSecurity};
use secrecy::SecretString;

/// Mailbox `i`: sender<i>@acme.test on the sink at `port`, no gap, a cap nobody reaches.
pub fn sink_mailbox(i: usize, port: u16) -> anyhow::Result<MailboxSpec> {
    Ok(MailboxSpec {
        address: EmailAddress::parse(&format!("sender{i}@acme.test"))?,
        from_name: format!("Sender {i}"),
        signature: format!("Sender {i}\nAcme"),
        smtp: ServerSpec {
            host: "127.0.0.1".into(),
            port,
            security: SmtpSecurity::Plain,
            username: String::new(),
            password: SecretString::from(String::new()),
        },
        imap: None,
        daily_cap: 10_000_000,
        hourly_cap: None,
        min_gap: HumanDuration::ZERO,
        max_gap: HumanDuration::ZERO,
        warmup: None,
        warmup_started_on: None,
        timezone: "UTC".into(),
    })
}
