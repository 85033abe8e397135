//! Campaigns: the row, its mailbox pool and its steps, upserted together.

use outreachd::ai::ProviderName;
use outreachd::domain::{
    CampaignAi, CampaignId, CampaignStatus, Change, MailboxId, ProductId, ProductSpec, SendWindow,
    SendingRules, TimezonePolicy, Weekdays,
};
use outreachd::store::StoreError;

use crate::fixtures::{campaign_spec, future, leads, mailbox, step, workspace};
use crate::support::{TestBackend, test_store};

async fn campaign_upsert_reports_created_unchanged_and_updated(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let a = mailbox(&*ts.store, ws, "a@example.com").await;
    let b = mailbox(&*ts.store, ws, "b@example.com").await;
    let c = mailbox(&*ts.store, ws, "c@example.com").await;
    let mut spec = campaign_spec("Q3 outreach", vec![c, a, b], 3);
    spec.rules = SendingRules {
        window: SendWindow {
            days: Weekdays::WORKDAYS,
            start_minute: 9 * 60,
            end_minute: 17 * 60,
        },
        timezone: "America/New_York".to_owned(),
        timezone_policy: TimezonePolicy::Lead,
        daily_new_leads_cap: Some(25),
        stop_on_reply: true,
        stop_on_company_reply: true,
        stop_other_campaigns_on_reply: true,
        track_opens: true,
        track_clicks: false,
    };
    spec.steps[1].subject_template = None;
    spec.steps[2].ai_instructions = Some("mention their title".to_owned());

    let created = ts.store.upsert_campaign(ws, &spec).await.unwrap();
    assert_eq!(created.change, Change::Created);
    let campaign = created.value;
    assert_eq!(campaign.name, "Q3 outreach");
    assert_eq!(campaign.goal, "book a demo");
    assert_eq!(
        campaign.status,
        CampaignStatus::Draft,
        "new campaigns start as drafts"
    );
    assert_eq!(campaign.rules, spec.rules);
    assert_eq!(
        campaign.mailbox_ids,
        vec![c, a, b],
        "the pool keeps its declared order"
    );
    assert_eq!(campaign.emails_sent, 0);
    let steps = ts.store.campaign_steps(ws, campaign.id).await.unwrap();
    assert_eq!(
        steps.iter().map(|s| s.step_order).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert_eq!(
        steps.iter().map(|s| s.spec()).collect::<Vec<_>>(),
        spec.steps
    );

    let same = ts.store.upsert_campaign(ws, &spec).await.unwrap();
    assert_eq!(same.change, Change::Unchanged);
    assert_eq!(
        same.value, campaign,
        "an unchanged upsert writes nothing (updated_at too)"
    );

    spec.steps[1].body_template = "a better second step".to_owned();
    let updated = ts.store.upsert_campaign(ws, &spec).await.unwrap();
    assert_eq!(updated.change, Change::Updated);
    assert_eq!(updated.value.id, campaign.id);
    let new_steps = ts.store.campaign_steps(ws, campaign.id).await.unwrap();
    assert_eq!(new_steps[1].body_template, "a better second step");
    assert_eq!(
        new_steps.iter().map(|s| s.id).collect::<Vec<_>>(),
        steps.iter().map(|s| s.id).collect::<Vec<_>>(),
        "steps are updated in place, matched by position"
    );

    spec.mailbox_ids = vec![b, a];
    let repooled = ts.store.upsert_campaign(ws, &spec).await.unwrap();
    assert_eq!(repooled.change, Change::Updated);
    assert_eq!(repooled.value.mailbox_ids, vec![b, a]);

    spec.steps.push(step("a fourth step"));
    assert_eq!(
        ts.store.upsert_campaign(ws, &spec).await.unwrap().change,
        Change::Updated
    );
    assert_eq!(
        ts.store
            .campaign_steps(ws, campaign.id)
            .await
            .unwrap()
            .len(),
        4
    );
    spec.steps.truncate(2);
    assert_eq!(
        ts.store.upsert_campaign(ws, &spec).await.unwrap().change,
        Change::Updated
    );
    let steps = ts.store.campaign_steps(ws, campaign.id).await.unwrap();
    assert_eq!(
        steps.iter().map(|s| s.spec()).collect::<Vec<_>>(),
        spec.steps
    );
    assert_eq!(
        ts.store.upsert_campaign(ws, &spec).await.unwrap().change,
        Change::Unchanged
    );
}

async fn removing_a_step_that_active_leads_wait_for_is_a_conflict(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let mb = mailbox(&*ts.store, ws, "a@example.com").await;
    let mut spec = campaign_spec("Launch", vec![mb], 2);
    let id = ts.store.upsert_campaign(ws, &spec).await.unwrap().value.id;
    let lead_ids = leads(&*ts.store, ws, &["x@lead.com", "y@lead.com"]).await;
    ts.store
        .enroll_leads(ws, id, &lead_ids, future())
        .await
        .unwrap();

    // Enrolled leads wait for step 1: step 2 may go ...
    spec.steps.truncate(1);
    assert_eq!(
        ts.store.upsert_campaign(ws, &spec).await.unwrap().change,
        Change::Updated
    );
    // ... but step 1 may not.
    spec.steps.clear();
    spec.goal = "changed together with the steps".to_owned();
    let err = ts.store.upsert_campaign(ws, &spec).await.unwrap_err();
    let StoreError::Conflict(message) = &err else {
        panic!("expected a conflict, got {err:?}")
    };
    assert!(message.contains("Launch"), "names the campaign: {message}");
    assert!(message.contains("step 1"), "names the step: {message}");

    let kept = ts
        .store
        .campaign_by_name(ws, "Launch")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.goal, "book a demo", "a refused upsert changes nothing");
    assert_eq!(ts.store.campaign_steps(ws, id).await.unwrap().len(), 1);
}

