//! Checks of what is particular to the SQLite step contract: `mark_sending_many` fences each
//! send, suppressions fold non-ASCII capitals, and a measurement of claim and completion
//! throughput (ignored by default). The conformance suite in `tests/store/dispatch*.rs` is the
//! contract for both backends; `plans` checks the queries' indexes.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};

use super::super::*;
use super::{campaign_spec, lead, mailbox_spec, ready_store};
use crate::domain::*;
use crate::domain::{CampaignId, CampaignStatus, MailboxId};
use crate::store::*;

const LEASE: TimeDelta = TimeDelta::minutes(5);

/// A running campaign of two steps over `mailboxes` new mailboxes, with `addresses` enrolled
/// and due a minute before `now`.
async fn running(
    store: &SqliteStore,
    mailboxes: usize,
    addresses: &[String],
    now: DateTime<Utc>,
) -> (WorkspaceId, CampaignId) {
    let ws = store.upsert_workspace("acme").await.unwrap().value.id;
    let mut pool: Vec<MailboxId> = Vec::new();
    for i in 0..mailboxes {
        let spec = mailbox_spec(&format!("sender{i}@example.com"));
        pool.push(store.upsert_mailbox(ws, &spec).await.unwrap().value.id);
    }
    let spec = campaign_spec("Launch", pool, 2);
    let campaign = store.upsert_campaign(ws, &spec).await.unwrap().value.id;
    store
        .set_campaign_status(ws, campaign, CampaignStatus::Running)
        .await
        .unwrap();
    let mut ids = Vec::with_capacity(addresses.len());
    for chunk in addresses.chunks(1_000) {
        let batch: Vec<NewLead> = chunk.iter().map(|a| lead(a)).collect();
        let inserted = store.insert_leads(ws, &batch).await.unwrap();
        ids.extend(inserted.iter().map(|r| r.id()));
    }
    store
        .enroll_leads(ws, campaign, &ids, now - TimeDelta::minutes(1))
        .await
        .unwrap();
    (ws, campaign)
}

fn request(ws: WorkspaceId, campaign: CampaignId, now: DateTime<Utc>, n: u32) -> ClaimRequest {
    ClaimRequest {
        workspace_id: ws,
        campaign_id: campaign,
        now,
        lease_for: LEASE,
        max_rows: n,
        max_new_leads: n,
        mailboxes: None,
    }
}

#[tokio::test]
async fn mark_sending_many_fences_each_send_and_answers_in_input_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = ready_store(&dir).await;
    let now = Utc::now();
    let addresses: Vec<String> = (0..3).map(|i| format!("lead{i}@x.example")).collect();
    let (ws, campaign) = running(&store, 1, &addresses, now).await;
    let claimed = store
        .claim_due(&request(ws, campaign, now, 10))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 3);
    let stranger = SendRef {
        lease: LeaseToken::new(),
        ..claimed[1].send
    };
    let batch = vec![
        (claimed[0].send, "<0@x>".to_owned()),
        (stranger, "<1@x>".to_owned()),
        (claimed[2].send, "<2@x>".to_owned()),
    ];
    let marked = store.mark_sending_many(&batch, now, LEASE).await.unwrap();
    assert_eq!(marked, [true, false, true]);
    let again = store.mark_sending_many(&batch, now, LEASE).await.unwrap();
    assert_eq!(again, [false, false, false], "only from claimed");
    assert!(
        store
            .mark_sending_many(&[], now, LEASE)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn suppressions_stop_leads_whose_address_has_non_ascii_capitals() {
    let dir = tempfile::tempdir().unwrap();
    let store = ready_store(&dir).await;
    let now = Utc::now();
    let addresses = [
        "ÅSA@Bücher.example",
        "Ölaf@ZÜRICH.example",
        "keep@x.example",
    ]
    .map(str::to_owned);
    let (ws, campaign) = running(&store, 1, &addresses, now).await;
    store
        .add_suppression(ws, "åsa@bücher.example", "asked to stop")
        .await
        .unwrap();
    store
        .add_suppression(ws, "Zürich.example", "competitor")
        .await
        .unwrap();
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT l.email, cl.status FROM campaign_leads cl JOIN leads l ON l.id = cl.lead_id \
         WHERE cl.campaign_id = ? ORDER BY l.email",
    )
    .bind(campaign)
    .fetch_all(&store.pool)
    .await
    .unwrap();
    let statuses: BTreeMap<&str, &str> =
        rows.iter().map(|(e, s)| (e.as_str(), s.as_str())).collect();
    assert_eq!(
        statuses,
        BTreeMap::from([
            ("keep@x.example", "active"),
            ("ÅSA@Bücher.example", "unsubscribed"),
            ("Ölaf@ZÜRICH.example", "unsubscribed"),
        ])
    );
    let claimed = store
        .claim_due(&request(ws, campaign, now, 10))
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].lead.email, "keep@x.example");
}

