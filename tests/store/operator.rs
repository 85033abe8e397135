//! The `Operator` role: pausing and resuming mailboxes, the day count, listing and resolving
//! `unknown` sends, each scoped by workspace.

use chrono::{DateTime, Utc};
use outreachd::domain::{
    CampaignLeadStatus, ClaimedSend, Completion, MailboxStateChange, MailboxStatus, NextStep,
};
use outreachd::store::{StoreError, UnknownFilter};

use crate::dispatch_fixtures::{
    LEASE, Setup, base, day, generated, message_id, minutes, running_campaign,
};
use crate::fixtures::{leads, mailbox, workspace};
use crate::support::TestBackend;

/// Step 1 of every due lead is claimed, its text stored, marked and ends `unknown` at `now`.
async fn unknown_step_one(s: &Setup, now: DateTime<Utc>) -> Vec<ClaimedSend> {
    let claimed = s.claim(now, 10).await;
    let mut done = Vec::new();
    for c in &claimed {
        let subject = format!("Hello {}", c.lead.email);
        s.store()
            .save_generated(&c.send, 1, &generated(&subject))
            .await
            .unwrap();
        assert!(
            s.store()
                .mark_sending(&c.send, &message_id(c), now, LEASE)
                .await
                .unwrap()
        );
        done.push(Completion::Unknown {
            send: c.send,
            message_id: message_id(c),
            reason: "connection lost after the final dot".into(),
            count_date: day(now),
        });
    }
    let report = s.store().complete_sends(&done, now).await.unwrap();
    assert_eq!(report.applied as usize, claimed.len());
    claimed
}

async fn a_paused_mailbox_resumes_with_its_reason_and_cooldown_cleared(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example"], now).await;
    let store = s.store();
    let cooling = MailboxStateChange {
        status: MailboxStatus::Cooling,
        reason: Some("421 too many connections".into()),
        cooling_until: Some(now + minutes(30)),
    };
    store.set_mailbox_state(s.mailbox, &cooling).await.unwrap();

    store
        .set_mailbox_paused(s.ws, s.mailbox, "bounce storm", now)
        .await
        .unwrap();
    let m = store.mailbox_by_id(s.ws, s.mailbox).await.unwrap().unwrap();
    assert_eq!(
        (m.status, m.status_reason.as_deref(), m.cooling_until),
        (MailboxStatus::Paused, Some("bounce storm"), None)
    );

    store.set_mailbox_state(s.mailbox, &cooling).await.unwrap();
    store
        .set_mailbox_active(s.ws, s.mailbox, now + minutes(1))
        .await
        .unwrap();
    let m = store.mailbox_by_id(s.ws, s.mailbox).await.unwrap().unwrap();
    assert_eq!(
        (m.status, m.status_reason, m.cooling_until),
        (MailboxStatus::Active, None, None)
    );
    assert_eq!(
        m.updated_at,
        now + minutes(1),
        "the supervisor sees the change"
    );
}

/// An actor's throttling reply can race an operator's pause: the pause must hold, or the
/// mailbox would send again when the cooldown ends.
async fn an_actors_cooldown_does_not_lift_an_operators_pause(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example"], now).await;
    let store = s.store();
    store
        .set_mailbox_paused(s.ws, s.mailbox, "checking DNS", now)
        .await
        .unwrap();

    let cooling = MailboxStateChange {
        status: MailboxStatus::Cooling,
        reason: Some("421 4.7.0 try again later".into()),
        cooling_until: Some(now + minutes(30)),
    };
    store.set_mailbox_state(s.mailbox, &cooling).await.unwrap();
    let active = MailboxStateChange {
        status: MailboxStatus::Active,
        reason: None,
        cooling_until: None,
    };
    store.set_mailbox_state(s.mailbox, &active).await.unwrap();

    let m = store.mailbox_by_id(s.ws, s.mailbox).await.unwrap().unwrap();
    assert_eq!(
        (m.status, m.status_reason.as_deref(), m.cooling_until),
        (MailboxStatus::Paused, Some("checking DNS"), None)
    );
}

