//! A measurement, not a check (ignored by default): 20,000 sends through the step contract in
//! batches of 500 over 10 mailboxes: one claim, one `mark_sending_many` per mailbox (the ten at
//! once, as the mailbox actors do) and one `complete_sends` per batch. Prints rows/s and where
//! the time went. Run with
//! `cargo test --release --test store dispatch_throughput -- --ignored --nocapture`.

use std::time::{Duration, Instant};

use outreachd::domain::{Completion, MailboxId, NewLead, NextStep};

use crate::dispatch_fixtures::{LEASE, base, message_id, minutes, running_campaign, sent};
use crate::fixtures::{email, mailbox, workspace};
use crate::support::{TestBackend, test_store};

const ROWS: usize = 20_000;
const BATCH: u32 = 500;
const MAILBOXES: usize = 10;

async fn claim_mark_and_complete_20k_sends(backend: TestBackend) {
    let ts = test_store(backend).await;
    let store = ts.store.clone();
    let ws = workspace(&*store, "load").await;
    let mut pool: Vec<MailboxId> = Vec::new();
    for i in 0..MAILBOXES {
        pool.push(mailbox(&*store, ws, &format!("sender{i}@example.com")).await);
    }
    let campaign = running_campaign(&*store, ws, "Load", pool, 2).await;
    let now = base();
    let mut ids = Vec::with_capacity(ROWS);
    for chunk in (0..ROWS).collect::<Vec<_>>().chunks(1_000) {
        let batch: Vec<NewLead> = chunk
            .iter()
            .map(|i| NewLead {
                email: Some(email(&format!("lead{i}@load.example"))),
                ..NewLead::default()
            })
            .collect();
        ids.extend(
            store
                .insert_leads(ws, &batch)
                .await
                .unwrap()
                .iter()
                .map(|r| r.id()),
        );
    }
    store
        .enroll_leads(ws, campaign, &ids, now - minutes(1))
        .await
        .unwrap();

    let req = outreachd::domain::ClaimRequest {
        workspace_id: ws,
        campaign_id: campaign,
        now,
        lease_for: LEASE,
        max_rows: BATCH,
        max_new_leads: BATCH,
        mailboxes: None,
    };
    let next = NextStep::At {
        step_order: 2,
        due_at: now + minutes(60 * 24),
    };
    let (mut claim_t, mut mark_t, mut complete_t) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let (mut done, started) = (0, Instant::now());
    loop {
        let t = Instant::now();
        let claimed = store.claim_due(&req).await.unwrap();
        claim_t += t.elapsed();
        if claimed.is_empty() {
            break;
        }
        let t = Instant::now();
        let mut tasks = Vec::new();
        for mb in 0..MAILBOXES {
            let mine: Vec<_> = claimed
                .iter()
                .skip(mb)
                .step_by(MAILBOXES)
                .cloned()
                .collect();
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let marks: Vec<_> = mine.iter().map(|c| (c.send, message_id(c))).collect();
                let marked = store.mark_sending_many(&marks, now, LEASE).await.unwrap();
                assert!(marked.iter().all(|ok| *ok));
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        mark_t += t.elapsed();
        let completions: Vec<Completion> = claimed.iter().map(|c| sent(c, now, next)).collect();
        let t = Instant::now();
        let report = store.complete_sends(&completions, now).await.unwrap();
        complete_t += t.elapsed();
        assert_eq!(report.applied as usize, claimed.len());
        done += claimed.len();
    }
    let total = started.elapsed();
    assert_eq!(done, ROWS);
    let rate = |d: Duration| done as f64 / d.as_secs_f64();
    println!(
        "{backend:?}: {done} sends in {:.2} s = {:.0} sends/s end to end \
         (claim {:.2} s = {:.0} rows/s, mark_sending_many {:.2} s = {:.0} rows/s over \
         {MAILBOXES} tasks, complete {:.2} s = {:.0} rows/s); claim + complete alone: {:.0} rows/s",
        total.as_secs_f64(),
        rate(total),
        claim_t.as_secs_f64(),
        rate(claim_t),
        mark_t.as_secs_f64(),
        rate(mark_t),
        complete_t.as_secs_f64(),
        rate(complete_t),
        rate(claim_t + complete_t),
    );
    let campaign = store.campaign_by_id(ws, campaign).await.unwrap().unwrap();
    assert_eq!(campaign.emails_sent, ROWS as u64);
}

mod postgres {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "a measurement: run with --ignored --nocapture"]
    async fn claim_mark_and_complete_20k_sends() {
        super::claim_mark_and_complete_20k_sends(crate::support::TestBackend::Postgres).await
    }
}

mod sqlite {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "a measurement: run with --ignored --nocapture"]
    async fn claim_mark_and_complete_20k_sends() {
        super::claim_mark_and_complete_20k_sends(crate::support::TestBackend::Sqlite).await
    }
}
