//! Enrolment: least-loaded mailbox rotation, re-enrolment, suppression and scale.

use std::time::Instant;

use outreachd::domain::{EnrollOutcome, LeadId, LeadInsert, NewLead};
use outreachd::store::StoreError;

use crate::fixtures::{campaign, campaign_spec, lead, leads, mailbox, past, workspace};
use crate::sql;
use crate::support::{TestBackend, test_store};

/// Active enrolments per mailbox address, by address.
const LOAD_BY_MAILBOX: &str = "SELECT m.address, count(*) FROM campaign_leads cl \
     JOIN mailboxes m ON m.id = cl.mailbox_id WHERE cl.status = 'active' \
     GROUP BY m.address ORDER BY m.address";

fn addresses(prefix: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| format!("{prefix}{i}@leads.example"))
        .collect()
}

async fn insert(
    store: &dyn outreachd::store::Store,
    ws: outreachd::domain::WorkspaceId,
    addrs: &[String],
) -> Vec<LeadId> {
    let refs: Vec<&str> = addrs.iter().map(String::as_str).collect();
    leads(store, ws, &refs).await
}

async fn enrolment_spreads_leads_over_the_least_loaded_mailboxes(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let a = mailbox(&*ts.store, ws, "a@example.com").await;
    let b = mailbox(&*ts.store, ws, "b@example.com").await;
    let c = mailbox(&*ts.store, ws, "c@example.com").await;
    let id = campaign(&*ts.store, ws, "Launch", vec![a, b, c]).await;

    let first = insert(&*ts.store, ws, &addresses("first", 10)).await;
    let outcome = ts.store.enroll_leads(ws, id, &first, past()).await.unwrap();
    assert_eq!(
        outcome,
        EnrollOutcome {
            enrolled: 10,
            already_enrolled: 0,
            suppressed: 0
        }
    );
    let loads = sql::counts(backend, &ts, LOAD_BY_MAILBOX).await;
    assert_eq!(
        loads,
        vec![
            ("a@example.com".into(), 4),
            ("b@example.com".into(), 3),
            ("c@example.com".into(), 3)
        ],
        "ties go to the earlier mailbox in the pool"
    );

    // The next enrolment starts from the current loads, not from the first mailbox.
    let second = insert(&*ts.store, ws, &addresses("second", 2)).await;
    ts.store
        .enroll_leads(ws, id, &second, past())
        .await
        .unwrap();
    let loads = sql::counts(backend, &ts, LOAD_BY_MAILBOX).await;
    assert_eq!(loads.iter().map(|(_, n)| *n).collect::<Vec<_>>(), [4, 4, 4]);
}

async fn pool_order_not_address_order_breaks_ties(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let a = mailbox(&*ts.store, ws, "a@example.com").await;
    let b = mailbox(&*ts.store, ws, "b@example.com").await;
    let id = campaign(&*ts.store, ws, "Launch", vec![b, a]).await;
    let ids = insert(&*ts.store, ws, &addresses("lead", 3)).await;
    ts.store.enroll_leads(ws, id, &ids, past()).await.unwrap();
    let loads = sql::counts(backend, &ts, LOAD_BY_MAILBOX).await;
    assert_eq!(
        loads,
        vec![("a@example.com".into(), 1), ("b@example.com".into(), 2)]
    );
}

async fn re_enrolling_counts_already_enrolled_leads(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let mb = mailbox(&*ts.store, ws, "a@example.com").await;
    let id = campaign(&*ts.store, ws, "Launch", vec![mb]).await;
    let ids = insert(&*ts.store, ws, &addresses("lead", 12)).await;
    let first = ts
        .store
        .enroll_leads(ws, id, &ids[..10], past())
        .await
        .unwrap();
    assert_eq!(first.enrolled, 10);
    let again = ts.store.enroll_leads(ws, id, &ids, past()).await.unwrap();
    assert_eq!(
        again,
        EnrollOutcome {
            enrolled: 2,
            already_enrolled: 10,
            suppressed: 0
        }
    );
    let dup = [ids[0], ids[0]];
    let twice = ts.store.enroll_leads(ws, id, &dup, past()).await.unwrap();
    assert_eq!(twice.enrolled, 0);
    assert!(twice.already_enrolled >= 1);
    let newcomer = insert(&*ts.store, ws, &addresses("newcomer", 1)).await[0];
    let listed_twice = ts
        .store
        .enroll_leads(ws, id, &[newcomer, newcomer], past())
        .await
        .unwrap();
    assert_eq!(
        listed_twice.enrolled, 1,
        "a lead listed twice is enrolled once"
    );
    let summary = ts
        .store
        .workspace_summary(ws, chrono::Utc::now())
        .await
        .unwrap();
    let total: u64 = summary.campaigns[0].leads_by_status.values().sum();
    assert_eq!(total, 13, "each lead is enrolled once");
}

