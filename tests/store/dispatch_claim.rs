//! Claiming due leads: what is due, in which order, under which caps, and never twice.

use std::collections::HashSet;
use std::sync::Arc;

use outreachd::domain::{CampaignStatus, ClaimRequest, GeneratedFor, GeneratedMessage, NextStep};
use outreachd::store::Store;

use crate::dispatch_fixtures::{LEASE, Setup, base, message_id, minutes};
use crate::sql;
use crate::support::TestBackend;

async fn a_claim_returns_due_leads_only_and_only_from_a_running_campaign(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example", "b@x.example"], now - minutes(10)).await;
    let later = crate::fixtures::leads(s.store(), s.ws, &["later@x.example"]).await;
    s.store()
        .enroll_leads(s.ws, s.campaign, &later, now + minutes(10))
        .await
        .unwrap();

    s.store()
        .set_campaign_status(s.ws, s.campaign, CampaignStatus::Paused)
        .await
        .unwrap();
    assert!(
        s.claim(now, 10).await.is_empty(),
        "a paused campaign is not claimed from"
    );
    s.store()
        .set_campaign_status(s.ws, s.campaign, CampaignStatus::Running)
        .await
        .unwrap();
    let other_ws = crate::fixtures::workspace(s.store(), "other").await;
    let wrong = ClaimRequest {
        workspace_id: other_ws,
        ..s.request(now, 10)
    };
    assert!(
        s.store().claim_due(&wrong).await.unwrap().is_empty(),
        "scoped by workspace"
    );

    let claimed = s.claim(now, 10).await;
    let mut emails: Vec<&str> = claimed.iter().map(|c| c.lead.email.as_str()).collect();
    emails.sort();
    assert_eq!(emails, ["a@x.example", "b@x.example"]);
    for c in &claimed {
        assert_eq!((c.step_order, c.attempts), (1, 0));
        assert_eq!(c.due_at, now - minutes(10));
        assert_eq!((c.workspace_id, c.campaign_id), (s.ws, s.campaign));
        assert_eq!(c.send.mailbox_id, s.mailbox);
        assert!(c.thread.is_none() && c.generated.is_none());
    }
    assert_eq!(
        claimed[0].send.lease, claimed[1].send.lease,
        "one lease per claim"
    );
}

async fn follow_ups_come_first_and_new_leads_are_capped(backend: TestBackend) {
    let now = base();
    let s = Setup::new(
        backend,
        &["f1@x.example", "f2@x.example"],
        now - minutes(60),
    )
    .await;
    // Both get step 1 and are due for step 2 after the new leads enrolled below.
    s.send_all(
        now - minutes(50),
        NextStep::At {
            step_order: 2,
            due_at: now - minutes(5),
        },
    )
    .await;
    let new = crate::fixtures::leads(
        s.store(),
        s.ws,
        &["n1@x.example", "n2@x.example", "n3@x.example"],
    )
    .await;
    s.store()
        .enroll_leads(s.ws, s.campaign, &new, now - minutes(30))
        .await
        .unwrap();

    let req = ClaimRequest {
        max_new_leads: 1,
        mailboxes: None,
        ..s.request(now, 10)
    };
    let claimed = s.store().claim_due(&req).await.unwrap();
    let steps: Vec<u32> = claimed.iter().map(|c| c.step_order).collect();
    assert_eq!(steps, [2, 2, 1], "follow-ups first, then one new lead");
    assert!(
        claimed[0].thread.is_some(),
        "a follow-up carries its thread"
    );

    let rest = s.claim(now, 1).await;
    assert_eq!(rest.len(), 1, "max_rows caps the claim");
    assert_eq!(s.claim(now, 0).await.len(), 0);
    assert_eq!(s.claim(now, 10).await.len(), 1, "the last new lead");
}

