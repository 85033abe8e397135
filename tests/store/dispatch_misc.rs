//! What the supervisor and the actors read around the step contract: due campaigns, mailboxes
//! to run, usage against caps and new-lead counts.

use outreachd::domain::{CampaignDue, CampaignStatus, Completion, MailboxId, NextStep};

use crate::dispatch_fixtures::{
    LEASE, Setup, base, day, message_id, minutes, running_campaign, sent,
};
use crate::fixtures::{campaign, leads, mailbox, workspace};
use crate::support::TestBackend;

async fn due_campaigns_are_the_running_ones_with_their_earliest_due_time(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example"], now + minutes(30)).await;
    let store = s.store();
    let early = leads(store, s.ws, &["early@x.example"]).await;
    store
        .enroll_leads(s.ws, s.campaign, &early, now - minutes(30))
        .await
        .unwrap();
    let idle = running_campaign(store, s.ws, "Idle", vec![s.mailbox], 1).await;
    let draft = campaign(store, s.ws, "Draft", vec![s.mailbox]).await;
    store.enroll_leads(s.ws, draft, &early, now).await.unwrap();
    let other_ws = workspace(store, "other").await;
    let other_mb = mailbox(store, other_ws, "o@example.com").await;
    let theirs = running_campaign(store, other_ws, "Theirs", vec![other_mb], 1).await;
    let their_lead = leads(store, other_ws, &["t@y.example"]).await;
    store
        .enroll_leads(other_ws, theirs, &their_lead, now + minutes(5))
        .await
        .unwrap();

    let mut due = store.campaigns_due().await.unwrap();
    due.sort_by_key(|d| d.campaign_id);
    let mut expected = vec![
        CampaignDue {
            workspace_id: s.ws,
            campaign_id: s.campaign,
            next_due: Some(now - minutes(30)),
        },
        CampaignDue {
            workspace_id: s.ws,
            campaign_id: idle,
            next_due: None,
        },
        CampaignDue {
            workspace_id: other_ws,
            campaign_id: theirs,
            next_due: Some(now + minutes(5)),
        },
    ];
    expected.sort_by_key(|d| d.campaign_id);
    assert_eq!(due, expected);
}

async fn dispatch_mailboxes_are_the_pools_of_running_campaigns(backend: TestBackend) {
    let ts = crate::support::test_store(backend).await;
    let store = &*ts.store;
    let ws = workspace(store, "acme").await;
    let a = mailbox(store, ws, "a@example.com").await;
    let b = mailbox(store, ws, "b@example.com").await;
    let _unused = mailbox(store, ws, "c@example.com").await;
    running_campaign(store, ws, "One", vec![a], 1).await;
    running_campaign(store, ws, "Two", vec![a], 1).await;
    campaign(store, ws, "Draft", vec![b]).await;
    let other_ws = workspace(store, "other").await;
    let d = mailbox(store, other_ws, "d@example.com").await;
    running_campaign(store, other_ws, "Theirs", vec![d], 1).await;

    let mut ids: Vec<MailboxId> = store
        .dispatch_mailboxes()
        .await
        .unwrap()
        .iter()
        .map(|m| m.id)
        .collect();
    ids.sort();
    let mut expected = vec![a, d];
    expected.sort();
    assert_eq!(
        ids, expected,
        "each once; drafts and unused mailboxes are not run"
    );
}

async fn mailbox_usage_counts_the_day_and_the_window(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example", "b@x.example"], now - minutes(120)).await;
    let claimed = s.claim(now, 10).await;
    let (early, recent) = (now - minutes(90), now - minutes(10));
    let mut batch = Vec::new();
    for (c, at) in claimed.iter().zip([early, recent]) {
        assert!(
            s.store()
                .mark_sending(&c.send, &message_id(c), now, LEASE)
                .await
                .unwrap()
        );
        let mut completion = sent(c, at, NextStep::Done);
        if let Completion::Sent { count_date, .. } = &mut completion {
            *count_date = day(now); // both count today, even just after midnight
        }
        batch.push(completion);
    }
    s.store().complete_sends(&batch, now).await.unwrap();
    let usage = s
        .store()
        .mailbox_usage(s.mailbox, day(now), now - minutes(60))
        .await
        .unwrap();
    assert_eq!((usage.sent_today, usage.last_hour), (2, vec![recent]));
    let yesterday = day(now).pred_opt().unwrap();
    let usage = s
        .store()
        .mailbox_usage(s.mailbox, yesterday, now - minutes(120))
        .await
        .unwrap();
    assert_eq!(
        (usage.sent_today, usage.last_hour),
        (0, vec![early, recent])
    );
}

async fn new_leads_sent_count_step_one_sends_in_flight_or_since(backend: TestBackend) {
    let now = base();
    let s = Setup::new(
        backend,
        &["a@x.example", "b@x.example", "c@x.example"],
        now - minutes(120),
    )
    .await;
    let since = now - minutes(60);
    assert_eq!(
        s.store()
            .new_leads_sent_since(s.campaign, since, now, LEASE)
            .await
            .unwrap(),
        0
    );
    // a, b, c: step 1 sent before `since`, step 2 after it (not new leads). Then d goes into
    // flight and e is only claimed.
    s.send_all(
        now - minutes(90),
        NextStep::At {
            step_order: 2,
            due_at: now - minutes(80),
        },
    )
    .await;
    let more = leads(s.store(), s.ws, &["d@x.example", "e@x.example"]).await;
    s.store()
        .enroll_leads(s.ws, s.campaign, &more, now - minutes(5))
        .await
        .unwrap();
    s.send_all(now - minutes(30), NextStep::Done).await; // steps 2 of a, b, c
    let fresh = s.claim(now, 10).await;
    assert_eq!(fresh.len(), 2);
    assert!(
        s.store()
            .mark_sending(&fresh[0].send, &message_id(&fresh[0]), now, LEASE)
            .await
            .unwrap()
    );
    assert_eq!(
        s.store()
            .new_leads_sent_since(s.campaign, since, now, LEASE)
            .await
            .unwrap(),
        2,
        "the one sending and the one claimed"
    );
    assert_eq!(
        s.store()
            .new_leads_sent_since(s.campaign, now - minutes(100), now, LEASE)
            .await
            .unwrap(),
        5
    );
}

async fn campaigns_changed_at_is_the_latest_change_of_a_running_campaign(backend: TestBackend) {
    let s = Setup::new(backend, &["a@x.example"], base()).await;
    let store = s.store();
    let first = store.campaigns_changed_at().await.unwrap().unwrap();
    let draft = campaign(store, s.ws, "Draft", vec![s.mailbox]).await;
    assert_eq!(store.campaigns_changed_at().await.unwrap(), Some(first));
    store
        .set_campaign_status(s.ws, draft, CampaignStatus::Running)
        .await
        .unwrap();
    let later = store.campaigns_changed_at().await.unwrap().unwrap();
    assert!(later >= first, "{later} < {first}");
    store
        .set_campaign_status(s.ws, draft, CampaignStatus::Running)
        .await
        .unwrap();
    assert_eq!(
        store.campaigns_changed_at().await.unwrap(),
        Some(later),
        "setting the status a campaign has writes nothing"
    );
}

crate::on_both_backends!(
    campaigns_changed_at_is_the_latest_change_of_a_running_campaign,
    due_campaigns_are_the_running_ones_with_their_earliest_due_time,
    dispatch_mailboxes_are_the_pools_of_running_campaigns,
    mailbox_usage_counts_the_day_and_the_window,
    new_leads_sent_count_step_one_sends_in_flight_or_since,
);
