//! A connection check of one SMTP endpoint: open a session as sending does (connect, TLS,
//! greeting, EHLO, STARTTLS, AUTH), report each phase with the server's words and its time,
//! then QUIT. Nothing is sent. The first failed phase ends the check and is reported failed.

use std::time::Instant;

use lettre::transport::smtp::commands::Quit;

use super::connection::{Session, SmtpEndpoint, Timeouts};
use super::failure::{Phase, within};
use crate::domain::CheckStep;

/// The name a phase is reported under.
fn step_name(phase: Phase) -> &'static str {
    match phase {
        Phase::Connect => "smtp_connect",
        Phase::Tls => "smtp_tls",
        Phase::Greeting => "smtp_greeting",
        Phase::Ehlo => "smtp_ehlo",
        Phase::Starttls => "smtp_starttls",
        Phase::Auth => "smtp_auth",
        // A check stops after AUTH: these never occur.
        Phase::Mail | Phase::Rcpt | Phase::Data | Phase::Payload | Phase::AfterData => "smtp",
    }
}

/// Logs in to `endpoint` and out again, step by step.
pub async fn probe(endpoint: &SmtpEndpoint, timeouts: &Timeouts) -> Vec<CheckStep> {
    let mut steps = Vec::new();
    let mut since = Instant::now();
    let opened = {
        let mut done = |phase: Phase, detail: String| {
            steps.push(CheckStep::passed(step_name(phase), detail, since.elapsed()));
            since = Instant::now();
        };
        Session::open(endpoint, timeouts, &mut done).await
    };
    match opened {
        Ok(mut session) => {
            // Errors are ignored: the check is over and the socket closes either way.
            let _ = within(Phase::Mail, timeouts.command, session.inner.command(Quit)).await;
        }
        Err(error) => steps.push(CheckStep::failed(
            step_name(error.phase),
            error.cause.to_string(),
            since.elapsed(),
        )),
    }
    steps
}
