//! Store rows as the sending pipeline reads them, for building render contexts.

use std::collections::BTreeMap;

use chrono::Utc;
use outreachd::domain::{
    Campaign, CampaignId, CampaignStatus, HumanDuration, Lead, LeadId, Mailbox, MailboxId,
    MailboxStatus, Product, ProductId, SendingRules, ServerInfo, SmtpSecurity, WorkspaceId,
};

pub fn lead() -> Lead {
    Lead {
        id: LeadId::new(),
        workspace_id: WorkspaceId::new(),
        email: "ann@acme.test".into(),
        first_name: Some("Ann".into()),
        last_name: Some("Lee".into()),
        title: Some("Head of Operations".into()),
        company: Some("Acme Freight".into()),
        website: Some("https://acme.test".into()),
        linkedin: None,
        phone: Some("".into()),
        timezone: Some("Europe/Berlin".into()),
        custom: BTreeMap::from([("Fleet Size".to_owned(), "120".to_owned())]),
        persona: Some(serde_json::json!({"pain_points": ["late trucks"], "seniority": null})),
        unsubscribed_at: None,
        created_at: Utc::now(),
    }
}

pub fn mailbox() -> Mailbox {
    Mailbox {
        id: MailboxId::new(),
        workspace_id: WorkspaceId::new(),
        address: "bob@routey.test".into(),
        from_name: "Bob Smith".into(),
        signature: "Bob Smith\nRoutey".into(),
        smtp: ServerInfo {
            host: "127.0.0.1".into(),
            port: 2525,
            security: SmtpSecurity::Plain,
            username: "bob".into(),
        },
        imap: None,
        daily_cap: 50,
        hourly_cap: None,
        min_gap: HumanDuration::from_secs(60),
        max_gap: HumanDuration::from_secs(180),
        warmup: None,
        warmup_started_on: Utc::now().date_naive(),
        timezone: "UTC".into(),
        status: MailboxStatus::Active,
        status_reason: None,
        cooling_until: None,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}

pub fn product() -> Product {
    Product {
        id: ProductId::new(),
        workspace_id: WorkspaceId::new(),
        name: "Routey".into(),
        description: "Route planning for regional fleets.".into(),
        source_file_name: None,
        created_at: Utc::now(),
    }
}

pub fn campaign(product: Option<&Product>) -> Campaign {
    Campaign {
        id: CampaignId::new(),
        workspace_id: WorkspaceId::new(),
        name: "Q3 fleets".into(),
        goal: "Book a 15-minute call".into(),
        ai: Default::default(),
        product_id: product.map(|p| p.id),
        status: CampaignStatus::Running,
        rules: SendingRules::default(),
        mailbox_ids: Vec::new(),
        emails_sent: 0,
        last_run_at: None,
        created_at: Utc::now(),
        updated_at: Utc::now(),
    }
}