/// A measurement, not a check: claims and completes 20,000 sends in batches of 500 over 10
/// mailboxes (with one `mark_sending_many` per mailbox and batch in between) and prints rows/s.
/// Run with `cargo test --release --lib sqlite::tests_dispatch -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run with --ignored --nocapture"]
async fn claim_and_complete_20k_sends_in_batches_of_500() {
    const ROWS: usize = 20_000;
    const BATCH: u32 = 500;
    let dir = tempfile::tempdir().unwrap();
    let store = ready_store(&dir).await;
    let now = Utc::now();
    let addresses: Vec<String> = (0..ROWS).map(|i| format!("lead{i}@load.example")).collect();
    let (ws, campaign) = running(&store, 10, &addresses, now).await;
    let req = request(ws, campaign, now, BATCH);
    let next = NextStep::At {
        step_order: 2,
        due_at: now + TimeDelta::days(1),
    };
    let (mut claim_t, mut mark_t, mut complete_t) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let mut done = 0;
    loop {
        let t = Instant::now();
        let claimed = store.claim_due(&req).await.unwrap();
        claim_t += t.elapsed();
        if claimed.is_empty() {
            break;
        }
        let mut by_mailbox: BTreeMap<MailboxId, Vec<(SendRef, String)>> = BTreeMap::new();
        for c in &claimed {
            let message_id = format!("<{}@example.com>", c.send.send_id);
            by_mailbox
                .entry(c.send.mailbox_id)
                .or_default()
                .push((c.send, message_id));
        }
        let t = Instant::now();
        for sends in by_mailbox.values() {
            let marked = store.mark_sending_many(sends, now, LEASE).await.unwrap();
            assert!(marked.iter().all(|m| *m));
        }
        mark_t += t.elapsed();
        let completions: Vec<Completion> = claimed
            .iter()
            .map(|c| Completion::Sent {
                send: c.send,
                message_id: format!("<{}@example.com>", c.send.send_id),
                reply: "250 2.0.0 Ok: queued".into(),
                sent_at: now,
                thread: None,
                next,
                count_date: now.date_naive(),
            })
            .collect();
        let t = Instant::now();
        let report = store.complete_sends(&completions, now).await.unwrap();
        complete_t += t.elapsed();
        assert_eq!(report.applied as usize, claimed.len());
        done += claimed.len();
    }
    assert_eq!(done, ROWS);
    let rate = |d: Duration| done as f64 / d.as_secs_f64();
    println!(
        "SQLite: {done} rows: claim {:.2} s = {:.0} rows/s, complete {:.2} s = {:.0} rows/s, \
         claim + complete {:.0} rows/s (mark_sending_many {:.2} s = {:.0} rows/s)",
        claim_t.as_secs_f64(),
        rate(claim_t),
        complete_t.as_secs_f64(),
        rate(complete_t),
        rate(claim_t + complete_t),
        mark_t.as_secs_f64(),
        rate(mark_t),
    );
}