async fn another_workspace_cannot_pause_or_resume_a_mailbox(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example"], now).await;
    let store = s.store();
    let other = workspace(store, "other").await;
    let paused = store
        .set_mailbox_paused(other, s.mailbox, "not yours", now)
        .await;
    assert!(
        matches!(paused, Err(StoreError::NotFound { .. })),
        "{paused:?}"
    );
    let resumed = store.set_mailbox_active(other, s.mailbox, now).await;
    assert!(
        matches!(resumed, Err(StoreError::NotFound { .. })),
        "{resumed:?}"
    );
    let m = store.mailbox_by_id(s.ws, s.mailbox).await.unwrap().unwrap();
    assert_eq!(m.status, MailboxStatus::Active);
}

async fn the_day_count_includes_unknown_sends_and_is_read_within_the_workspace(
    backend: TestBackend,
) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example", "b@x.example"], now - minutes(1)).await;
    unknown_step_one(&s, now).await;
    let store = s.store();
    assert_eq!(
        store
            .mailbox_sent_on(s.ws, s.mailbox, day(now))
            .await
            .unwrap(),
        2
    );
    let other = workspace(store, "other").await;
    assert_eq!(
        store
            .mailbox_sent_on(other, s.mailbox, day(now))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .mailbox_sent_on(s.ws, s.mailbox, day(now) - chrono::TimeDelta::days(1))
            .await
            .unwrap(),
        0
    );
}