async fn suppressed_and_unsubscribed_leads_are_skipped(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let mb = mailbox(&*ts.store, ws, "a@example.com").await;
    let id = campaign(&*ts.store, ws, "Launch", vec![mb]).await;
    let ids = leads(
        &*ts.store,
        ws,
        &[
            "ok@fine.example",
            "Blocked@Fine.example",
            "anyone@BANNED.example",
            "gone@fine.example",
        ],
    )
    .await;
    ts.store
        .add_suppression(ws, "blocked@fine.example", "asked to stop")
        .await
        .unwrap();
    ts.store
        .add_suppression(ws, "banned.example", "competitor")
        .await
        .unwrap();
    sql::execute(
        backend,
        &ts,
        "UPDATE leads SET unsubscribed_at = created_at WHERE email = 'gone@fine.example'",
    )
    .await;

    let outcome = ts.store.enroll_leads(ws, id, &ids, past()).await.unwrap();
    assert_eq!(
        outcome,
        EnrollOutcome {
            enrolled: 1,
            already_enrolled: 0,
            suppressed: 3
        }
    );
    let summary = ts
        .store
        .workspace_summary(ws, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(
        summary.campaigns[0].leads_by_status.values().sum::<u64>(),
        1
    );
}

async fn enrolling_into_a_campaign_without_mailboxes_is_a_conflict(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let id = ts
        .store
        .upsert_campaign(ws, &campaign_spec("Empty", vec![], 1))
        .await
        .unwrap()
        .value
        .id;
    let ids = leads(&*ts.store, ws, &["x@y.example"]).await;
    let err = ts
        .store
        .enroll_leads(ws, id, &ids, past())
        .await
        .unwrap_err();
    let StoreError::Conflict(message) = &err else {
        panic!("expected a conflict, got {err:?}")
    };
    assert!(message.contains("Empty"), "names the campaign: {message}");
}

async fn a_hundred_thousand_leads_enrol_in_one_call(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let pool = vec![
        mailbox(&*ts.store, ws, "a@example.com").await,
        mailbox(&*ts.store, ws, "b@example.com").await,
        mailbox(&*ts.store, ws, "c@example.com").await,
    ];
    let id = campaign(&*ts.store, ws, "Big", pool).await;
    let started = Instant::now();
    let mut ids = Vec::with_capacity(100_000);
    for batch in 0..100 {
        let new: Vec<NewLead> = (0..1_000)
            .map(|i| lead(&format!("l{batch}x{i}@big.example")))
            .collect();
        ids.extend(
            ts.store
                .insert_leads(ws, &new)
                .await
                .unwrap()
                .iter()
                .map(LeadInsert::id),
        );
    }
    eprintln!(
        "{backend:?}: 100,000 leads imported in {:?}",
        started.elapsed()
    );
    let started = Instant::now();
    let outcome = ts.store.enroll_leads(ws, id, &ids, past()).await.unwrap();
    eprintln!(
        "{backend:?}: 100,000 leads enrolled in {:?}",
        started.elapsed()
    );
    assert_eq!(
        outcome,
        EnrollOutcome {
            enrolled: 100_000,
            already_enrolled: 0,
            suppressed: 0
        }
    );
    let loads = sql::counts(backend, &ts, LOAD_BY_MAILBOX).await;
    assert_eq!(
        loads.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
        [33_334, 33_333, 33_333]
    );
    let summary = ts
        .store
        .workspace_summary(ws, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(summary.campaigns[0].due_now, 100_000);
}

crate::on_both_backends!(
    enrolment_spreads_leads_over_the_least_loaded_mailboxes,
    pool_order_not_address_order_breaks_ties,
    re_enrolling_counts_already_enrolled_leads,
    suppressed_and_unsubscribed_leads_are_skipped,
    enrolling_into_a_campaign_without_mailboxes_is_a_conflict,
    a_hundred_thousand_leads_enrol_in_one_call,
);