async fn a_leased_lead_is_claimed_again_only_after_its_lease_expires(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example"], now - minutes(1)).await;
    let first = s.claim(now, 10).await;
    assert_eq!(first.len(), 1);
    assert!(s.claim(now + minutes(1), 10).await.is_empty(), "leased");

    let later = now + LEASE + minutes(1);
    let again = s.claim(later, 10).await;
    assert_eq!(again.len(), 1);
    assert_eq!(
        again[0].send.campaign_lead_id, first[0].send.campaign_lead_id,
        "the same lead step"
    );
    assert_ne!(
        again[0].send.lease, first[0].send.lease,
        "under a new lease"
    );
    assert_eq!(again[0].attempts, 0);
    assert!(
        !s.store()
            .mark_sending(&first[0].send, &message_id(&first[0]), later, LEASE)
            .await
            .unwrap(),
        "the first claim's holder can no longer mark it"
    );
    assert!(
        s.store()
            .mark_sending(&again[0].send, &message_id(&again[0]), later, LEASE)
            .await
            .unwrap()
    );
}

async fn suppressed_and_unsubscribed_leads_are_not_claimed(backend: TestBackend) {
    let now = base();
    let s = Setup::new(
        backend,
        &[
            "ok@fine.example",
            "Blocked@Fine.example",
            "anyone@banned.example",
            "gone@fine.example",
        ],
        now - minutes(1),
    )
    .await;
    // Suppressions written behind the store's back (as an older daemon or an operator might),
    // so only the claim's own check stands between them and a send.
    let id = match backend {
        TestBackend::Postgres => "gen_random_uuid()",
        TestBackend::Sqlite => "randomblob(16)",
    };
    for (kind, value) in [
        ("email", "blocked@fine.example"),
        ("domain", "banned.example"),
    ] {
        let statement = format!(
            "INSERT INTO suppressions (id, workspace_id, kind, value, reason, created_at) \
             SELECT {id}, id, '{kind}', '{value}', 'manual', created_at FROM workspaces"
        );
        sql::execute_owned(backend, &s.ts, statement).await;
    }
    sql::execute(
        backend,
        &s.ts,
        "UPDATE leads SET unsubscribed_at = created_at WHERE email = 'gone@fine.example'",
    )
    .await;

    let claimed = s.claim(now, 10).await;
    let emails: Vec<&str> = claimed.iter().map(|c| c.lead.email.as_str()).collect();
    assert_eq!(emails, ["ok@fine.example"]);
}

async fn adding_a_suppression_stops_the_active_leads_it_matches(backend: TestBackend) {
    let now = base();
    let s = Setup::new(
        backend,
        &["Stop@X.example", "a@banned.example", "keep@x.example"],
        now - minutes(1),
    )
    .await;
    s.store()
        .add_suppression(s.ws, "stop@x.example", "asked to stop")
        .await
        .unwrap();
    s.store()
        .add_suppression(s.ws, "Banned.example", "competitor")
        .await
        .unwrap();
    assert_eq!(
        s.statuses(backend).await,
        [
            "Launch Stop@X.example unsubscribed",
            "Launch a@banned.example unsubscribed",
            "Launch keep@x.example active",
        ]
    );
    let reasons = sql::counts(
        backend,
        &s.ts,
        "SELECT stop_reason, count(*) FROM campaign_leads WHERE stop_reason IS NOT NULL \
         GROUP BY stop_reason ORDER BY stop_reason",
    )
    .await;
    assert_eq!(
        reasons,
        [
            ("suppressed: asked to stop".to_owned(), 1),
            ("suppressed: competitor".to_owned(), 1)
        ]
    );
    let claimed = s.claim(now, 10).await;
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].lead.email, "keep@x.example");
}

fn text(subject: &str) -> GeneratedMessage {
    crate::dispatch_fixtures::generated(subject)
}

async fn the_first_stored_text_wins_and_a_re_claim_returns_it(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example"], now - minutes(1)).await;
    let c = &s.claim(now, 10).await[0];
    let first = s
        .store()
        .save_generated(&c.send, 1, &text("First"))
        .await
        .unwrap();
    assert_eq!(first, text("First"));
    let second = s
        .store()
        .save_generated(&c.send, 1, &text("Second"))
        .await
        .unwrap();
    assert_eq!(second, text("First"), "first writer wins");

    let again = s.claim(now + LEASE + minutes(1), 10).await;
    assert_eq!(again[0].generated, Some(text("First")));
}

