//! `outreachd import-leads --workspace W FILE.csv [--campaign C]`.
//!
//! Resolves the workspace and campaign by name before reading a single row (so a typo costs
//! nothing), streams the file through [`crate::import`], and prints a one-line summary plus the
//! first problems by line on stdout. A progress bar is drawn on stderr, only on a terminal. Bad
//! rows do not fail the command: it exits non-zero only when nothing could be done.

use std::fs::File;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use std::sync::Arc;

use crate::ai::Models;
use crate::config::Settings;
use crate::domain::MappingProposal;
use crate::import::{self, ImportOptions, NoProgress, Progress, thousands};
use crate::service::imports::mapping::Proposer;
use crate::service::usage::UsageRecorder;
use crate::store::OpenMode;

use super::ImportLeadsArgs;

pub async fn import_leads(settings: &Settings, args: ImportLeadsArgs) -> anyhow::Result<ExitCode> {
    // Open the file before the store, so a wrong path leaves no trace in the database.
    let file = File::open(&args.file)
        .with_context(|| format!("Failed to open the lead file {}", args.file.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let store = crate::startup::open_store(settings, OpenMode::Tool).await?;
    let workspace = store
        .workspace_by_name(&args.workspace)
        .await
        .context("Failed to look up the workspace")?
        .with_context(|| {
            format!(
                "workspace {:?} not found; create it with outreachd apply",
                args.workspace
            )
        })?;
    let campaign = match &args.campaign {
        None => None,
        Some(name) => {
            let campaign = store
                .campaign_by_name(workspace.id, name)
                .await
                .context("Failed to look up the campaign")?
                .with_context(|| {
                    format!(
                        "campaign {name:?} not found in workspace {:?}; declare it in an apply \
                         file and run outreachd apply",
                        workspace.name
                    )
                })?;
            import::check_enrollable(&campaign)
                .map_err(|e| anyhow::anyhow!("{e} (outreachd apply adds them)"))?;
            Some(campaign)
        }
    };
    // Rows are written before `propose` returns: nothing is left queued when the process exits.
    let usage = UsageRecorder::direct(store.clone(), settings.budgets.clone());
    let proposed = match Proposer::new(
        &settings.imports,
        Arc::new(Models::new(&settings.ai).context("invalid [ai] settings")?),
        &settings.ai,
        usage,
    ) {
        Some(proposer) => proposer.propose(workspace.id, &args.file).await,
        None => None,
    };
    if let Some(p) = &proposed {
        print_proposal(&p.proposal, args.accept_mapping);
    }
    let options = ImportOptions {
        campaign: campaign.as_ref().map(|c| c.id),
        mapping: match proposed {
            Some(p) if args.accept_mapping => p.overrides,
            _ => Vec::new(),
        },
        ..ImportOptions::default()
    };
    let mut progress: Box<dyn Progress> = if std::io::stderr().is_terminal() {
        Box::new(TerminalProgress::new(size))
    } else {
        Box::new(NoProgress)
    };
    let report = import::import_csv(
        file,
        store.as_ref(),
        workspace.id,
        &options,
        progress.as_mut(),
    )
    .await
    .with_context(|| format!("Failed to import {}", args.file.display()));
    drop(progress);
    let report = report?;

    let file_name = args.file.file_name().map_or_else(
        || args.file.display().to_string(),
        |name| name.to_string_lossy().into_owned(),
    );
    println!("{}", report.summary(&file_name, args.campaign.as_deref()));
    if !report.custom_columns.is_empty() {
        let quoted: Vec<String> = report
            .custom_columns
            .iter()
            .map(|c| format!("{c:?}"))
            .collect();
        println!("Kept as custom fields: {}.", quoted.join(", "));
    }
    if report.problems_total > 0 {
        println!("Rows not imported, by line:");
        for line in report.problem_lines() {
            println!("{line}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The model's proposal, one column a line, and what the import does with it.
fn print_proposal(proposal: &MappingProposal, accepted: bool) {
    println!(
        "Mapping proposed by {} ({}) for columns no header alias places:",
        proposal.provider, proposal.model
    );
    for m in &proposal.mappings {
        println!(
            "  {:?} -> {} ({:.0}%)",
            m.column,
            m.field,
            m.confidence * 100.0
        );
    }
    if accepted {
        println!("Accepted: mapped columns fill those fields.");
    } else {
        println!("Not used; run again with --accept-mapping to fill those fields.");
    }
}

/// A bar over the file's bytes, with rows and rows per second as its message. Cleared on drop so
/// the summary printed after it stands alone.
struct TerminalProgress {
    bar: ProgressBar,
    started: Instant,
}

impl TerminalProgress {
    fn new(size: u64) -> Self {
        let bar = ProgressBar::new(size);
        // The template is a constant; should it ever fail to parse, the default style is fine.
        if let Ok(style) = ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {percent:>3}% {msg} (ETA {eta})",
        ) {
            bar.set_style(style);
        }
        Self {
            bar,
            started: Instant::now(),
        }
    }
}

impl Progress for TerminalProgress {
    fn update(&mut self, rows: u64, bytes: u64) {
        let seconds = self.started.elapsed().as_secs_f64().max(0.001);
        // Whole rows per second: truncating the float is what we want.
        let rate = (rows as f64 / seconds) as u64;
        self.bar.set_position(bytes);
        self.bar.set_message(format!(
            "{} rows, {} rows/s",
            thousands(rows),
            thousands(rate)
        ));
    }
}

impl Drop for TerminalProgress {
    fn drop(&mut self) {
        self.bar.finish_and_clear();
    }
}
