//! `outreachd explain`: why a lead of a campaign (or a mailbox) is or is not sending now, and
//! when it next can. Finds the campaign, lead or mailbox by name; the evaluation is
//! `service::explain`'s, which the API calls too.

use std::process::ExitCode;

use anyhow::Context;
use chrono::Utc;

use crate::config::Settings;
use crate::domain::{EmailAddress, Mailbox, Workspace};
use crate::limits::explain::Explanation;
use crate::service::explain as service;
use crate::store::{OpenMode, Store};

use super::{ExplainArgs, find_campaign, find_workspace};

pub async fn explain(settings: &Settings, args: ExplainArgs) -> anyhow::Result<ExitCode> {
    let store = crate::startup::open_store(settings, OpenMode::Tool).await?;
    let store = store.as_ref();
    let ws = workspace(store, args.workspace.as_deref()).await?;
    let now = Utc::now();
    let (title, explanation) = match (&args.mailbox, &args.campaign, &args.lead) {
        (Some(address), None, None) => {
            let mailbox = mailbox(store, &ws, address).await?;
            let explanation = service::mailbox(store, mailbox, now)
                .await
                .context("Failed to read the mailbox's usage")?;
            (format!("Mailbox {address}"), explanation)
        }
        (None, Some(campaign_name), Some(email)) => {
            let campaign = find_campaign(store, &ws, campaign_name).await?;
            let address =
                EmailAddress::parse(email).with_context(|| format!("--lead {email:?}"))?;
            let lead = store.lead_by_email(ws.id, &address).await?.ok_or_else(|| {
                anyhow::anyhow!("lead {email} not found in workspace {:?}", ws.name)
            })?;
            let claim_lease = settings.dispatch.claim_lease.to_chrono();
            let explanation = service::lead(store, campaign, lead, now, claim_lease).await?;
            (
                format!("Lead {email} in campaign {campaign_name:?}"),
                explanation,
            )
        }
        _ => anyhow::bail!("give either --campaign C --lead EMAIL, or --mailbox ADDRESS"),
    };
    print(&title, &explanation, args.json)?;
    Ok(ExitCode::SUCCESS)
}

fn print(title: &str, explanation: &Explanation, json: bool) -> anyhow::Result<()> {
    if json {
        println!("{}", serde_json::to_string_pretty(explanation)?);
    } else {
        println!("{title}:");
        print!("{explanation}");
    }
    Ok(())
}

/// The named workspace, or the only one when none is named.
async fn workspace(store: &dyn Store, name: Option<&str>) -> anyhow::Result<Workspace> {
    if let Some(name) = name {
        return find_workspace(store, name).await;
    }
    let mut all = store.list_workspaces().await?;
    match all.len() {
        1 => Ok(all.remove(0)),
        0 => anyhow::bail!("no workspaces yet; create one with `outreachd apply -f FILE`"),
        _ => anyhow::bail!("several workspaces exist; name one with -w"),
    }
}

async fn mailbox(store: &dyn Store, ws: &Workspace, address: &str) -> anyhow::Result<Mailbox> {
    let parsed = EmailAddress::parse(address).with_context(|| format!("--mailbox {address:?}"))?;
    store
        .mailbox_by_address(ws.id, &parsed)
        .await?
        .ok_or_else(|| anyhow::anyhow!("mailbox {address} not found in workspace {:?}", ws.name))
}
