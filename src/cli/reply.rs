//! `outreachd reply list|show|edit|approve|discard`: lead replies and the answers drafted for
//! them. The rules live in `service::replies`; this file parses arguments and prints.

use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};

use crate::config::Settings;
use crate::domain::{CampaignId, LeadReply, LeadReplyId, ReplyFilter, ReplyStatus};
use crate::service::replies::{self, ReplyError};
use crate::service::{self};
use crate::store::OpenMode;

/// Replies listed at most.
const LIST_LIMIT: u32 = 1_000;

#[derive(Debug, Subcommand)]
pub enum ReplyCommand {
    /// List replies with their answers: id, status, campaign, lead, received, subject.
    List(ListArgs),
    /// Show a reply and its answer in full.
    Show(IdArgs),
    /// Write the answer's subject and body (a pending or drafted answer).
    Edit(EditArgs),
    /// Approve a drafted answer: its mailbox sends it in the lead's thread.
    Approve(IdArgs),
    /// Discard an answer not yet sending.
    Discard(IdArgs),
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum StatusArg {
    Pending,
    Drafted,
    Approved,
    Sending,
    Sent,
    Failed,
    Unknown,
    Discarded,
}

impl From<StatusArg> for ReplyStatus {
    fn from(s: StatusArg) -> Self {
        match s {
            StatusArg::Pending => Self::Pending,
            StatusArg::Drafted => Self::Drafted,
            StatusArg::Approved => Self::Approved,
            StatusArg::Sending => Self::Sending,
            StatusArg::Sent => Self::Sent,
            StatusArg::Failed => Self::Failed,
            StatusArg::Unknown => Self::Unknown,
            StatusArg::Discarded => Self::Discarded,
        }
    }
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// Workspace name (optional when there is only one).
    #[arg(long, short = 'w')]
    pub workspace: Option<String>,
    /// Only replies in this status.
    #[arg(long, value_enum)]
    pub status: Option<StatusArg>,
    /// Only replies of this campaign (its id).
    #[arg(long)]
    pub campaign: Option<uuid::Uuid>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct IdArgs {
    /// The reply id, as `reply list` shows it.
    pub id: uuid::Uuid,
    /// Workspace name (optional when there is only one).
    #[arg(long, short = 'w')]
    pub workspace: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct EditArgs {
    #[command(flatten)]
    pub reply: IdArgs,
    /// The answer's subject (kept when absent).
    #[arg(long)]
    pub subject: Option<String>,
    /// The answer's body (kept when absent).
    #[arg(long)]
    pub body: Option<String>,
}

pub async fn reply(settings: &Settings, command: ReplyCommand) -> anyhow::Result<ExitCode> {
    let store = crate::startup::open_store(settings, OpenMode::Tool).await?;
    let store = store.as_ref();
    let result = match command {
        ReplyCommand::List(args) => {
            let ws = service::workspace(store, args.workspace.as_deref()).await?;
            let filter = ReplyFilter {
                status: args.status.map(Into::into),
                campaign: args.campaign.map(CampaignId),
                after: None,
                limit: LIST_LIMIT,
            };
            let list = replies::list(store, ws.id, &filter).await?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&list)?);
            } else if list.is_empty() {
                println!("No replies.");
            }
            for r in list.iter().filter(|_| !args.json) {
                println!(
                    "{}  {}  {}  {}  {}  {}",
                    r.id,
                    r.status,
                    r.campaign_id,
                    r.lead_email,
                    r.received_at.to_rfc3339(),
                    r.subject
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
        ReplyCommand::Show(args) => {
            let ws = service::workspace(store, args.workspace.as_deref()).await?;
            let found = replies::get(store, ws.id, LeadReplyId(args.id)).await;
            (found, args.json)
        }
        ReplyCommand::Edit(args) => {
            let ws = service::workspace(store, args.reply.workspace.as_deref()).await?;
            let id = LeadReplyId(args.reply.id);
            let current = replies::get(store, ws.id, id).await?;
            let subject = args
                .subject
                .or(current.draft_subject)
                .unwrap_or_else(|| crate::content::reply_subject(&current.subject));
            let body = args.body.or(current.draft_body).unwrap_or_default();
            let edited = replies::edit(store, ws.id, id, &subject, &body, "cli").await;
            (edited, args.reply.json)
        }
        ReplyCommand::Approve(args) => {
            let ws = service::workspace(store, args.workspace.as_deref()).await?;
            let approved = replies::approve(store, ws.id, LeadReplyId(args.id), "cli").await;
            (approved, args.json)
        }
        ReplyCommand::Discard(args) => {
            let ws = service::workspace(store, args.workspace.as_deref()).await?;
            let discarded = replies::discard(store, ws.id, LeadReplyId(args.id), "cli").await;
            (discarded, args.json)
        }
    };
    match result {
        (Ok(r), true) => println!("{}", serde_json::to_string_pretty(&r)?),
        (Ok(r), false) => print_reply(&r),
        (Err(e @ (ReplyError::Conflict(_) | ReplyError::Invalid { .. })), _) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::FAILURE);
        }
        (Err(e), _) => return Err(e.into()),
    }
    Ok(ExitCode::SUCCESS)
}

fn print_reply(r: &LeadReply) {
    println!("reply {}  ({})", r.id, r.status);
    println!(
        "from {} to {} at {}",
        r.lead_email,
        r.mailbox,
        r.received_at.to_rfc3339()
    );
    println!("subject: {}\n\n{}\n", r.subject, r.body);
    match (&r.draft_subject, &r.draft_body) {
        (Some(subject), Some(body)) => {
            println!("answer ({}):", r.draft_provider.as_deref().unwrap_or("-"));
            println!("subject: {subject}\n\n{body}");
        }
        _ => println!(
            "no answer yet{}",
            r.draft_error
                .as_deref()
                .map(|e| format!(" (drafting failed: {e})"))
                .unwrap_or_default()
        ),
    }
    if let Some(error) = &r.send_error {
        println!("\nsending: {error}");
    }
}
