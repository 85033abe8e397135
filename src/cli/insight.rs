//! `outreachd insight show|refresh DOMAIN`: a company insight as stored, or asked for again.
//! The rules live in `service::insights`; this file parses arguments and prints.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::config::Settings;
use crate::domain::CompanyInsight;
use crate::service::insights::{InsightError, Insights};
use crate::service::usage::UsageRecorder;
use crate::service::{self};
use crate::store::OpenMode;

#[derive(Debug, Subcommand)]
pub enum InsightCommand {
    /// Show the stored insight on a company's domain (with its expiry).
    Show(InsightArgs),
    /// Ask the configured model about the domain now and store the answer.
    Refresh(InsightArgs),
}

#[derive(Debug, Args)]
pub struct InsightArgs {
    /// The company's domain (`acme.com`).
    pub domain: String,
    /// Workspace name (optional when there is only one).
    #[arg(long, short = 'w')]
    pub workspace: Option<String>,
    /// Machine-readable output.
    #[arg(long)]
    pub json: bool,
}

pub async fn insight(settings: &Settings, command: InsightCommand) -> anyhow::Result<ExitCode> {
    let store = crate::startup::open_store(settings, OpenMode::Tool).await?;
    let models = crate::ai::Models::new(&settings.ai).context("invalid [ai] settings")?;
    // Rows are written before `refresh` returns: nothing is left queued when the process exits.
    let usage = UsageRecorder::direct(store.clone(), settings.budgets.clone());
    let insights = Insights::new(
        settings.insights.clone(),
        Arc::new(models),
        &settings.ai,
        usage,
    );
    let (args, refresh) = match command {
        InsightCommand::Show(args) => (args, false),
        InsightCommand::Refresh(args) => (args, true),
    };
    let store = store.as_ref();
    let ws = service::workspace(store, args.workspace.as_deref()).await?;
    let result = if refresh {
        insights
            .refresh(store, ws.id, &args.domain)
            .await
            .map(|r| (r.insight, Some(r.usage)))
    } else {
        insights
            .show(store, ws.id, &args.domain)
            .await
            .map(|i| (i, None))
    };
    let (insight, usage) = match result {
        Ok(found) => found,
        Err(e @ (InsightError::Store(_) | InsightError::Provider(_))) => return Err(e.into()),
        Err(e) => {
            eprintln!("error: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    if args.json {
        println!("{}", serde_json::to_string_pretty(&insight)?);
        return Ok(ExitCode::SUCCESS);
    }
    print(&insight);
    if let Some(u) = usage {
        println!(
            "\nAsked {} ({}): {} tokens in, {} out, ${:.4}, {:.1}s",
            u.provider,
            u.model,
            u.input_tokens,
            u.output_tokens,
            u.cost_usd,
            u.latency.as_secs_f64()
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn print(i: &CompanyInsight) {
    println!("{}  (by {} {})", i.domain, i.provider, i.model);
    println!(
        "fetched {}, expires {}",
        i.fetched_at.to_rfc3339(),
        i.expires_at.to_rfc3339()
    );
    println!("\n{}", i.facts.summary);
    let list = |title: &str, items: &[String]| {
        if !items.is_empty() {
            println!("\n{title}:");
            for item in items {
                println!("  - {item}");
            }
        }
    };
    list("Recent developments", &i.facts.recent_developments);
    list("Facts", &i.facts.facts);
    let sources: Vec<String> = i
        .facts
        .citations
        .iter()
        .map(|c| match &c.title {
            Some(title) => format!("{title} <{}>", c.url),
            None => c.url.clone(),
        })
        .collect();
    list("Sources", &sources);
}
