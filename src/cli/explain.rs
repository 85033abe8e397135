//! `outreachd explain`: why a lead of a campaign (or a mailbox) is or is not sending now, and
//! when it next can. Reads the store (never writes) and hands the facts to
//! `limits::explain`, which evaluates every limit in the daemon's order.

use std::process::ExitCode;

use anyhow::Context;
use chrono::{TimeDelta, Utc};

use crate::config::Settings;
use crate::domain::{EmailAddress, Mailbox, Workspace};
use crate::limits::BudgetConfig;
use crate::limits::explain::{Explanation, LeadFacts, MailboxFacts, explain_lead, explain_mailbox};
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
            let facts = mailbox_facts(store, mailbox, now).await?;
            (format!("Mailbox {address}"), explain_mailbox(&facts, now))
        }
        (None, Some(campaign), Some(lead)) => {
            let claim_lease = settings.dispatch.claim_lease.to_chrono();
            let facts = lead_facts(store, &ws, (campaign, lead), now, claim_lease).await?;
            (
                format!("Lead {lead} in campaign {campaign:?}"),
                explain_lead(&facts, now),
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

async fn mailbox_facts(
    store: &dyn Store,
    mailbox: Mailbox,
    now: chrono::DateTime<Utc>,
) -> anyhow::Result<MailboxFacts> {
    let config = BudgetConfig::for_mailbox(&mailbox);
    let local_date = now.with_timezone(&config.timezone).date_naive();
    let usage = store
        .mailbox_usage(mailbox.id, local_date, now - TimeDelta::hours(1))
        .await
        .context("Failed to read the mailbox's usage")?;
    Ok(MailboxFacts {
        mailbox,
        sent_today: usage.sent_today,
        last_hour: usage.last_hour,
    })
}

async fn lead_facts(
    store: &dyn Store,
    ws: &Workspace,
    (campaign, email): (&str, &str),
    now: chrono::DateTime<Utc>,
    claim_lease: chrono::TimeDelta,
) -> anyhow::Result<LeadFacts> {
    let campaign = find_campaign(store, ws, campaign).await?;
    let address = EmailAddress::parse(email).with_context(|| format!("--lead {email:?}"))?;
    let lead = store
        .lead_by_email(ws.id, &address)
        .await?
        .ok_or_else(|| anyhow::anyhow!("lead {email} not found in workspace {:?}", ws.name))?;
    let suppressed = store.is_suppressed(ws.id, &address).await?;
    let enrolment = store.enrolment_state(ws.id, campaign.id, lead.id).await?;
    let mailbox = match enrolment.as_ref().and_then(|e| e.mailbox_id) {
        Some(id) => match store.mailbox_by_id(ws.id, id).await? {
            Some(m) => Some(mailbox_facts(store, m, now).await?),
            None => None,
        },
        None => None,
    };
    let campaign_tz: chrono_tz::Tz = campaign.rules.timezone.parse().unwrap_or(chrono_tz::UTC);
    let today = now.with_timezone(&campaign_tz).date_naive();
    let midnight = crate::domain::resolve_local(today, 0, campaign_tz);
    let new_leads_today = store
        .new_leads_sent_since(campaign.id, midnight, now, claim_lease)
        .await?;
    Ok(LeadFacts {
        suppressed,
        unsubscribed_at: lead.unsubscribed_at,
        lead_timezone: lead.timezone,
        enrolment,
        campaign_status: campaign.status,
        rules: campaign.rules,
        new_leads_today,
        mailbox,
    })
}
