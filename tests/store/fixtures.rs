//! Builders for specs and leads with sensible defaults, so each test states only what it checks.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use outreachd::domain::{
    CampaignId, CampaignSpec, EmailAddress, HumanDuration, LeadId, LeadInsert, MailboxId,
    MailboxSpec, NewLead, SendingRules, ServerSpec, SmtpSecurity, StepSpec, Warmup, WorkspaceId,
};
use outreachd::store::Store;
use secrecy::SecretString;

pub fn email(s: &str) -> EmailAddress {
    EmailAddress::parse(s).expect("valid test address")
}

pub async fn workspace(store: &dyn Store, name: &str) -> WorkspaceId {
    store
        .upsert_workspace(name)
        .await
        .expect("upsert workspace")
        .value
        .id
}

pub fn server(host: &str, port: u16, password: &str) -> ServerSpec {
    ServerSpec {
        host: host.to_owned(),
        port,
        security: SmtpSecurity::Starttls,
        username: "sender".to_owned(),
        password: SecretString::from(password.to_owned()),
    }
}

/// A mailbox with SMTP and IMAP, a warm-up and an hourly cap: every optional field set.
pub fn mailbox_spec(address: &str) -> MailboxSpec {
    MailboxSpec {
        address: email(address),
        from_name: "Ada Sender".to_owned(),
        signature: "-- \nAda".to_owned(),
        smtp: server("smtp.example.com", 587, "smtp-secret"),
        imap: Some(server("imap.example.com", 993, "imap-secret")),
        daily_cap: 40,
        hourly_cap: Some(8),
        min_gap: HumanDuration::from_secs(60),
        max_gap: HumanDuration::from_secs(300),
        warmup: Some(Warmup {
            start_per_day: 5,
            increment_per_day: 2,
        }),
        warmup_started_on: None,
        timezone: "Europe/Berlin".to_owned(),
    }
}

pub async fn mailbox(store: &dyn Store, ws: WorkspaceId, address: &str) -> MailboxId {
    store
        .upsert_mailbox(ws, &mailbox_spec(address))
        .await
        .expect("upsert mailbox")
        .value
        .id
}

pub fn step(body: &str) -> StepSpec {
    StepSpec {
        delay: HumanDuration::from_secs(3 * 86_400),
        subject_template: Some(format!("About {body}")),
        body_template: body.to_owned(),
        ai_instructions: None,
    }
}

pub fn campaign_spec(name: &str, mailbox_ids: Vec<MailboxId>, steps: usize) -> CampaignSpec {
    CampaignSpec {
        name: name.to_owned(),
        goal: "book a demo".to_owned(),
        ai: Default::default(),
        product_id: None,
        status: None,
        rules: SendingRules::default(),
        mailbox_ids,
        steps: (1..=steps)
            .map(|i| step(&format!("step {i} body")))
            .collect(),
    }
}

pub async fn campaign(
    store: &dyn Store,
    ws: WorkspaceId,
    name: &str,
    mailbox_ids: Vec<MailboxId>,
) -> CampaignId {
    let spec = campaign_spec(name, mailbox_ids, 2);
    store
        .upsert_campaign(ws, &spec)
        .await
        .expect("upsert campaign")
        .value
        .id
}

pub fn lead(address: &str) -> NewLead {
    NewLead {
        email: Some(email(address)),
        ..NewLead::default()
    }
}

pub fn lead_with_custom(address: &str, custom: &[(&str, &str)]) -> NewLead {
    NewLead {
        custom: custom
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<BTreeMap<_, _>>(),
        ..lead(address)
    }
}

/// Inserts leads with these addresses and returns their ids in order.
pub async fn leads(store: &dyn Store, ws: WorkspaceId, addresses: &[&str]) -> Vec<LeadId> {
    let batch: Vec<NewLead> = addresses.iter().map(|a| lead(a)).collect();
    let results = store.insert_leads(ws, &batch).await.expect("insert leads");
    results.iter().map(LeadInsert::id).collect()
}

pub fn past() -> DateTime<Utc> {
    Utc::now() - chrono::TimeDelta::hours(1)
}

pub fn future() -> DateTime<Utc> {
    Utc::now() + chrono::TimeDelta::days(2)
}
