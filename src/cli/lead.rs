//! `outreachd lead persona EMAIL`: a lead's persona, generated once (with the `[personas]`
//! provider) and printed as JSON; `--regenerate` replaces it. The rules live in
//! `service::personas`; this file parses arguments and prints.

use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Subcommand};

use crate::config::Settings;
use crate::domain::LeadFilter;
use crate::service::personas::{self, Mode};
use crate::service::usage::UsageRecorder;
use crate::service::{self};
use crate::store::{OpenMode, Store};

#[derive(Debug, Subcommand)]
pub enum LeadCommand {
    /// Print a lead's persona, generating it when the lead has none (or with --regenerate).
    /// The lead's website is read (public addresses only); its LinkedIn URL is passed to the
    /// model as a reference and never fetched.
    Persona(PersonaArgs),
}

#[derive(Debug, Args)]
pub struct PersonaArgs {
    /// The lead's email address.
    pub email: String,
    /// Workspace name (optional when there is only one).
    #[arg(long, short = 'w')]
    pub workspace: Option<String>,
    /// Generate a new persona and replace the stored one.
    #[arg(long)]
    pub regenerate: bool,
    /// Store this profile text (a bio, notes) on the lead first; it is used with the website.
    /// An empty text clears it.
    #[arg(long)]
    pub profile_text: Option<String>,
}

pub async fn lead(settings: &Settings, command: LeadCommand) -> anyhow::Result<ExitCode> {
    let LeadCommand::Persona(args) = command;
    let store: Arc<dyn Store> = crate::startup::open_store(settings, OpenMode::Tool).await?;
    let ws = service::workspace(store.as_ref(), args.workspace.as_deref()).await?;
    let filter = LeadFilter {
        email: Some(args.email.trim().to_owned()),
        ..LeadFilter::default()
    };
    let Some(record) = store.list_leads(ws.id, &filter, None, 1).await?.pop() else {
        eprintln!("error: no lead {} in workspace {}", args.email, ws.name);
        return Ok(ExitCode::FAILURE);
    };
    let id = record.lead.id;
    if let Some(text) = &args.profile_text {
        personas::set_profile_text(store.as_ref(), ws.id, id, Some(text)).await?;
    }
    let models = crate::ai::Models::new(&settings.ai)?;
    // Rows are written before `persona` returns: nothing is left queued when the process exits.
    let usage = UsageRecorder::direct(store.clone(), settings.budgets.clone());
    let generator = crate::startup::persona_generator(settings, &models, store.clone(), usage)
        .map_err(|problem| anyhow::anyhow!("no persona model is usable: {problem}"))?;
    let mode = if args.regenerate {
        Mode::Regenerate
    } else {
        Mode::Reuse
    };
    match generator.persona(ws.id, id, mode).await {
        Ok(outcome) => {
            if let Some(e) = &outcome.website_error {
                eprintln!("warning: the website was left out: {e}");
            }
            if let Some(usage) = &outcome.usage {
                eprintln!(
                    "Generated with {} {} ({} + {} tokens, ${:.6}).",
                    usage.provider,
                    usage.model,
                    usage.input_tokens,
                    usage.output_tokens,
                    usage.cost_usd
                );
            }
            let persona = outcome.record.lead.persona.unwrap_or_default();
            println!("{}", serde_json::to_string_pretty(&persona)?);
            Ok(ExitCode::SUCCESS)
        }
        Err(e @ personas::PersonaError::Store(_)) => Err(e.into()),
        Err(e) => {
            eprintln!("error: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}
