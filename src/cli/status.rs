//! `outreachd status`: what is configured and where every lead stands.

use crate::domain::WorkspaceSummary;
use std::fmt::Write;
use std::process::ExitCode;

use chrono::Utc;

use crate::config::Settings;
use crate::store::OpenMode;

use super::{StatusArgs, find_workspace};

pub async fn status(settings: &Settings, args: StatusArgs) -> anyhow::Result<ExitCode> {
    let store = crate::startup::open_store(settings, OpenMode::Tool).await?;
    let workspaces = match &args.workspace {
        Some(name) => vec![find_workspace(store.as_ref(), name).await?],
        None => store.list_workspaces().await?,
    };
    let mut summaries = Vec::with_capacity(workspaces.len());
    for ws in &workspaces {
        summaries.push(store.workspace_summary(ws.id, Utc::now()).await?);
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summaries)?);
    } else if summaries.is_empty() {
        println!("No workspaces yet. Create one with `outreachd apply -f FILE`.");
    } else {
        for summary in &summaries {
            print!("{}", render(summary));
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Plain-text report for people.
fn render(s: &WorkspaceSummary) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Workspace {}: {} leads, {} suppressions",
        s.workspace, s.leads, s.suppressions
    );
    let _ = writeln!(out, "  Mailboxes ({}):", s.mailboxes.len());
    for m in &s.mailboxes {
        let reason = m
            .status_reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "    {:<40} {:<8}{} sent today {}/{}",
            m.address, m.status, reason, m.sent_today, m.daily_cap
        );
    }
    let _ = writeln!(out, "  Campaigns ({}):", s.campaigns.len());
    for c in &s.campaigns {
        let leads: Vec<String> = c
            .leads_by_status
            .iter()
            .map(|(status, n)| format!("{status} {n}"))
            .collect();
        let _ = writeln!(
            out,
            "    {:<30} {:<9} {} steps, {} mailboxes, {} sent, {} due now, AI cost ${:.2}; leads: {}",
            format!("\"{}\"", c.name),
            c.status,
            c.steps,
            c.mailboxes,
            c.emails_sent,
            c.due_now,
            c.cost_usd,
            if leads.is_empty() {
                "none".to_owned()
            } else {
                leads.join(", ")
            }
        );
    }
    out
}
