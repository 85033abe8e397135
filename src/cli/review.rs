//! `outreachd review list|resolve`: the inbound messages the classifier left to a person, and
//! a person's reading of one. The rules live in `service::reviews`; this file parses arguments
//! and prints.

use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use crate::config::Settings;
use crate::domain::{InboundReview, ReviewFilter, ReviewId, ReviewResolution, ReviewStatus};
use crate::service::reviews::{self, ReviewError};
use crate::service::{self};
use crate::store::OpenMode;

/// Reviews listed at most.
const LIST_LIMIT: u32 = 1_000;

#[derive(Debug, Subcommand)]
pub enum ReviewCommand {
    /// List open reviews (with `--all`, resolved ones too): id, reason, mailbox, lead,
    /// received, and the classifier's reading.
    List(ListArgs),
    /// Resolve a review as a reply, an unsubscribe, a hard or soft bounce, or nothing.
    Resolve(ResolveArgs),
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Workspace name (optional when there is only one).
    #[arg(long, short = 'w')]
    pub workspace: Option<String>,
    /// Resolved reviews too.
    #[arg(long)]
    pub all: bool,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum AsArg {
    Reply,
    Unsubscribe,
    Hard,
    Soft,
    Dismiss,
}

#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// The review id, as `review list` shows it.
    pub id: uuid::Uuid,
    /// The reading: reply and unsubscribe answer `unsubscribe_or_reply`, hard and soft answer
    /// `hard_or_soft`; dismiss answers either (the lead is active again, nothing else).
    #[arg(long = "as", value_enum)]
    pub resolution: AsArg,
    /// Workspace name (optional when there is only one).
    #[arg(long, short = 'w')]
    pub workspace: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

pub async fn review(settings: &Settings, command: ReviewCommand) -> anyhow::Result<ExitCode> {
    let store = crate::startup::open_store(settings, OpenMode::Tool).await?;
    let store = store.as_ref();
    match command {
        ReviewCommand::List(args) => {
            let ws = service::workspace(store, args.workspace.as_deref()).await?;
            let filter = ReviewFilter {
                status: (!args.all).then_some(ReviewStatus::Open),
                after: None,
                limit: LIST_LIMIT,
            };
            let list = reviews::list(store, ws.id, &filter).await?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&list)?);
                return Ok(ExitCode::SUCCESS);
            }
            if list.is_empty() {
                println!("No reviews.");
            }
            for r in &list {
                print_line(r);
            }
        }
        ReviewCommand::Resolve(args) => {
            let ws = service::workspace(store, args.workspace.as_deref()).await?;
            let resolution = match args.resolution {
                AsArg::Reply => ReviewResolution::Reply,
                AsArg::Unsubscribe => ReviewResolution::Unsubscribe,
                AsArg::Hard => ReviewResolution::Hard,
                AsArg::Soft => ReviewResolution::Soft,
                AsArg::Dismiss => ReviewResolution::Dismiss,
            };
            let limit = settings.imap.soft_bounce_limit;
            let id = ReviewId(args.id);
            match reviews::resolve(store, ws.id, id, resolution, "cli", limit).await {
                Ok((review, _)) if args.json => {
                    println!("{}", serde_json::to_string_pretty(&review)?);
                }
                Ok((review, outcome)) => {
                    println!(
                        "{}: resolved as {resolution}; {} lead(s) matched, {} stopped",
                        review.id, outcome.matched, outcome.stopped
                    );
                }
                Err(e @ (ReviewError::Resolved(_) | ReviewError::WrongReading { .. })) => {
                    eprintln!("error: {e}");
                    return Ok(ExitCode::FAILURE);
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_line(r: &InboundReview) {
    let class = r
        .classification
        .get("class")
        .and_then(|c| c.as_str())
        .unwrap_or("-");
    let state = match r.resolution {
        Some(res) => format!("resolved as {res}"),
        None => "open".to_owned(),
    };
    println!(
        "{}  {}  {}  {}  {}  read as {class}  {state}",
        r.id,
        r.reason,
        r.mailbox,
        r.lead_email.as_deref().unwrap_or("-"),
        r.received_at.to_rfc3339(),
    );
}
