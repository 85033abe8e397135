//! `explain`: why a lead of a campaign (or a mailbox) is or is not sending now, and when it
//! next can. Reads the facts from the store (never writes) and hands them to
//! `limits::explain`, which evaluates every limit in the daemon's order. The CLI
//! (`outreachd explain`) and the API (`…/explain`) both call these two functions, after each
//! found the campaign, lead or mailbox its own way (by name or by id).

use chrono::{DateTime, TimeDelta, Utc};

use super::ServiceError;
use crate::domain::{Campaign, EmailAddress, Lead, Mailbox};
use crate::limits::BudgetConfig;
use crate::limits::explain::{Explanation, LeadFacts, MailboxFacts, explain_lead, explain_mailbox};
use crate::store::Store;

/// Every limit of the mailbox at `now`.
pub async fn mailbox(
    store: &dyn Store,
    mailbox: Mailbox,
    now: DateTime<Utc>,
) -> Result<Explanation, ServiceError> {
    let facts = mailbox_facts(store, mailbox, now).await?;
    Ok(explain_mailbox(&facts, now))
}

/// Every limit between the lead and its next step of the campaign at `now`. `claim_lease` is
/// the lease the daemon claims with (`dispatch.claim_lease`): claims still in flight count
/// towards the campaign's daily cap on new leads.
pub async fn lead(
    store: &dyn Store,
    campaign: Campaign,
    lead: Lead,
    now: DateTime<Utc>,
    claim_lease: TimeDelta,
) -> Result<Explanation, ServiceError> {
    let facts = lead_facts(store, campaign, lead, now, claim_lease).await?;
    Ok(explain_lead(&facts, now))
}

async fn mailbox_facts(
    store: &dyn Store,
    mailbox: Mailbox,
    now: DateTime<Utc>,
) -> Result<MailboxFacts, ServiceError> {
    let config = BudgetConfig::for_mailbox(&mailbox);
    let local_date = now.with_timezone(&config.timezone).date_naive();
    let usage = store
        .mailbox_usage(mailbox.id, local_date, now - TimeDelta::hours(1))
        .await?;
    Ok(MailboxFacts {
        mailbox,
        sent_today: usage.sent_today,
        last_hour: usage.last_hour,
    })
}

async fn lead_facts(
    store: &dyn Store,
    campaign: Campaign,
    lead: Lead,
    now: DateTime<Utc>,
    claim_lease: TimeDelta,
) -> Result<LeadFacts, ServiceError> {
    let ws = campaign.workspace_id;
    // A stored address parsed when it went in; one that no longer parses is suppressed by
    // nothing, as the claim would see it.
    let suppressed = match EmailAddress::parse(&lead.email) {
        Ok(address) => store.is_suppressed(ws, &address).await?,
        Err(_) => false,
    };
    let enrolment = store.enrolment_state(ws, campaign.id, lead.id).await?;
    let mailbox = match enrolment.as_ref().and_then(|e| e.mailbox_id) {
        Some(id) => match store.mailbox_by_id(ws, id).await? {
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