async fn unknown_sends_are_listed_by_workspace_campaign_and_age(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example"], now - minutes(10)).await;
    let store = s.store();
    let a = unknown_step_one(&s, now - minutes(5)).await;
    let second = running_campaign(store, s.ws, "Second", vec![s.mailbox], 2).await;
    let b = leads(store, s.ws, &["b@x.example"]).await;
    store
        .enroll_leads(s.ws, second, &b, now - minutes(1))
        .await
        .unwrap();
    let claimed = store
        .claim_due(&outreachd::domain::ClaimRequest {
            campaign_id: second,
            ..s.request(now, 10)
        })
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert!(
        store
            .mark_sending(&claimed[0].send, &message_id(&claimed[0]), now, LEASE)
            .await
            .unwrap()
    );
    // The lease runs out while sending: the supervisor's expiry makes it unknown.
    let expired = store.expire_leases(now + LEASE + minutes(1)).await.unwrap();
    assert_eq!(expired.unknown, 1);

    let all = store
        .unknown_sends_in(s.ws, &UnknownFilter::default())
        .await
        .unwrap();
    let got: Vec<(&str, &str, u32)> = all
        .iter()
        .map(|u| (u.campaign.as_str(), u.lead_email.as_str(), u.step_order))
        .collect();
    assert_eq!(
        got,
        [("Launch", "a@x.example", 1), ("Second", "b@x.example", 1)],
        "oldest first"
    );
    assert_eq!(all[0].send_id, a[0].send.send_id);
    assert_eq!(
        all[0].message_id.as_deref(),
        Some(message_id(&a[0]).as_str())
    );
    assert_eq!(all[0].mailbox.as_deref(), Some("sender@example.com"));
    assert_eq!(all[0].sent_at, Some(now - minutes(5)));

    let of_second = UnknownFilter {
        campaign: Some(second),
        before: None,
    };
    let listed = store.unknown_sends_in(s.ws, &of_second).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].lead_email, "b@x.example");

    let older = UnknownFilter {
        campaign: None,
        before: Some(now),
    };
    let listed = store.unknown_sends_in(s.ws, &older).await.unwrap();
    assert_eq!(listed.len(), 1, "only the send unknown since before now");
    assert_eq!(listed[0].lead_email, "a@x.example");

    let other = workspace(store, "other").await;
    assert!(
        store
            .unknown_sends_in(other, &UnknownFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
}

async fn resolving_as_sent_moves_the_lead_to_the_given_step_once(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example", "b@x.example"], now - minutes(1)).await;
    let claimed = unknown_step_one(&s, now).await;
    let store = s.store();
    let (a, b) = (&claimed[0], &claimed[1]);
    let next = NextStep::At {
        step_order: 2,
        due_at: now + minutes(90),
    };
    assert!(
        store
            .resolve_unknown_as_sent(s.ws, a.send.send_id, next, now + minutes(2))
            .await
            .unwrap()
    );
    assert!(
        !store
            .resolve_unknown_as_sent(s.ws, a.send.send_id, next, now + minutes(2))
            .await
            .unwrap(),
        "only an unknown send is resolved"
    );
    assert!(
        store
            .resolve_unknown_as_sent(s.ws, b.send.send_id, NextStep::Done, now + minutes(2))
            .await
            .unwrap()
    );
    let lead_a = store
        .enrolment_state(s.ws, s.campaign, a.lead.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (
            lead_a.status,
            lead_a.current_step_order,
            lead_a.next_scheduled_at
        ),
        (CampaignLeadStatus::Active, 2, Some(now + minutes(90)))
    );
    let lead_b = store
        .enrolment_state(s.ws, s.campaign, b.lead.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(lead_b.status, CampaignLeadStatus::Completed);
    assert!(
        store
            .unknown_sends_in(s.ws, &UnknownFilter::default())
            .await
            .unwrap()
            .is_empty()
    );
    let campaign = store
        .campaign_by_id(s.ws, s.campaign)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(campaign.emails_sent, 2);
    assert_eq!(
        store
            .mailbox_sent_on(s.ws, s.mailbox, day(now))
            .await
            .unwrap(),
        2,
        "the day count grew once, when the sends became unknown"
    );

    let follow_up = s.claim(now + minutes(91), 10).await;
    assert_eq!(follow_up.len(), 1);
    assert_eq!(
        (follow_up[0].lead.email.as_str(), follow_up[0].step_order),
        ("a@x.example", 2)
    );
    let thread = follow_up[0]
        .thread
        .as_ref()
        .expect("step 1 started the thread");
    assert_eq!(thread.message_id, message_id(a));
    assert_eq!(thread.first_subject, "Hello a@x.example");
}

async fn resolving_as_resend_sends_the_same_row_and_text_again(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example"], now - minutes(1)).await;
    let claimed = unknown_step_one(&s, now).await;
    let store = s.store();
    assert!(s.claim(now + minutes(1), 10).await.is_empty(), "parked");
    assert!(
        store
            .resolve_unknown_as_resend(s.ws, claimed[0].send.send_id, now + minutes(2))
            .await
            .unwrap()
    );
    assert!(
        !store
            .resolve_unknown_as_resend(s.ws, claimed[0].send.send_id, now + minutes(2))
            .await
            .unwrap()
    );
    let again = s.claim(now + minutes(2), 10).await;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].step_order, 1);
    assert_eq!(
        again[0].send.send_id, claimed[0].send.send_id,
        "same row, so the same Message-ID"
    );
    assert_eq!(
        again[0].generated.as_ref().map(|g| g.subject.as_str()),
        Some("Hello a@x.example")
    );
}

async fn another_workspace_cannot_resolve_a_send(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example"], now - minutes(1)).await;
    let claimed = unknown_step_one(&s, now).await;
    let store = s.store();
    let other = workspace(store, "other").await;
    mailbox(store, other, "o@example.com").await;
    let send = claimed[0].send.send_id;
    assert!(
        !store
            .resolve_unknown_as_sent(other, send, NextStep::Done, now)
            .await
            .unwrap()
    );
    assert!(
        !store
            .resolve_unknown_as_resend(other, send, now)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .unknown_sends_in(s.ws, &UnknownFilter::default())
            .await
            .unwrap()
            .len(),
        1
    );
}

crate::on_both_backends!(
    a_paused_mailbox_resumes_with_its_reason_and_cooldown_cleared,
    an_actors_cooldown_does_not_lift_an_operators_pause,
    another_workspace_cannot_pause_or_resume_a_mailbox,
    the_day_count_includes_unknown_sends_and_is_read_within_the_workspace,
    unknown_sends_are_listed_by_workspace_campaign_and_age,
    resolving_as_sent_moves_the_lead_to_the_given_step_once,
    resolving_as_resend_sends_the_same_row_and_text_again,
    another_workspace_cannot_resolve_a_send,
);
