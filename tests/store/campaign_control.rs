//! The campaign-control role on both backends: create-only and by-id writes of a campaign,
//! the compare-and-set status move, deleting drafts, campaign leads by page, one enrolment with
//! its stored text, and what Run Now's report reads (runs, waiting leads, send rows).

use chrono::TimeDelta;
use outreachd::domain::{
    CampaignLeadQuery, CampaignLeadStatus, CampaignRun, CampaignStatus, DraftDeletion,
    GeneratedFor, MailboxStatus, NextStep, RunId, Waiting,
};
use outreachd::store::StoreError;

use crate::dispatch_fixtures::{Setup, base, generated, minutes};
use crate::fixtures::{campaign, campaign_spec, mailbox, workspace};
use crate::support::{TestBackend, test_store};

crate::on_both_backends!(
    creating_never_overwrites_a_campaign_with_the_same_name,
    replacing_by_id_renames_keeps_the_status_and_stays_in_the_workspace,
    a_status_move_happens_only_from_the_status_it_expects,
    only_a_draft_without_send_rows_is_deleted,
    campaign_leads_come_a_page_at_a_time_in_enrolment_order,
    an_enrolment_is_read_with_its_lead_and_stored_text,
    a_run_waits_for_leads_due_or_claimed_and_lists_its_sends,
    a_run_is_finished_once,
);

async fn creating_never_overwrites_a_campaign_with_the_same_name(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let created = ts
        .store
        .create_campaign(ws, &campaign_spec("Launch", vec![], 2))
        .await
        .unwrap();
    assert_eq!(created.status, CampaignStatus::Draft);

    let again = ts
        .store
        .create_campaign(ws, &campaign_spec("Launch", vec![], 1))
        .await;

    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let steps = ts.store.campaign_steps(ws, created.id).await.unwrap();
    assert_eq!(steps.len(), 2);
}

async fn replacing_by_id_renames_keeps_the_status_and_stays_in_the_workspace(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let other_ws = workspace(&*ts.store, "other").await;
    let m = mailbox(&*ts.store, ws, "a@example.com").await;
    let id = campaign(&*ts.store, ws, "Launch", vec![m]).await;
    campaign(&*ts.store, ws, "Taken", vec![m]).await;
    ts.store
        .set_campaign_status(ws, id, CampaignStatus::Paused)
        .await
        .unwrap();

    let replaced = ts
        .store
        .replace_campaign(ws, id, &campaign_spec("Relaunch", vec![m], 1))
        .await
        .unwrap()
        .value;

    assert_eq!((replaced.id, replaced.name.as_str()), (id, "Relaunch"));
    assert_eq!(replaced.status, CampaignStatus::Paused);
    assert_eq!(ts.store.campaign_steps(ws, id).await.unwrap().len(), 1);
    let taken = ts
        .store
        .replace_campaign(ws, id, &campaign_spec("Taken", vec![m], 1))
        .await;
    assert!(matches!(taken, Err(StoreError::Conflict(_))), "{taken:?}");
    let elsewhere = ts
        .store
        .replace_campaign(other_ws, id, &campaign_spec("Stolen", vec![], 1))
        .await;
    assert!(
        matches!(elsewhere, Err(StoreError::NotFound { .. })),
        "{elsewhere:?}"
    );
}

async fn a_status_move_happens_only_from_the_status_it_expects(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let other_ws = workspace(&*ts.store, "other").await;
    let id = campaign(&*ts.store, ws, "Launch", vec![]).await;
    let (draft, running) = (CampaignStatus::Draft, CampaignStatus::Running);

    assert!(
        !ts.store
            .transition_campaign(other_ws, id, draft, running)
            .await
            .unwrap()
    );
    assert!(
        ts.store
            .transition_campaign(ws, id, draft, running)
            .await
            .unwrap()
    );
    assert!(
        !ts.store
            .transition_campaign(ws, id, draft, running)
            .await
            .unwrap(),
        "the second of two racing moves finds the status changed"
    );
    let now = ts.store.campaign_by_id(ws, id).await.unwrap().unwrap();
    assert_eq!(now.status, running);
}

