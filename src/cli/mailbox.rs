//! `outreachd mailbox pause|resume|status`: an operator's hand on a mailbox. The rules live in
//! `service::mailboxes`; this file parses arguments and prints.

use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;
use clap::{Args, Subcommand};

use crate::config::Settings;
use crate::domain::EmailAddress;
use crate::service::{self, mailboxes};
use crate::store::OpenMode;

#[derive(Debug, Subcommand)]
pub enum MailboxCommand {
    /// Stop sending from a mailbox until it is resumed (a running daemon stops its actor
    /// within daemon.reconcile_interval).
    Pause(PauseArgs),
    /// Lift a mailbox's pause and any cooldown (a running daemon starts its actor within
    /// daemon.reconcile_interval).
    Resume(ResumeArgs),
    /// Show mailboxes' state, pause reason, cooldown end and today's sends against the cap.
    Status(StatusArgs),
}

#[derive(Debug, Args)]
pub struct PauseArgs {
    /// The mailbox's address.
    pub address: String,
    /// Workspace name (optional when there is only one).
    #[arg(long, short = 'w')]
    pub workspace: Option<String>,
    /// Why, shown by `mailbox status` (default: "paused by an operator").
    #[arg(long)]
    pub reason: Option<String>,
}

#[derive(Debug, Args)]
pub struct ResumeArgs {
    /// The mailbox's address.
    pub address: String,
    /// Workspace name (optional when there is only one).
    #[arg(long, short = 'w')]
    pub workspace: Option<String>,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Only this mailbox (default: all of the workspace's).
    pub address: Option<String>,
    /// Workspace name (optional when there is only one).
    #[arg(long, short = 'w')]
    pub workspace: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

fn address(text: &str) -> anyhow::Result<EmailAddress> {
    EmailAddress::parse(text).with_context(|| format!("mailbox address {text:?}"))
}

pub async fn mailbox(settings: &Settings, command: MailboxCommand) -> anyhow::Result<ExitCode> {
    let store = crate::startup::open_store(settings, OpenMode::Tool).await?;
    let store = store.as_ref();
    let now = Utc::now();
    match command {
        MailboxCommand::Pause(args) => {
            let ws = service::workspace(store, args.workspace.as_deref()).await?;
            let address = address(&args.address)?;
            let done = mailboxes::pause(store, &ws, &address, args.reason.as_deref(), now).await?;
            match done.changed {
                true => println!(
                    "Mailbox {} paused (was {}); a running daemon stops sending from it within its reconcile interval.",
                    done.address, done.before
                ),
                false => println!("Mailbox {} is already paused.", done.address),
            }
        }
        MailboxCommand::Resume(args) => {
            let ws = service::workspace(store, args.workspace.as_deref()).await?;
            let address = address(&args.address)?;
            let done = mailboxes::resume(store, &ws, &address, now).await?;
            match (done.changed, &done.before_reason) {
                (false, _) => println!("Mailbox {} is already active.", done.address),
                (true, Some(reason)) => println!(
                    "Mailbox {} resumed (was {}: {reason}); a running daemon starts it within its reconcile interval.",
                    done.address, done.before
                ),
                (true, None) => println!(
                    "Mailbox {} resumed (was {}); a running daemon starts it within its reconcile interval.",
                    done.address, done.before
                ),
            }
        }
        MailboxCommand::Status(args) => {
            let ws = service::workspace(store, args.workspace.as_deref()).await?;
            let address = args.address.as_deref().map(address).transpose()?;
            let states = mailboxes::status(store, &ws, address.as_ref(), now).await?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&states)?);
            } else {
                print_states(&states);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_states(states: &[mailboxes::MailboxState]) {
    if states.is_empty() {
        println!("No mailboxes.");
    }
    for s in states {
        let mut line = format!(
            "{}  {}  sent today {}/{}",
            s.address, s.status, s.sent_today, s.daily_cap_today
        );
        if let Some(until) = s.cooling_until {
            line.push_str(&format!("  cooling until {}", until.to_rfc3339()));
        }
        if let Some(reason) = &s.reason {
            line.push_str(&format!("  reason: {reason}"));
        }
        println!("{line}");
    }
}
