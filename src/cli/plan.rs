//! `outreachd plan`: what an apply file (`-f`) or a reload of the daemon configuration
//! (`--new-config`) would change, without writing anything.
//!
//! `-f` reuses the apply planner (`manifest::apply` as a dry run: created / updated /
//! unchanged per object, all references checked) and adds the old and new values of the
//! limit-like keys that differ (caps, gaps, warm-up, window...). Secrets are never shown:
//! a changed password is reported by name only. `--new-config` compares the configuration of
//! the global `--config` files with the given ones, key by key, and says which keys a running
//! daemon reloads and which need a restart.

use crate::domain::{Campaign, Change, Mailbox, MailboxSpec, SendingRules};
use std::collections::HashMap;
use std::process::ExitCode;

use anyhow::Context;
use serde::Serialize;

use crate::config::{self, ConfigChange, Settings, diff_settings, render_changes};
use crate::manifest::{self, ApplyReport, Manifest, ObjectKind};
use crate::service::mailboxes::WantedStatus;
use crate::store::{OpenMode, Store};

use super::PlanArgs;

/// One key's old and new value (`None` when the value is a secret or too long to show).
#[derive(Debug, Serialize)]
struct FieldChange {
    key: String,
    old: Option<String>,
    new: Option<String>,
}

#[derive(Debug, Serialize)]
struct ObjectPlan {
    kind: ObjectKind,
    name: String,
    change: Change,
    fields: Vec<FieldChange>,
}

#[derive(Debug, Default, Serialize)]
struct PlanOutput {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    objects: Vec<ObjectPlan>,
    #[serde(skip_serializing_if = "Option::is_none")]
    config: Option<Vec<ConfigChange>>,
}

pub async fn plan(
    settings: &Settings,
    args: PlanArgs,
    env: &HashMap<String, String>,
) -> anyhow::Result<ExitCode> {
    let mut output = PlanOutput::default();
    let mut text = String::new();
    if !args.new_config.is_empty() {
        let new = config::load(&args.new_config, env)?.settings;
        let changes = diff_settings(settings, &new);
        text.push_str(&render_changes(&changes));
        output.config = Some(changes);
    }
    if let Some(file) = &args.file {
        let lookup = |name: &str| env.get(name).cloned();
        let manifest = manifest::load(file, &settings.mailbox_defaults, &lookup)?;
        for warning in &manifest.warnings {
            eprintln!("warning: {}: {warning}", file.display());
        }
        let store = crate::startup::open_store(settings, OpenMode::Tool)
            .await
            .context("Failed to open the store")?;
        let report = manifest::apply(&*store, &manifest, true).await?;
        output.objects = objects(&*store, &manifest, &report).await?;
        text.push_str(&render_objects(&report, &output.objects));
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&output)?);
    } else {
        print!("{text}");
    }
    Ok(ExitCode::SUCCESS)
}

async fn objects(
    store: &dyn Store,
    manifest: &Manifest,
    report: &ApplyReport,
) -> anyhow::Result<Vec<ObjectPlan>> {
    let ws = store.workspace_by_name(&manifest.workspace).await?;
    let mut plans = Vec::with_capacity(report.objects.len());
    for object in &report.objects {
        let mut fields: Vec<FieldChange> = object
            .changed
            .iter()
            .map(|key| FieldChange {
                key: key.clone(),
                old: None,
                new: None,
            })
            .collect();
        if object.change == Change::Updated
            && let Some(ws) = &ws
        {
            match object.kind {
                ObjectKind::Mailbox => {
                    let found = manifest
                        .mailboxes
                        .iter()
                        .position(|m| m.address.as_str() == object.name);
                    let spec = found.and_then(|i| manifest.mailboxes.get(i));
                    let current = match spec {
                        Some(s) => store.mailbox_by_address(ws.id, &s.address).await?,
                        None => None,
                    };
                    if let (Some(spec), Some(current)) = (spec, current) {
                        let mut new = spec_values(spec);
                        let wanted = found.and_then(|i| manifest.mailbox_status.get(i));
                        if let Some(Some(wanted)) = wanted {
                            new.push(("status", wanted_status(*wanted).to_owned()));
                        }
                        fill(&mut fields, &mailbox_values(&current), &new);
                    }
                }
                ObjectKind::Campaign => {
                    let decl = manifest.campaigns.iter().find(|c| c.name == object.name);
                    if let (Some(decl), Some(current)) =
                        (decl, store.campaign_by_name(ws.id, &object.name).await?)
                    {
                        let mut new = rules_values(&decl.rules);
                        new.push(("goal", decl.goal.clone()));
                        new.extend(ai_values(&decl.ai));
                        if let Some(status) = decl.status {
                            new.push(("status", status.as_str().to_owned()));
                        }
                        fill(&mut fields, &campaign_values(&current), &new);
                    }
                }
                ObjectKind::Workspace | ObjectKind::Product => {}
            }
        }
        plans.push(ObjectPlan {
            kind: object.kind,
            name: object.name.clone(),
            change: object.change,
            fields,
        });
    }
    Ok(plans)
}