async fn only_a_draft_without_send_rows_is_deleted(backend: TestBackend) {
    let setup = Setup::new(backend, &["a@leads.example"], base() - minutes(1)).await;
    let store = setup.store();
    let draft = campaign(store, setup.ws, "Draft", vec![setup.mailbox]).await;
    store
        .enroll_leads(setup.ws, draft, &setup.leads, base())
        .await
        .unwrap();
    let other_ws = workspace(store, "other").await;

    assert_eq!(
        store.delete_draft_campaign(other_ws, draft).await.unwrap(),
        DraftDeletion::NotFound
    );
    assert_eq!(
        store
            .delete_draft_campaign(setup.ws, setup.campaign)
            .await
            .unwrap(),
        DraftDeletion::NotDraft(CampaignStatus::Running)
    );
    setup.send_all(base(), NextStep::Done).await;
    store
        .set_campaign_status(setup.ws, setup.campaign, CampaignStatus::Draft)
        .await
        .unwrap();
    assert_eq!(
        store
            .delete_draft_campaign(setup.ws, setup.campaign)
            .await
            .unwrap(),
        DraftDeletion::HasSends
    );
    assert_eq!(
        store.delete_draft_campaign(setup.ws, draft).await.unwrap(),
        DraftDeletion::Deleted
    );
    assert!(
        store
            .campaign_by_id(setup.ws, draft)
            .await
            .unwrap()
            .is_none()
    );
}

async fn campaign_leads_come_a_page_at_a_time_in_enrolment_order(backend: TestBackend) {
    let addresses = [
        "a@l.example",
        "b@l.example",
        "c@l.example",
        "d@l.example",
        "e@l.example",
    ];
    let setup = Setup::new(backend, &addresses, base()).await;
    let store = setup.store();
    store
        .add_suppression(setup.ws, "e@l.example", "asked")
        .await
        .unwrap();
    let page = |after, status| CampaignLeadQuery {
        after,
        limit: 2,
        status,
    };

    let first = store
        .list_campaign_leads(setup.ws, setup.campaign, &page(None, None))
        .await
        .unwrap();
    let second = store
        .list_campaign_leads(setup.ws, setup.campaign, &page(Some(first[1].id), None))
        .await
        .unwrap();

    let emails: Vec<&str> = first
        .iter()
        .chain(&second)
        .map(|c| c.email.as_str())
        .collect();
    assert_eq!(
        emails,
        ["a@l.example", "b@l.example", "c@l.example", "d@l.example"]
    );
    assert_eq!(first[0].current_step, 1);
    assert_eq!(
        first[0].mailbox_address.as_deref(),
        Some("sender@example.com")
    );
    let stopped = store
        .list_campaign_leads(
            setup.ws,
            setup.campaign,
            &page(None, Some(CampaignLeadStatus::Unsubscribed)),
        )
        .await
        .unwrap();
    assert_eq!(stopped.len(), 1);
    assert!(stopped[0].stop_reason.as_deref().unwrap().contains("asked"));
    let counts = store
        .campaign_lead_counts(setup.ws, setup.campaign)
        .await
        .unwrap();
    assert_eq!(counts.get(&CampaignLeadStatus::Active), Some(&4));
    let other_ws = workspace(store, "other").await;
    let none = store
        .list_campaign_leads(other_ws, setup.campaign, &page(None, None))
        .await
        .unwrap();
    assert!(none.is_empty());
}

async fn an_enrolment_is_read_with_its_lead_and_stored_text(backend: TestBackend) {
    let setup = Setup::new(backend, &["a@leads.example"], base()).await;
    let store = setup.store();
    let lead = setup.leads[0];
    let enrolled = store
        .enrolled_lead(setup.ws, setup.campaign, lead)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(enrolled.lead.email, "a@leads.example");
    assert_eq!(enrolled.state.current_step_order, 1);
    assert_eq!(enrolled.first_subject, None);

    store
        .save_generated_many(&[GeneratedFor {
            campaign_lead_id: enrolled.campaign_lead_id,
            step_order: 1,
            message: generated("Hello there"),
        }])
        .await
        .unwrap();

    let stored = store
        .stored_text(setup.ws, enrolled.campaign_lead_id, 1)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.subject, "Hello there");
    let again = store
        .enrolled_lead(setup.ws, setup.campaign, lead)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        again.first_subject.as_deref(),
        Some("Hello there"),
        "a follow-up replies under step 1's stored subject"
    );
    let other_ws = workspace(store, "other").await;
    assert!(
        store
            .stored_text(other_ws, enrolled.campaign_lead_id, 1)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .enrolled_lead(other_ws, setup.campaign, lead)
            .await
            .unwrap()
            .is_none()
    );
}

