//! Lead records and import jobs, the API's side of leads: keyset pages scoped to a workspace,
//! edits fenced by `updated_at`, deletes that keep other workspaces' leads, and the life of an
//! import job including the sweep of jobs whose daemon died.

use chrono::{TimeDelta, Utc};
use outreachd::domain::{
    EnrollOutcome, ImportCounts, ImportJobId, ImportOutcome, ImportStatus, LeadDeletion,
    LeadFilter, LeadUpdate, NewImportJob, RejectedRow, WorkspaceId,
};
use outreachd::store::Store;

use crate::fixtures::{email, lead, leads, workspace};
use crate::support::{TestBackend, test_store};

async fn pages_continue_after_the_cursor_within_one_workspace(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ours = workspace(&*ts.store, "ours").await;
    let theirs = workspace(&*ts.store, "theirs").await;
    let ids = leads(&*ts.store, ours, &["a@x.com", "b@x.com", "c@x.com"]).await;
    leads(&*ts.store, theirs, &["z@x.com"]).await;
    let all = LeadFilter::default();

    let first = ts.store.list_leads(ours, &all, None, 2).await.unwrap();
    let rest = ts
        .store
        .list_leads(ours, &all, Some(first[1].lead.id), 2)
        .await
        .unwrap();

    let page = |records: &[outreachd::domain::LeadRecord]| {
        records.iter().map(|r| r.lead.id).collect::<Vec<_>>()
    };
    assert_eq!(page(&first), ids[..2]);
    assert_eq!(page(&rest), ids[2..]);
}

async fn an_edit_from_a_stale_read_changes_nothing(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let id = leads(&*ts.store, ws, &["ann@x.com"]).await[0];
    let read = ts.store.lead_by_id(ws, id).await.unwrap().unwrap();
    let renamed = outreachd::domain::NewLead {
        first_name: Some("Ann".into()),
        ..lead("ann@x.com")
    };

    let stale = ts
        .store
        .update_lead(
            ws,
            id,
            &renamed,
            read.updated_at - TimeDelta::seconds(1),
            Utc::now(),
        )
        .await
        .unwrap();
    assert_eq!(stale, LeadUpdate::Stale);

    let fresh = ts
        .store
        .update_lead(ws, id, &renamed, read.updated_at, Utc::now())
        .await
        .unwrap();
    let LeadUpdate::Updated(record) = fresh else {
        panic!("the edit applies: {fresh:?}");
    };
    assert_eq!(record.lead.first_name.as_deref(), Some("Ann"));
    assert!(record.updated_at > read.updated_at);
}

async fn an_edit_to_a_taken_email_is_a_conflict(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let ids = leads(&*ts.store, ws, &["ann@x.com", "bob@x.com"]).await;
    let bob = ts.store.lead_by_id(ws, ids[1]).await.unwrap().unwrap();

    let result = ts
        .store
        .update_lead(ws, ids[1], &lead("ANN@x.com"), bob.updated_at, Utc::now())
        .await;

    assert!(
        matches!(result, Err(outreachd::store::StoreError::Conflict(_))),
        "{result:?}"
    );
    let kept = ts
        .store
        .lead_by_email(ws, &email("bob@x.com"))
        .await
        .unwrap();
    assert!(kept.is_some());
}

async fn another_workspaces_lead_is_neither_found_nor_deleted(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ours = workspace(&*ts.store, "ours").await;
    let theirs = workspace(&*ts.store, "theirs").await;
    let id = leads(&*ts.store, theirs, &["z@x.com"]).await[0];

    assert!(ts.store.lead_by_id(ours, id).await.unwrap().is_none());
    assert_eq!(
        ts.store.delete_lead(ours, id).await.unwrap(),
        LeadDeletion::NotFound
    );
    assert!(ts.store.lead_by_id(theirs, id).await.unwrap().is_some());
}

fn job(ws: WorkspaceId, at: chrono::DateTime<Utc>) -> NewImportJob {
    NewImportJob {
        id: ImportJobId::new(),
        workspace_id: ws,
        campaign_id: None,
        file_name: Some("leads.csv".into()),
        size_bytes: 1_234,
        created_at: at,
    }
}

