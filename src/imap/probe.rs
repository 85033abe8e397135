//! A connection check of one IMAP server: connect, TLS or STARTTLS as configured, greeting and
//! LOGIN, each reported with its time, then LOGOUT. No folder is opened. The first failed phase
//! ends the check and is reported failed.

use std::time::Instant;

use super::session::{ImapSession, ImapTarget};
use crate::domain::{CheckStep, SmtpSecurity};

/// The phases of logging in, in the order a connection goes through them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImapPhase {
    Connect,
    /// Implicit TLS (port 993).
    Tls,
    Greeting,
    Starttls,
    Login,
}

impl ImapPhase {
    fn step(self) -> &'static str {
        match self {
            Self::Connect => "imap_connect",
            Self::Tls => "imap_tls",
            Self::Greeting => "imap_greeting",
            Self::Starttls => "imap_starttls",
            Self::Login => "imap_login",
        }
    }

    /// The phases a connection with `security` goes through.
    fn plan(security: SmtpSecurity) -> &'static [Self] {
        match security {
            SmtpSecurity::Plain => &[Self::Connect, Self::Greeting, Self::Login],
            SmtpSecurity::Tls => &[Self::Connect, Self::Tls, Self::Greeting, Self::Login],
            SmtpSecurity::Starttls => &[Self::Connect, Self::Greeting, Self::Starttls, Self::Login],
        }
    }
}

/// Logs in to `target` and out again, step by step.
pub async fn probe(target: &ImapTarget) -> Vec<CheckStep> {
    let mut steps = Vec::new();
    let mut since = Instant::now();
    let mut passed = 0;
    let logged_in = {
        let mut done = |phase: ImapPhase, detail: String| {
            steps.push(CheckStep::passed(phase.step(), detail, since.elapsed()));
            since = Instant::now();
            passed += 1;
        };
        ImapSession::log_in(target, &mut done).await
    };
    match logged_in {
        Ok(mut session) => {
            // Errors are ignored: the check is over and the socket closes either way.
            let _ = tokio::time::timeout(target.timeout, session.logout()).await;
        }
        Err(error) => {
            // The phase that failed is the first one that did not complete.
            let plan = ImapPhase::plan(target.security);
            let phase = plan.get(passed).copied().unwrap_or(ImapPhase::Login);
            steps.push(CheckStep::failed(
                phase.step(),
                error.to_string(),
                since.elapsed(),
            ));
        }
    }
    steps
}
