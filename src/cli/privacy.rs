//! `outreachd privacy export|erase`: privacy requests (GDPR/CCPA) from the machine the daemon
//! runs on, the same as `GET /api/v1/privacy/export` and `POST /api/v1/privacy/erase`. The
//! rules live in `service::privacy`; this file parses arguments and prints.

use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;
use clap::{Args, Subcommand};

use crate::config::Settings;
use crate::domain::EmailAddress;
use crate::service::{self, privacy};
use crate::store::OpenMode;

#[derive(Debug, Subcommand)]
pub enum PrivacyCommand {
    /// Print everything the workspace holds about an address, as JSON.
    Export(PrivacyArgs),
    /// Erase an address from the workspace: its lead and every record of it. Only a salted
    /// hash stays in the suppression list, so it is never mailed again. Cannot be undone.
    Erase(PrivacyArgs),
}

#[derive(Debug, Args)]
pub struct PrivacyArgs {
    /// The address.
    #[arg(long)]
    pub email: String,
    /// Workspace name.
    #[arg(long, short = 'w')]
    pub workspace: String,
}

pub async fn privacy(settings: &Settings, command: PrivacyCommand) -> anyhow::Result<ExitCode> {
    let (PrivacyCommand::Export(args) | PrivacyCommand::Erase(args)) = &command;
    let email =
        EmailAddress::parse(&args.email).with_context(|| format!("--email {:?}", args.email))?;
    let store = crate::startup::open_store(settings, OpenMode::Tool).await?;
    let ws = service::workspace(store.as_ref(), Some(&args.workspace)).await?;
    match command {
        PrivacyCommand::Export(_) => {
            let export = privacy::export(store.as_ref(), ws.id, &email, Utc::now()).await?;
            println!("{}", serde_json::to_string_pretty(&export)?);
        }
        PrivacyCommand::Erase(_) => {
            let done = privacy::erase(store.as_ref(), ws.id, &email, Utc::now()).await?;
            let r = done.removed;
            println!(
                "Erased from workspace {:?}: {} lead(s), {} enrolment(s), {} send(s), {} text(s), \
                 {} event(s), {} inbound message(s), {} suppression entry(ies), {} stop reason(s) \
                 naming it. The address is suppressed as {}.",
                ws.name,
                r.leads,
                r.enrolments,
                r.sends,
                r.messages,
                r.events,
                r.inbound_messages,
                r.suppressions,
                r.stop_reasons,
                done.suppressed_as
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}
