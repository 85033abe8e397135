//! `workspace_summary`: the counts behind `outreachd status`.

use std::collections::BTreeMap;

use chrono::{TimeDelta, Utc};
use outreachd::domain::{
    CampaignLeadStatus, CampaignStatus, CampaignSummary, MailboxStatus, MailboxSummary,
};

use crate::fixtures::{campaign_spec, leads, mailbox, mailbox_spec, workspace};
use crate::support::{TestBackend, test_store};

async fn the_summary_counts_leads_mailboxes_and_campaigns(backend: TestBackend) {
    let ts = test_store(backend).await;
    let s = &*ts.store;
    let ws = workspace(s, "acme").await;
    let a = mailbox(s, ws, "a@example.com").await;
    let mut spec_b = mailbox_spec("b@example.com");
    spec_b.daily_cap = 15;
    spec_b.timezone = "Pacific/Auckland".into();
    let b = s.upsert_mailbox(ws, &spec_b).await.unwrap().value.id;
    let launch = s
        .upsert_campaign(ws, &campaign_spec("Launch", vec![a, b], 3))
        .await
        .unwrap()
        .value
        .id;
    s.upsert_campaign(ws, &campaign_spec("Idle", vec![a], 1))
        .await
        .unwrap();
    s.set_campaign_status(ws, launch, CampaignStatus::Running)
        .await
        .unwrap();
    let ids = leads(
        s,
        ws,
        &[
            "1@l.example",
            "2@l.example",
            "3@l.example",
            "4@l.example",
            "5@l.example",
            "6@l.example",
        ],
    )
    .await;
    s.add_suppression(ws, "6@l.example", "asked to stop")
        .await
        .unwrap();

    let now = Utc::now();
    s.enroll_leads(ws, launch, &ids[..3], now - TimeDelta::minutes(5))
        .await
        .unwrap();
    s.enroll_leads(ws, launch, &ids[3..], now + TimeDelta::hours(5))
        .await
        .unwrap();

    let summary = s.workspace_summary(ws, now).await.unwrap();
    assert_eq!(summary.workspace, "acme");
    assert_eq!(summary.leads, 6);
    assert_eq!(summary.suppressions, 1);
    let mut mailboxes = summary.mailboxes.clone();
    mailboxes.sort_by(|x, y| x.address.cmp(&y.address));
    assert_eq!(
        mailboxes,
        vec![
            MailboxSummary {
                address: "a@example.com".into(),
                status: MailboxStatus::Active,
                status_reason: None,
                daily_cap: 40,
                sent_today: 0
            },
            MailboxSummary {
                address: "b@example.com".into(),
                status: MailboxStatus::Active,
                status_reason: None,
                daily_cap: 15,
                sent_today: 0
            },
        ]
    );
    let mut campaigns = summary.campaigns.clone();
    campaigns.sort_by(|x, y| x.name.cmp(&y.name));
    assert_eq!(
        campaigns,
        vec![
            CampaignSummary {
                name: "Idle".into(),
                status: CampaignStatus::Draft,
                steps: 1,
                mailboxes: 1,
                leads_by_status: BTreeMap::new(),
                due_now: 0,
                emails_sent: 0,
                cost_usd: 0.0,
            },
            CampaignSummary {
                name: "Launch".into(),
                status: CampaignStatus::Running,
                steps: 3,
                mailboxes: 2,
                // Statuses nobody is in are absent, not zero.
                leads_by_status: BTreeMap::from([(CampaignLeadStatus::Active, 5)]),
                due_now: 3,
                emails_sent: 0,
                cost_usd: 0.0,
            },
        ]
    );

    let later = s
        .workspace_summary(ws, now + TimeDelta::hours(6))
        .await
        .unwrap();
    let launch_later = later.campaigns.iter().find(|c| c.name == "Launch").unwrap();
    assert_eq!(
        launch_later.due_now, 5,
        "due_now is relative to the time asked about"
    );
}

async fn an_empty_workspace_summarises_to_zeros(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "empty").await;
    let summary = ts.store.workspace_summary(ws, Utc::now()).await.unwrap();
    assert_eq!(summary.workspace, "empty");
    assert_eq!((summary.leads, summary.suppressions), (0, 0));
    assert!(summary.mailboxes.is_empty());
    assert!(summary.campaigns.is_empty());
}

crate::on_both_backends!(
    the_summary_counts_leads_mailboxes_and_campaigns,
    an_empty_workspace_summarises_to_zeros,
);