async fn a_run_waits_for_leads_due_or_claimed_and_lists_its_sends(backend: TestBackend) {
    let addresses = ["a@l.example", "b@l.example", "c@l.example"];
    let setup = Setup::new(backend, &addresses, base() + TimeDelta::days(1)).await;
    let store = setup.store();
    let run_at = base();
    assert_eq!(
        store
            .run_now(setup.ws, setup.campaign, run_at)
            .await
            .unwrap(),
        3
    );
    let ready = Waiting {
        in_flight: false,
        first_step: true,
        mailbox: Some(MailboxStatus::Active),
        in_pool: true,
        unreachable: false,
    };

    let waiting = store
        .run_waiting(setup.ws, setup.campaign, run_at)
        .await
        .unwrap();
    assert_eq!(waiting.len(), 1, "{waiting:?}");
    assert_eq!((waiting[0].why, waiting[0].count), (ready, 3));

    let claimed = setup.claim(run_at, 1).await;
    let waiting = store
        .run_waiting(setup.ws, setup.campaign, run_at)
        .await
        .unwrap();
    let in_flight: u64 = waiting
        .iter()
        .filter(|g| g.why.in_flight)
        .map(|g| g.count)
        .sum();
    assert_eq!(in_flight, 1);
    let listed = store
        .run_waiting_leads(setup.ws, setup.campaign, run_at, 10)
        .await
        .unwrap();
    assert_eq!(listed.len(), 2, "not the claimed one");
    assert!(listed.iter().all(|w| w.lead_id != claimed[0].lead.id));

    let sent_at = run_at + TimeDelta::seconds(1);
    store
        .mark_sending(&claimed[0].send, "<m@x>", sent_at, TimeDelta::minutes(5))
        .await
        .unwrap();
    store
        .complete_sends(
            &[crate::dispatch_fixtures::sent(
                &claimed[0],
                sent_at,
                NextStep::Done,
            )],
            sent_at,
        )
        .await
        .unwrap();
    let results = store
        .run_results(
            setup.ws,
            setup.campaign,
            run_at,
            sent_at + TimeDelta::seconds(1),
        )
        .await
        .unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].lead_id, claimed[0].lead.id);
    let before = store
        .run_results(setup.ws, setup.campaign, run_at, run_at)
        .await
        .unwrap();
    assert!(
        before.is_empty(),
        "created after the run's end: not its own"
    );
    let waiting: u64 = store
        .run_waiting(setup.ws, setup.campaign, run_at)
        .await
        .unwrap()
        .iter()
        .map(|g| g.count)
        .sum();
    assert_eq!(waiting, 2, "the sent lead moved on");
}

async fn a_run_is_finished_once(backend: TestBackend) {
    let t = base();
    let setup = Setup::new(backend, &["a@leads.example"], t).await;
    let store = setup.store();
    let run = CampaignRun {
        id: RunId::new(),
        workspace_id: setup.ws,
        campaign_id: setup.campaign,
        started_at: t,
        made_due: 1,
        finished_at: None,
    };
    store.insert_run(&run).await.unwrap();

    store
        .finish_run(setup.ws, run.id, t + minutes(1))
        .await
        .unwrap();
    store
        .finish_run(setup.ws, run.id, t + minutes(2))
        .await
        .unwrap();

    let read = store
        .campaign_run(setup.ws, setup.campaign, run.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.finished_at, Some(t + minutes(1)));
    assert_eq!(read.made_due, 1);
    let other_ws = workspace(store, "other").await;
    assert!(
        store
            .campaign_run(other_ws, setup.campaign, run.id)
            .await
            .unwrap()
            .is_none()
    );
}
