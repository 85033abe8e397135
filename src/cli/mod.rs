//! The command-line interface: argument definitions and one file per command. Commands print
//! results for people on stdout; logs go to stderr.

mod access;
mod apply;
mod campaign;
mod check_config;
mod classify;
mod demo;
mod enroll;
mod explain;
mod import_leads;
mod insight;
mod lead;
mod mailbox;
mod plan;
mod privacy;
mod reply;
mod review;
mod run;
mod sends;
mod status;

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::config::{self, LogFormat, Settings};
use crate::telemetry;

#[derive(Debug, Parser)]
#[command(
    name = "outreachd",
    version,
    about = "AI-personalised cold-email campaigns at high throughput"
)]
pub struct Cli {
    /// Config file(s) layered over the defaults, in order (also $OUTREACHD_CONFIG, comma-separated).
    #[arg(
        long,
        short = 'c',
        global = true,
        env = "OUTREACHD_CONFIG",
        value_delimiter = ','
    )]
    pub config: Vec<PathBuf>,
    /// Log format; overrides log.format.
    #[arg(long, global = true, value_enum)]
    pub log_format: Option<LogFormatArg>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum LogFormatArg {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the daemon: HTTP API, /healthz, /readyz, /metrics and the actor tree.
    Run(RunArgs),
    /// Seed a demo workspace on a fresh SQLite database and send its sequence to .eml files.
    Demo(DemoArgs),
    /// Apply pending database migrations and exit.
    Migrate,
    /// Validate the configuration and print it with secrets redacted.
    CheckConfig,
    /// Create or update a workspace, its mailboxes, products and campaigns from a TOML file.
    Apply(ApplyArgs),
    /// Import leads from a CSV file (optionally enrolling them into a campaign).
    ImportLeads(ImportLeadsArgs),
    /// Enrol existing leads into a campaign.
    Enroll(EnrollArgs),
    /// Show workspaces, mailboxes and campaigns with lead counts.
    Status(StatusArgs),
    /// Classify inbound messages (.eml files) as the IMAP poller would; prints JSON per file.
    Classify(ClassifyArgs),
    /// Campaign operations.
    #[command(subcommand)]
    Campaign(CampaignCommand),
    /// Lead operations: a lead's persona.
    #[command(subcommand)]
    Lead(lead::LeadCommand),
    /// Show what an apply file (-f) or a new daemon configuration (--new-config) would change,
    /// without writing.
    Plan(PlanArgs),
    /// Evaluate every limit for a lead of a campaign (or a mailbox): which one binds and when
    /// the next send is eligible.
    Explain(ExplainArgs),
    /// Pause, resume or show a mailbox.
    #[command(subcommand)]
    Mailbox(mailbox::MailboxCommand),
    /// List and resolve sends whose outcome is unknown.
    #[command(subcommand)]
    Sends(sends::SendsCommand),
    /// List and resolve inbound messages that need a person's reading.
    #[command(subcommand)]
    Review(review::ReviewCommand),
    /// Company insights: show the stored one on a domain, or ask the model again.
    #[command(subcommand)]
    Insight(insight::InsightCommand),
    /// Lead replies and their drafted answers: list, show, edit, approve, discard.
    #[command(subcommand)]
    Reply(reply::ReplyCommand),
    /// Users of the HTTP API.
    #[command(subcommand)]
    User(access::UserCommand),
    /// API tokens for machines.
    #[command(subcommand)]
    Token(access::TokenCommand),
    /// Print the HTTP API's OpenAPI 3.1 document (as served at /api/v1/openapi.json).
    Openapi,
    /// Privacy requests (GDPR/CCPA): export or erase everything held about an address.
    #[command(subcommand)]
    Privacy(privacy::PrivacyCommand),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Exit once nothing is in flight and nothing is due within dispatch.idle_period (batch
    /// runs, tests).
    #[arg(long)]
    pub until_idle: bool,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Where the demo keeps its database and outbox (wiped at start).
    #[arg(long, default_value = "data/demo")]
    pub dir: PathBuf,
    /// Demo leads to enrol.
    #[arg(long, default_value_t = 20)]
    pub leads: u32,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The apply file.
    #[arg(short = 'f', long = "file")]
    pub file: PathBuf,
    /// Show what would change without writing.
    #[arg(long)]
    pub dry_run: bool,
}

#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).multiple(true).args(["file", "new_config"])))]
pub struct PlanArgs {
    /// An apply file: show what `apply -f` would create, update (with old and new values) or
    /// leave unchanged.
    #[arg(short = 'f', long = "file")]
    pub file: Option<PathBuf>,
    /// Config file(s) a daemon started with the global --config files would reload: show the
    /// changed keys and which of them need a restart.
    #[arg(long = "new-config", value_delimiter = ',')]
    pub new_config: Vec<PathBuf>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// Workspace name (optional when there is only one).
    #[arg(long, short = 'w')]
    pub workspace: Option<String>,
    /// Campaign name (with --lead).
    #[arg(long, requires = "lead", conflicts_with = "mailbox")]
    pub campaign: Option<String>,
    /// Lead email (with --campaign).
    #[arg(long, requires = "campaign")]
    pub lead: Option<String>,
    /// Mailbox address: explain the mailbox's own limits.
    #[arg(long, required_unless_present = "campaign")]
    pub mailbox: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct ImportLeadsArgs {
    /// Workspace name.
    #[arg(long, short = 'w')]
    pub workspace: String,
    /// The CSV file.
    pub file: PathBuf,
    /// Enrol the imported (and already known) leads of the file into this campaign.
    #[arg(long)]
    pub campaign: Option<String>,
    /// Fill lead fields from the model's mapping proposal for columns no header alias places
    /// (with `imports.propose_mapping` on); without it the proposal is only printed.
    #[arg(long)]
    pub accept_mapping: bool,
}

#[derive(Debug, Args)]
pub struct EnrollArgs {
    #[arg(long, short = 'w')]
    pub workspace: String,
    #[arg(long)]
    pub campaign: String,
    /// Enrol every lead of the workspace.
    #[arg(long, conflicts_with = "email", required_unless_present = "email")]
    pub all: bool,
    /// Enrol these leads (repeatable).
    #[arg(long)]
    pub email: Vec<String>,
}

#[derive(Debug, Args)]
pub struct ClassifyArgs {
    /// Raw messages (.eml).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Our sending domains (repeatable): Message-IDs at other domains are not ours.
    #[arg(long = "domain")]
    pub domains: Vec<String>,
}

#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Make the campaign's pending steps due now and send them (ignoring delays and the
    /// sending window, never mailbox caps, suppressions or unsubscribes); report per lead.
    RunNow(RunNowArgs),
}

#[derive(Debug, Args)]
pub struct RunNowArgs {
    #[arg(long, short = 'w')]
    pub workspace: String,
    /// Campaign name.
    pub name: String,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Only this workspace (default: all).
    #[arg(long, short = 'w')]
    pub workspace: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

/// Runs one command. Errors are returned with context for `main` to print on one line.
pub async fn execute(cli: Cli) -> anyhow::Result<ExitCode> {
    let env: HashMap<String, String> = std::env::vars().collect();
    let loaded = config::load(&cli.config, &env)?;
    let mut settings = loaded.settings;
    if let Some(format) = cli.log_format {
        settings.log.format = match format {
            LogFormatArg::Human => LogFormat::Human,
            LogFormatArg::Json => LogFormat::Json,
        };
    }
    if matches!(cli.command, Command::Demo(_)) {
        // The demo speaks for itself on stdout; only problems are logged.
        settings.log.level = "warn".into();
    }
    telemetry::init_tracing(&settings.log.level, settings.log.format);
    crate::startup::install_crypto_provider();
    match cli.command {
        Command::Run(args) => {
            let sources = crate::startup::ReloadSources {
                files: loaded.files.clone(),
                env: env.clone(),
            };
            run::run(settings, args, sources).await
        }
        Command::Demo(args) => demo::demo(settings, args).await,
        Command::Migrate => migrate(&settings).await,
        Command::CheckConfig => check_config::check_config(&settings, &loaded.files, &env),
        Command::Apply(args) => apply::apply(&settings, args, &env).await,
        Command::ImportLeads(args) => import_leads::import_leads(&settings, args).await,
        Command::Enroll(args) => enroll::enroll(&settings, args).await,
        Command::Status(args) => status::status(&settings, args).await,
        Command::Classify(args) => classify::classify(args),
        Command::Campaign(CampaignCommand::RunNow(args)) => campaign::run_now(settings, args).await,
        Command::Plan(args) => plan::plan(&settings, args, &env).await,
        Command::Explain(args) => explain::explain(&settings, args).await,
        Command::Mailbox(command) => mailbox::mailbox(&settings, command).await,
        Command::Sends(command) => sends::sends(&settings, command).await,
        Command::Review(command) => review::review(&settings, command).await,
        Command::Insight(command) => insight::insight(&settings, command).await,
        Command::Reply(command) => reply::reply(&settings, command).await,
        Command::Lead(command) => lead::lead(&settings, command).await,
        Command::User(command) => access::user(&settings, command).await,
        Command::Token(command) => access::token(&settings, command).await,
        Command::Openapi => {
            println!(
                "{}",
                serde_json::to_string_pretty(&crate::api::v1::openapi())?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Privacy(command) => privacy::privacy(&settings, command).await,
    }
}

async fn migrate(settings: &Settings) -> anyhow::Result<ExitCode> {
    let store = crate::startup::open_store(settings, crate::store::OpenMode::Tool).await?;
    println!("Database is up to date ({:?}).", store.backend());
    Ok(ExitCode::SUCCESS)
}

/// The named workspace, or an error telling the user how to create it.
pub(crate) async fn find_workspace(
    store: &dyn crate::store::Store,
    name: &str,
) -> anyhow::Result<crate::domain::Workspace> {
    store.workspace_by_name(name).await?.ok_or_else(|| {
        anyhow::anyhow!("workspace {name:?} not found; create it with `outreachd apply -f FILE`")
    })
}

/// The named campaign of a workspace, or an error naming both.
pub(crate) async fn find_campaign(
    store: &dyn crate::store::Store,
    ws: &crate::domain::Workspace,
    name: &str,
) -> anyhow::Result<crate::domain::Campaign> {
    store
        .campaign_by_name(ws.id, name)
        .await?
        .ok_or_else(|| anyhow::anyhow!("campaign {name:?} not found in workspace {:?}", ws.name))
}