async fn an_import_job_records_its_outcome(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let new = job(ws, Utc::now());
    ts.store.create_import_job(&new).await.unwrap();
    ts.store
        .start_import_job(ws, new.id, Utc::now())
        .await
        .unwrap();
    ts.store
        .beat_import_job(ws, new.id, 500, Utc::now())
        .await
        .unwrap();
    let running = ts.store.import_job(ws, new.id).await.unwrap().unwrap();
    assert_eq!(running.status, ImportStatus::Running);
    assert_eq!(running.counts.rows_read, 500);

    let rejected = RejectedRow {
        line: 7,
        email: Some("bad".into()),
        code: "invalid_email".into(),
        reason: "invalid email: no @".into(),
    };
    let outcome = ImportOutcome {
        status: ImportStatus::Completed,
        error: None,
        counts: ImportCounts {
            rows_read: 1_000,
            imported: 990,
            already_existed: 5,
            invalid: 4,
            duplicates_in_file: 1,
        },
        enrollment: Some(EnrollOutcome {
            enrolled: 995,
            already_enrolled: 0,
            suppressed: 0,
        }),
        rejected: vec![rejected.clone()],
        rejected_total: 5,
        mapping_proposal: Some(outreachd::domain::MappingProposal {
            mappings: vec![outreachd::domain::ProposedMapping {
                column: "Firma".into(),
                field: "company".into(),
                confidence: 0.9,
            }],
            accepted: true,
            provider: "openai".into(),
            model: "gpt-test".into(),
        }),
    };
    ts.store
        .finish_import_job(ws, new.id, &outcome, Utc::now())
        .await
        .unwrap();

    let done = ts.store.import_job(ws, new.id).await.unwrap().unwrap();
    assert_eq!(done.status, ImportStatus::Completed);
    assert_eq!(done.counts, outcome.counts);
    assert_eq!(done.enrollment, outcome.enrollment);
    assert_eq!(done.rejected, vec![rejected]);
    assert_eq!(done.rejected_total, 5);
    assert_eq!(done.mapping_proposal, outcome.mapping_proposal);
    assert_eq!(
        (done.file_name.as_deref(), done.size_bytes),
        (Some("leads.csv"), 1_234)
    );
    assert!(done.finished_at.is_some());
    let other = workspace(&*ts.store, "other").await;
    assert!(ts.store.import_job(other, new.id).await.unwrap().is_none());
}

async fn only_unfinished_jobs_with_an_old_heartbeat_are_failed_as_stale(backend: TestBackend) {
    let ts = test_store(backend).await;
    let store: &dyn Store = &*ts.store;
    let ws = workspace(store, "acme").await;
    let now = Utc::now();
    let old = now - TimeDelta::minutes(10);
    let stale = job(ws, old);
    let alive = job(ws, old);
    let finished = job(ws, old);
    for j in [&stale, &alive, &finished] {
        store.create_import_job(j).await.unwrap();
        store.start_import_job(ws, j.id, old).await.unwrap();
    }
    store.beat_import_job(ws, alive.id, 10, now).await.unwrap();
    let completed = ImportOutcome {
        status: ImportStatus::Completed,
        error: None,
        counts: ImportCounts::default(),
        enrollment: None,
        rejected: Vec::new(),
        rejected_total: 0,
        mapping_proposal: None,
    };
    store
        .finish_import_job(ws, finished.id, &completed, old)
        .await
        .unwrap();

    let failed = store
        .fail_stale_import_jobs(None, now - TimeDelta::minutes(1), "lost", now)
        .await
        .unwrap();

    assert_eq!(failed, 1);
    let status = |id| async move { store.import_job(ws, id).await.unwrap().unwrap() };
    let stale = status(stale.id).await;
    assert_eq!(
        (stale.status, stale.error.as_deref()),
        (ImportStatus::Failed, Some("lost"))
    );
    assert_eq!(status(alive.id).await.status, ImportStatus::Running);
    assert_eq!(status(finished.id).await.status, ImportStatus::Completed);
}

crate::on_both_backends!(
    pages_continue_after_the_cursor_within_one_workspace,
    an_edit_from_a_stale_read_changes_nothing,
    an_edit_to_a_taken_email_is_a_conflict,
    another_workspaces_lead_is_neither_found_nor_deleted,
    an_import_job_records_its_outcome,
    only_unfinished_jobs_with_an_old_heartbeat_are_failed_as_stale,
);