async fn a_claim_for_some_mailboxes_takes_only_their_leads(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example", "b@x.example"], now - minutes(1)).await;
    let elsewhere = ClaimRequest {
        mailboxes: Some(vec![outreachd::domain::MailboxId::new()]),
        ..s.request(now, 10)
    };
    assert!(s.store().claim_due(&elsewhere).await.unwrap().is_empty());
    let none = ClaimRequest {
        mailboxes: Some(Vec::new()),
        ..s.request(now, 10)
    };
    assert!(s.store().claim_due(&none).await.unwrap().is_empty());
    let ours = ClaimRequest {
        mailboxes: Some(vec![s.mailbox]),
        ..s.request(now, 10)
    };
    assert_eq!(s.store().claim_due(&ours).await.unwrap().len(), 2);
}

async fn a_batch_of_texts_is_stored_in_order_keeping_any_stored_first(backend: TestBackend) {
    let now = base();
    let s = Setup::new(
        backend,
        &["a@x.example", "b@x.example", "c@x.example"],
        now - minutes(1),
    )
    .await;
    let claimed = s.claim(now, 10).await;
    assert_eq!(claimed.len(), 3);
    s.store()
        .save_generated(&claimed[1].send, 1, &text("Earlier"))
        .await
        .unwrap();
    let items: Vec<GeneratedFor> = claimed
        .iter()
        .zip(["A", "B", "C"])
        .map(|(c, subject)| GeneratedFor {
            campaign_lead_id: c.send.campaign_lead_id,
            step_order: 1,
            message: text(subject),
        })
        .collect();
    let stored = s.store().save_generated_many(&items).await.unwrap();
    assert_eq!(stored, vec![text("A"), text("Earlier"), text("C")]);
    assert!(s.store().save_generated_many(&[]).await.unwrap().is_empty());
}

async fn run_now_makes_scheduled_leads_due_now(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example", "b@x.example"], now + minutes(600)).await;
    assert!(s.claim(now, 10).await.is_empty());
    assert_eq!(s.store().run_now(s.ws, s.campaign, now).await.unwrap(), 2);
    let claimed = s.claim(now, 10).await;
    assert_eq!(claimed.len(), 2);
    assert!(claimed.iter().all(|c| c.due_at == now));
}

/// Two claimers at once (two daemons): every lead is claimed exactly once.
async fn concurrent_claimers_never_claim_the_same_lead(backend: TestBackend) {
    let now = base();
    let addresses: Vec<String> = (0..1_000).map(|i| format!("lead{i}@x.example")).collect();
    let refs: Vec<&str> = addresses.iter().map(String::as_str).collect();
    let s = Setup::new(backend, &refs, now - minutes(1)).await;
    let claimer = |store: Arc<dyn Store>, req: ClaimRequest| {
        tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let batch = store.claim_due(&req).await.expect("claim");
                if batch.is_empty() {
                    return mine;
                }
                mine.extend(batch.into_iter().map(|c| c.send.campaign_lead_id));
            }
        })
    };
    let req = s.request(now, 50);
    let (a, b) = (
        claimer(s.ts.store.clone(), req.clone()),
        claimer(s.ts.store.clone(), req),
    );
    let (a, b) = (a.await.unwrap(), b.await.unwrap());
    let all: HashSet<_> = a.iter().chain(&b).copied().collect();
    assert_eq!(a.len() + b.len(), 1_000, "a: {}, b: {}", a.len(), b.len());
    assert_eq!(all.len(), 1_000, "no lead claimed twice");
}

crate::on_both_backends!(
    a_claim_returns_due_leads_only_and_only_from_a_running_campaign,
    follow_ups_come_first_and_new_leads_are_capped,
    a_leased_lead_is_claimed_again_only_after_its_lease_expires,
    suppressed_and_unsubscribed_leads_are_not_claimed,
    adding_a_suppression_stops_the_active_leads_it_matches,
    the_first_stored_text_wins_and_a_re_claim_returns_it,
    a_batch_of_texts_is_stored_in_order_keeping_any_stored_first,
    a_claim_for_some_mailboxes_takes_only_their_leads,
    run_now_makes_scheduled_leads_due_now,
    concurrent_claimers_never_claim_the_same_lead,
);