type Values = Vec<(&'static str, String)>;

/// Fills in old and new values for the keys both sides know (never secrets: they are not in
/// the value lists).
fn fill(fields: &mut [FieldChange], old: &Values, new: &Values) {
    let find = |values: &Values, key: &str| {
        values
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.clone())
    };
    for field in fields {
        field.old = find(old, &field.key);
        field.new = find(new, &field.key);
    }
}

fn opt<T: std::fmt::Display>(v: Option<T>) -> String {
    v.map_or_else(|| "none".to_owned(), |v| v.to_string())
}

fn warmup(w: Option<crate::domain::Warmup>) -> String {
    w.map_or_else(
        || "none".to_owned(),
        |w| format!("{} +{}/day", w.start_per_day, w.increment_per_day),
    )
}

fn mailbox_values(m: &Mailbox) -> Values {
    vec![
        ("from_name", m.from_name.clone()),
        ("daily_cap", m.daily_cap.to_string()),
        ("hourly_cap", opt(m.hourly_cap)),
        ("min_gap", m.min_gap.to_string()),
        ("max_gap", m.max_gap.to_string()),
        ("warmup", warmup(m.warmup)),
        ("warmup_started_on", m.warmup_started_on.to_string()),
        ("timezone", m.timezone.clone()),
        ("status", m.status.as_str().to_owned()),
    ]
}

fn wanted_status(wanted: WantedStatus) -> &'static str {
    match wanted {
        WantedStatus::Active => "active",
        WantedStatus::Paused => "paused",
    }
}

fn spec_values(m: &MailboxSpec) -> Values {
    vec![
        ("from_name", m.from_name.clone()),
        ("daily_cap", m.daily_cap.to_string()),
        ("hourly_cap", opt(m.hourly_cap)),
        ("min_gap", m.min_gap.to_string()),
        ("max_gap", m.max_gap.to_string()),
        ("warmup", warmup(m.warmup)),
        ("warmup_started_on", opt(m.warmup_started_on)),
        ("timezone", m.timezone.clone()),
    ]
}

fn rules_values(r: &SendingRules) -> Values {
    vec![
        (
            "window",
            format!(
                "{} {}-{}",
                r.window.days,
                r.window.start_hhmm(),
                r.window.end_hhmm()
            ),
        ),
        ("timezone", r.timezone.clone()),
        ("timezone_policy", r.timezone_policy.as_str().to_owned()),
        ("daily_new_leads_cap", opt(r.daily_new_leads_cap)),
        ("stop_on_reply", r.stop_on_reply.to_string()),
        ("stop_on_company_reply", r.stop_on_company_reply.to_string()),
        (
            "stop_other_campaigns_on_reply",
            r.stop_other_campaigns_on_reply.to_string(),
        ),
        ("track_opens", r.track_opens.to_string()),
        ("track_clicks", r.track_clicks.to_string()),
    ]
}

fn campaign_values(c: &Campaign) -> Values {
    let mut values = rules_values(&c.rules);
    values.push(("goal", c.goal.clone()));
    values.extend(ai_values(&c.ai));
    values.push(("status", c.status.as_str().to_owned()));
    values
}

/// The campaign's language model, as the apply file writes it (`-` when unset).
fn ai_values(ai: &crate::domain::CampaignAi) -> Values {
    let or_unset = |v: Option<&str>| v.unwrap_or("-").to_owned();
    vec![
        ("ai_provider", or_unset(ai.provider.map(|p| p.as_str()))),
        ("ai_model", or_unset(ai.model.as_deref())),
    ]
}

fn render_objects(report: &ApplyReport, plans: &[ObjectPlan]) -> String {
    let mut out = String::new();
    for (object, plan) in report.objects.iter().zip(plans) {
        let verb = match object.change {
            Change::Created => "+ create",
            Change::Updated => "~ update",
            Change::Unchanged => "  unchanged",
        };
        out.push_str(&format!("{verb} {}\n", object.label()));
        for f in &plan.fields {
            match (&f.old, &f.new) {
                (Some(old), Some(new)) => {
                    out.push_str(&format!("      {}: {old} -> {new}\n", f.key));
                }
                _ => out.push_str(&format!("      {} (changed)\n", f.key)),
            }
        }
    }
    out.push_str(&format!(
        "Plan: {} to create, {} to update, {} unchanged. Nothing was written.\n",
        report.count(Change::Created),
        report.count(Change::Updated),
        report.count(Change::Unchanged),
    ));
    out
}