async fn status_is_kept_unless_the_spec_sets_it(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let mb = mailbox(&*ts.store, ws, "a@example.com").await;
    let mut spec = campaign_spec("Launch", vec![mb], 1);
    let id = ts.store.upsert_campaign(ws, &spec).await.unwrap().value.id;
    ts.store
        .set_campaign_status(ws, id, CampaignStatus::Running)
        .await
        .unwrap();
    ts.store
        .set_campaign_status(ws, id, CampaignStatus::Running)
        .await
        .expect("setting the same status is fine");

    let again = ts.store.upsert_campaign(ws, &spec).await.unwrap();
    assert_eq!(again.change, Change::Unchanged);
    assert_eq!(again.value.status, CampaignStatus::Running);

    spec.status = Some(CampaignStatus::Paused);
    let paused = ts.store.upsert_campaign(ws, &spec).await.unwrap();
    assert_eq!(paused.change, Change::Updated);
    assert_eq!(paused.value.status, CampaignStatus::Paused);

    let created_running = ts
        .store
        .upsert_campaign(ws, &{
            let mut s = campaign_spec("Other", vec![mb], 1);
            s.status = Some(CampaignStatus::Running);
            s
        })
        .await
        .unwrap();
    assert_eq!(created_running.value.status, CampaignStatus::Running);

    let err = ts
        .store
        .set_campaign_status(ws, CampaignId::new(), CampaignStatus::Paused)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}

async fn campaigns_are_found_by_name_and_listed(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let a = mailbox(&*ts.store, ws, "a@example.com").await;
    let b = mailbox(&*ts.store, ws, "b@example.com").await;
    let one = ts
        .store
        .upsert_campaign(ws, &campaign_spec("One", vec![a, b], 1))
        .await
        .unwrap()
        .value;
    let two = ts
        .store
        .upsert_campaign(ws, &campaign_spec("Two", vec![b], 2))
        .await
        .unwrap()
        .value;
    assert_eq!(
        ts.store.campaign_by_name(ws, "One").await.unwrap(),
        Some(one.clone())
    );
    assert!(
        ts.store
            .campaign_by_name(ws, "Three")
            .await
            .unwrap()
            .is_none()
    );
    let mut listed = ts.store.list_campaigns(ws).await.unwrap();
    listed.sort_by(|x, y| x.name.cmp(&y.name));
    assert_eq!(listed, vec![one, two]);
    let err = ts
        .store
        .campaign_steps(ws, CampaignId::new())
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}

async fn a_campaign_references_only_its_workspaces_mailboxes_and_products(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let other = workspace(&*ts.store, "globex").await;
    let ours = mailbox(&*ts.store, ws, "a@example.com").await;
    let theirs = mailbox(&*ts.store, other, "b@example.com").await;

    let err = ts
        .store
        .upsert_campaign(ws, &campaign_spec("Launch", vec![ours, theirs], 1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    let err = ts
        .store
        .upsert_campaign(ws, &campaign_spec("Launch", vec![MailboxId::new()], 1))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    assert!(
        ts.store
            .campaign_by_name(ws, "Launch")
            .await
            .unwrap()
            .is_none(),
        "nothing half-written"
    );

    let their_product = ts
        .store
        .upsert_product(
            other,
            &ProductSpec {
                name: "W".into(),
                description: String::new(),
                source_file_name: None,
            },
        )
        .await
        .unwrap()
        .value
        .id;
    for product in [their_product, ProductId::new()] {
        let mut spec = campaign_spec("Launch", vec![ours], 1);
        spec.product_id = Some(product);
        let err = ts.store.upsert_campaign(ws, &spec).await.unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    }

    let our_product = ts
        .store
        .upsert_product(
            ws,
            &ProductSpec {
                name: "W".into(),
                description: String::new(),
                source_file_name: None,
            },
        )
        .await
        .unwrap()
        .value
        .id;
    let mut spec = campaign_spec("Launch", vec![ours], 1);
    spec.product_id = Some(our_product);
    let created = ts.store.upsert_campaign(ws, &spec).await.unwrap().value;
    assert_eq!(created.product_id, Some(our_product));
}

async fn a_campaigns_ai_provider_and_model_are_stored_and_updated(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let a = mailbox(&*ts.store, ws, "a@example.com").await;
    let mut spec = campaign_spec("Claude", vec![a], 1);
    assert_eq!(
        ts.store.upsert_campaign(ws, &spec).await.unwrap().value.ai,
        CampaignAi::default(),
        "unset: the daemon's [content] settings"
    );
    spec.ai = CampaignAi {
        provider: Some(ProviderName::Anthropic),
        model: Some("claude-sonnet-4-5".to_owned()),
    };

    let updated = ts.store.upsert_campaign(ws, &spec).await.unwrap();

    assert_eq!(updated.change, Change::Updated);
    assert_eq!(updated.value.ai, spec.ai);
    let again = ts.store.upsert_campaign(ws, &spec).await.unwrap();
    assert_eq!(again.change, Change::Unchanged);
    let read = ts
        .store
        .campaign_by_id(ws, updated.value.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.ai, spec.ai);
}

crate::on_both_backends!(
    a_campaigns_ai_provider_and_model_are_stored_and_updated,
    campaign_upsert_reports_created_unchanged_and_updated,
    removing_a_step_that_active_leads_wait_for_is_a_conflict,
    status_is_kept_unless_the_spec_sets_it,
    campaigns_are_found_by_name_and_listed,
    a_campaign_references_only_its_workspaces_mailboxes_and_products,
);
