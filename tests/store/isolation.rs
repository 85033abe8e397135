//! Workspace isolation: nothing of workspace A is visible or changeable through workspace B.

use outreachd::domain::{CampaignStatus, Change, LeadInsert};
use outreachd::store::StoreError;

use crate::fixtures::{campaign, email, lead, leads, mailbox, mailbox_spec, past, workspace};
use crate::support::{TestBackend, test_store};

fn assert_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    match result {
        Err(StoreError::NotFound { .. }) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

async fn workspaces_cannot_see_or_touch_each_others_data(backend: TestBackend) {
    let ts = test_store(backend).await;
    let s = &*ts.store;
    let a = workspace(s, "acme").await;
    let b = workspace(s, "globex").await;
    let a_mailbox = mailbox(s, a, "sales@acme.example").await;
    let a_campaign = campaign(s, a, "Launch", vec![a_mailbox]).await;
    let a_leads = leads(s, a, &["ann@x.example"]).await;
    s.add_suppression(a, "x.example", "acme's competitor")
        .await
        .unwrap();

    // By-name lookups and lists.
    assert!(s.campaign_by_name(b, "Launch").await.unwrap().is_none());
    assert!(s.list_campaigns(b).await.unwrap().is_empty());
    assert!(
        s.lead_by_email(b, &email("ann@x.example"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(s.lead_ids(b).await.unwrap().is_empty());
    assert!(
        s.mailbox_by_address(b, &email("sales@acme.example"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(s.list_mailboxes(b).await.unwrap().is_empty());
    assert!(!s.is_suppressed(b, &email("ann@x.example")).await.unwrap());

    // Ids from A act like unknown ids in B.
    assert_not_found(s.mailbox_credentials(b, a_mailbox).await);
    assert_not_found(s.campaign_steps(b, a_campaign).await);
    assert_not_found(
        s.set_campaign_status(b, a_campaign, CampaignStatus::Running)
            .await,
    );
    assert_not_found(s.enroll_leads(b, a_campaign, &a_leads, past()).await);
    let b_mailbox = mailbox(s, b, "sales@globex.example").await;
    let b_campaign = campaign(s, b, "Launch", vec![b_mailbox]).await;
    assert_not_found(s.enroll_leads(b, b_campaign, &a_leads, past()).await);

    // A is untouched.
    let a_view = s.campaign_by_name(a, "Launch").await.unwrap().unwrap();
    assert_eq!(a_view.id, a_campaign);
    assert_eq!(a_view.status, CampaignStatus::Draft);
    let summary = s.workspace_summary(a, chrono::Utc::now()).await.unwrap();
    assert!(summary.campaigns[0].leads_by_status.is_empty());

    // The same names and addresses are independent in each workspace.
    assert_ne!(b_campaign, a_campaign);
    let b_same_address = s
        .upsert_mailbox(b, &mailbox_spec("sales@acme.example"))
        .await
        .unwrap();
    assert_eq!(b_same_address.change, Change::Created);
    assert_ne!(b_same_address.value.id, a_mailbox);
    let b_lead = s.insert_leads(b, &[lead("ann@x.example")]).await.unwrap();
    assert!(matches!(b_lead[0], LeadInsert::Inserted(id) if id != a_leads[0]));
    let outcome = s
        .enroll_leads(b, b_campaign, &[b_lead[0].id()], past())
        .await
        .unwrap();
    assert_eq!(
        outcome.enrolled, 1,
        "A's domain suppression does not apply in B"
    );
    assert_eq!(
        s.workspace_summary(b, chrono::Utc::now())
            .await
            .unwrap()
            .suppressions,
        0
    );
}

crate::on_both_backends!(workspaces_cannot_see_or_touch_each_others_data);
