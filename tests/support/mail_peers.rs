//! The mail peers `scripts/mail-peers/start.sh` runs on loopback (Dovecot IMAP, Postfix on SMTP,
//! on submission and on submission with STARTTLS required), as `$MAILPEERS_DIR/env.sh` exports
//! them. This module only finds them; what a target does with them (Dovecot users, folders,
//! logins) stays in the target. Missing peers go through [`skip`](super::skip).

use std::path::PathBuf;

use super::skip;

/// Where the peers listen and how to log in to them.
pub struct MailPeers {
    /// The instance's state: configs, maildirs, the Dovecot passwd-file.
    pub dir: PathBuf,
    /// The domain Postfix delivers to Dovecot (every other domain is refused at RCPT).
    pub domain: String,
    /// The password of every user of the instance.
    pub password: String,
    /// The PEM file of the CA that signed the peers' certificate for `localhost`.
    pub ca: String,
    pub imap_port: u16,
    pub smtp_port: u16,
    pub submit_port: u16,
    pub starttls_port: u16,
}

impl MailPeers {
    /// The peers the environment names, or `None` after [`skip::skip_without_mail_peers`]
    /// (a failure under CI) when a variable is unset.
    pub fn from_env() -> Option<Self> {
        let mut unset = Vec::new();
        let mut text = |name: &'static str| {
            let value = std::env::var(name).ok().filter(|v| !v.is_empty());
            if value.is_none() {
                unset.push(name);
            }
            value.unwrap_or_default()
        };
        let dir = PathBuf::from(text("MAILPEERS_DIR"));
        let ca = text("MAILPEERS_CA");
        let ports = [
            text("IMAP_PORT"),
            text("SMTP_PORT"),
            text("SUBMIT_PORT"),
            text("STARTTLS_PORT"),
        ];
        if !unset.is_empty() {
            skip::skip_without_mail_peers(&unset.join(", "));
            return None;
        }
        let [imap_port, smtp_port, submit_port, starttls_port] =
            ports.map(|p| p.parse().expect("a mail peer port is a number"));
        Some(Self {
            dir,
            // start.sh's defaults, which env.sh always exports anyway.
            domain: std::env::var("MAILPEERS_DOMAIN").unwrap_or_else(|_| "example.test".into()),
            password: std::env::var("MAILPEERS_PASSWORD").unwrap_or_else(|_| "secret".into()),
            ca,
            imap_port,
            smtp_port,
            submit_port,
            starttls_port,
        })
    }
}
