//! `outreachd sends unknown|resolve`: list the sends whose outcome is unknown and record an
//! operator's verdict on them. The rules live in `service::sends`; this file parses arguments
//! and prints.

use std::process::ExitCode;

use chrono::Utc;
use clap::{Args, Subcommand, ValueEnum};

use crate::config::Settings;
use crate::domain::{HumanDuration, SendId};
use crate::service::sends::{self, Resolution, Selection};
use crate::service::{self};
use crate::store::OpenMode;

#[derive(Debug, Subcommand)]
pub enum SendsCommand {
    /// List sends whose outcome is unknown (the server may or may not have accepted them):
    /// id, mailbox, lead, step, Message-ID and age.
    Unknown(UnknownArgs),
    /// Resolve unknown sends: `--as sent` records them sent and moves their leads on;
    /// `--as resend` sends them again with the same Message-ID and text.
    Resolve(ResolveArgs),
}

/// Which sends a command looks at, and how it prints.
#[derive(Debug, Args)]
pub struct Scope {
    /// Workspace name (optional when there is only one).
    #[arg(long, short = 'w')]
    pub workspace: Option<String>,
    /// Only this campaign's sends.
    #[arg(long)]
    pub campaign: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct UnknownArgs {
    #[command(flatten)]
    pub scope: Scope,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum AsArg {
    Sent,
    Resend,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("which").required(true).args(["ids", "older_than"])))]
pub struct ResolveArgs {
    /// Send ids, as `sends unknown` lists them.
    pub ids: Vec<uuid::Uuid>,
    /// Every unknown send that became unknown longer ago than this (e.g. "2h", "1d").
    #[arg(long, conflicts_with = "ids")]
    pub older_than: Option<HumanDuration>,
    /// The verdict.
    #[arg(long = "as", value_enum)]
    pub resolution: AsArg,
    #[command(flatten)]
    pub scope: Scope,
}

pub async fn sends(settings: &Settings, command: SendsCommand) -> anyhow::Result<ExitCode> {
    let store = crate::startup::open_store(settings, OpenMode::Tool).await?;
    let store = store.as_ref();
    let now = Utc::now();
    match command {
        SendsCommand::Unknown(args) => {
            let ws = service::workspace(store, args.scope.workspace.as_deref()).await?;
            let list = sends::unknown(store, &ws, args.scope.campaign.as_deref()).await?;
            if args.scope.json {
                println!("{}", serde_json::to_string_pretty(&list)?);
                return Ok(ExitCode::SUCCESS);
            }
            if list.is_empty() {
                println!("No unknown sends.");
            }
            for s in &list {
                let age = HumanDuration::from_secs(
                    u64::try_from((now - s.since).num_seconds()).unwrap_or(0),
                );
                println!(
                    "{}  {}  {}  {}  step {}  {}  {age} ago",
                    s.send_id,
                    s.campaign,
                    s.mailbox.as_deref().unwrap_or("-"),
                    s.lead_email,
                    s.step_order,
                    s.message_id.as_deref().unwrap_or("-"),
                );
            }
        }
        SendsCommand::Resolve(args) => {
            let ws = service::workspace(store, args.scope.workspace.as_deref()).await?;
            let selection = match args.older_than {
                Some(age) => Selection::OlderThan(age.to_chrono()),
                None => Selection::Ids(args.ids.iter().map(|id| SendId(*id)).collect()),
            };
            let resolution = match args.resolution {
                AsArg::Sent => Resolution::Sent,
                AsArg::Resend => Resolution::Resend,
            };
            let results = sends::resolve(
                store,
                &ws,
                args.scope.campaign.as_deref(),
                &selection,
                resolution,
                now,
            )
            .await?;
            if args.scope.json {
                println!("{}", serde_json::to_string_pretty(&results)?);
            } else {
                print_results(&results, resolution);
            }
            if results.iter().any(|r| !r.applied) {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_results(results: &[sends::Resolved], resolution: Resolution) {
    for r in results {
        match (&r.send, r.applied) {
            (None, _) => println!("{}: not an unknown send here; left alone", r.send_id),
            (Some(_), false) => println!("{}: no longer unknown; left alone", r.send_id),
            (Some(s), true) => {
                let what = match (resolution, r.next_due) {
                    (Resolution::Resend, _) => "queued to send again".to_owned(),
                    (Resolution::Sent, Some(due)) => {
                        format!("sent; next step due {}", due.to_rfc3339())
                    }
                    (Resolution::Sent, None) => "sent; sequence completed".to_owned(),
                };
                println!(
                    "{}: {} step {}: {what}",
                    r.send_id, s.lead_email, s.step_order
                );
            }
        }
    }
    let applied = results.iter().filter(|r| r.applied).count();
    println!(
        "Resolved {applied} of {} send(s) as {}.",
        results.len(),
        resolution.as_str()
    );
}
