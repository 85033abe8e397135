//! The inbound half of the store: recording an inbound message with its actions exactly once,
//! what replies, auto-replies, bounces and opt-outs do to leads, IMAP checkpoints and status,
//! and the reconciliation of `unknown` sends.

use chrono::{DateTime, Utc};
use outreachd::domain::{
    BounceSeverity, ClaimedSend, Completion, ImapCheckpoint, ImapStatus, InboundAction,
    InboundOptions, InboundRecord, NextStep, OptOut, SendId, UnknownResolution, WorkspaceId,
};

use crate::dispatch_fixtures::{LEASE, Setup, base, day, message_id, minutes, running_campaign};
use crate::sql;
use crate::support::TestBackend;

fn record(s: &Setup, key: &str, actions: Vec<InboundAction>) -> InboundRecord {
    record_in(s.ws, s, key, actions)
}

fn record_in(ws: WorkspaceId, s: &Setup, key: &str, actions: Vec<InboundAction>) -> InboundRecord {
    InboundRecord {
        workspace_id: ws,
        mailbox_id: s.mailbox,
        message_id: format!("<{key}@lead.example>"),
        folder: "INBOX".into(),
        class: "reply",
        received_at: base(),
        actions,
        needs_review: None,
        judgement: None,
        reply: None,
    }
}

fn reply_to(c: &ClaimedSend) -> InboundAction {
    InboundAction::Reply {
        send_id: Some(c.send.send_id),
        email: None,
    }
}

async fn events(backend: TestBackend, s: &Setup) -> Vec<(String, i64)> {
    sql::counts(
        backend,
        &s.ts,
        "SELECT kind, count(*) FROM engagement_events GROUP BY kind ORDER BY kind",
    )
    .await
}

/// Step 1 sent to every lead, step 2 due at `due`.
async fn step_one_sent(s: &Setup, due: DateTime<Utc>) -> Vec<ClaimedSend> {
    s.send_all(
        base(),
        NextStep::At {
            step_order: 2,
            due_at: due,
        },
    )
    .await
}

async fn a_reply_stops_the_lead_once_however_often_it_is_read(backend: TestBackend) {
    let s = Setup::new(
        backend,
        &["a@x.example", "b@x.example"],
        base() - minutes(1),
    )
    .await;
    let sent = step_one_sent(&s, base() + minutes(60)).await;
    let a = sent.iter().find(|c| c.lead.email == "a@x.example").unwrap();
    let rec = record(&s, "r1", vec![reply_to(a)]);
    let first = s.store().record_inbound(&rec).await.unwrap();
    assert!(!first.duplicate);
    assert_eq!((first.matched, first.stopped), (1, 1));
    let again = s.store().record_inbound(&rec).await.unwrap();
    assert!(again.duplicate, "same Message-ID, same mailbox: {again:?}");
    assert_eq!(
        s.statuses(backend).await,
        ["Launch a@x.example replied", "Launch b@x.example active"]
    );
    assert_eq!(events(backend, &s).await, [("reply".to_owned(), 1)]);
}

async fn a_reply_by_address_finds_the_lead_of_this_mailbox(backend: TestBackend) {
    let s = Setup::new(backend, &["a@x.example"], base() - minutes(1)).await;
    step_one_sent(&s, base() + minutes(60)).await;
    let action = InboundAction::Reply {
        send_id: None,
        email: Some("A@X.example".into()),
    };
    let out = s
        .store()
        .record_inbound(&record(&s, "r2", vec![action]))
        .await
        .unwrap();
    assert_eq!(out.matched, 1);
    assert_eq!(s.statuses(backend).await, ["Launch a@x.example replied"]);
}

async fn a_reply_from_another_workspace_changes_nothing(backend: TestBackend) {
    let s = Setup::new(backend, &["a@x.example"], base() - minutes(1)).await;
    let sent = step_one_sent(&s, base() + minutes(60)).await;
    let other = crate::fixtures::workspace(s.store(), "other").await;
    let out = s
        .store()
        .record_inbound(&record_in(other, &s, "r3", vec![reply_to(&sent[0])]))
        .await
        .unwrap();
    assert_eq!(out.matched, 0);
    assert_eq!(s.statuses(backend).await, ["Launch a@x.example active"]);
}

async fn a_reply_while_the_next_step_is_claimed_stops_it_before_sending(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example"], now - minutes(1)).await;
    step_one_sent(&s, now - minutes(1)).await;
    let step2 = s.claim(now, 10).await.remove(0);
    assert_eq!(step2.step_order, 2);
    let reply = InboundAction::Reply {
        send_id: None,
        email: Some("a@x.example".into()),
    };
    s.store()
        .record_inbound(&record(&s, "r4", vec![reply]))
        .await
        .unwrap();
    let marked = s
        .store()
        .mark_sending(&step2.send, &message_id(&step2), now, LEASE)
        .await
        .unwrap();
    assert!(!marked, "a stopped lead's claim must not move to sending");
    let many = s
        .store()
        .mark_sending_many(&[(step2.send, message_id(&step2))], now, LEASE)
        .await
        .unwrap();
    assert_eq!(many, [false]);
    assert_eq!(s.statuses(backend).await, ["Launch a@x.example replied"]);
}

async fn a_reply_stops_other_campaigns_only_when_the_campaign_says_so(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example"], now - minutes(1)).await;
    let other = running_campaign(s.store(), s.ws, "Other", vec![s.mailbox], 2).await;
    s.store()
        .enroll_leads(s.ws, other, &s.leads, now + minutes(600))
        .await
        .unwrap();
    let sent = step_one_sent(&s, now + minutes(60)).await;
    s.store()
        .record_inbound(&record(&s, "r5", vec![reply_to(&sent[0])]))
        .await
        .unwrap();
    assert_eq!(
        s.statuses(backend).await,
        ["Launch a@x.example replied", "Other a@x.example active"],
        "default: a reply stops this campaign only"
    );
    sql::execute(
        backend,
        &s.ts,
        "UPDATE campaigns SET stop_other_campaigns_on_reply = true",
    )
    .await;
    sql::execute(
        backend,
        &s.ts,
        "UPDATE campaign_leads SET status = 'active' WHERE status = 'replied'",
    )
    .await;
    s.store()
        .record_inbound(&record(&s, "r6", vec![reply_to(&sent[0])]))
        .await
        .unwrap();
    assert_eq!(
        s.statuses(backend).await,
        ["Launch a@x.example replied", "Other a@x.example replied"]
    );
}

async fn an_auto_reply_pushes_the_next_step_past_the_return_date(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example"], now - minutes(1)).await;
    let sent = step_one_sent(&s, now - minutes(1)).await;
    let back = now + minutes(3 * 24 * 60);
    let action = InboundAction::AutoReply {
        send_id: Some(sent[0].send.send_id),
        email: None,
        resume_at: Some(back),
    };
    s.store()
        .record_inbound(&record(&s, "o1", vec![action]))
        .await
        .unwrap();
    assert!(
        s.claim(now, 10).await.is_empty(),
        "not due before the return"
    );
    assert_eq!(s.claim(back + minutes(1), 10).await.len(), 1);
    assert_eq!(s.statuses(backend).await, ["Launch a@x.example active"]);
    assert_eq!(events(backend, &s).await, [("auto_reply".to_owned(), 1)]);
}

fn bounce(send: Option<SendId>, email: &str, severity: BounceSeverity) -> InboundAction {
    InboundAction::Bounce {
        send_id: send,
        email: email.into(),
        severity,
        status: Some("5.1.1".into()),
        diagnostic: Some("user unknown".into()),
        soft_limit: 2,
    }
}

async fn a_hard_bounce_suppresses_and_soft_bounces_stop_at_their_limit(backend: TestBackend) {
    let s = Setup::new(
        backend,
        &["a@x.example", "b@x.example"],
        base() - minutes(1),
    )
    .await;
    let sent = step_one_sent(&s, base() + minutes(60)).await;
    let a = sent.iter().find(|c| c.lead.email == "a@x.example").unwrap();
    let out = s
        .store()
        .record_inbound(&record(
            &s,
            "d1",
            vec![bounce(
                Some(a.send.send_id),
                "a@x.example",
                BounceSeverity::Hard,
            )],
        ))
        .await
        .unwrap();
    assert_eq!(out.hard_bounces, 1);
    assert!(
        s.store()
            .is_suppressed(s.ws, &crate::fixtures::email("a@x.example"))
            .await
            .unwrap()
    );
    for key in ["d2", "d3"] {
        s.store()
            .record_inbound(&record(
                &s,
                key,
                vec![bounce(None, "b@x.example", BounceSeverity::Soft)],
            ))
            .await
            .unwrap();
    }
    assert_eq!(
        s.statuses(backend).await,
        ["Launch a@x.example bounced", "Launch b@x.example bounced"]
    );
    assert!(
        !s.store()
            .is_suppressed(s.ws, &crate::fixtures::email("b@x.example"))
            .await
            .unwrap(),
        "soft bounces never suppress"
    );
    let rate = s.store().mailbox_bounce_rate(s.mailbox, 100).await.unwrap();
    assert_eq!((rate.sends, rate.bounced), (2, 1));
}

async fn an_unsubscribe_request_stops_every_campaign_of_the_workspace(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example"], now - minutes(1)).await;
    let other = running_campaign(s.store(), s.ws, "Other", vec![s.mailbox], 2).await;
    s.store()
        .enroll_leads(s.ws, other, &s.leads, now + minutes(600))
        .await
        .unwrap();
    let sent = step_one_sent(&s, now + minutes(60)).await;
    let action = InboundAction::OptOut {
        kind: OptOut::Unsubscribe,
        send_id: Some(sent[0].send.send_id),
        email: None,
    };
    s.store()
        .record_inbound(&record(&s, "u1", vec![action]))
        .await
        .unwrap();
    assert_eq!(
        s.statuses(backend).await,
        [
            "Launch a@x.example unsubscribed",
            "Other a@x.example unsubscribed"
        ]
    );
    assert!(
        s.store()
            .is_suppressed(s.ws, &crate::fixtures::email("a@x.example"))
            .await
            .unwrap()
    );
    assert_eq!(events(backend, &s).await, [("unsubscribe".to_owned(), 1)]);
}

async fn checkpoints_status_and_options_round_trip(backend: TestBackend) {
    let s = Setup::new(backend, &["a@x.example"], base()).await;
    let store = s.store();
    assert!(store.imap_checkpoints(s.mailbox).await.unwrap().is_empty());
    for (v, uid) in [(7, 10), (7, 12), (9, 3)] {
        let cp = ImapCheckpoint {
            folder: "INBOX".into(),
            uidvalidity: v,
            last_uid: uid,
        };
        store.save_imap_checkpoint(s.mailbox, &cp).await.unwrap();
    }
    let got = store.imap_checkpoints(s.mailbox).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!((got[0].uidvalidity, got[0].last_uid), (9, 3));

    assert_eq!(store.imap_status(s.ws, s.mailbox).await.unwrap(), None);
    let failed = ImapStatus {
        status: "auth_failed".into(),
        reason: Some("[AUTHENTICATIONFAILED] Authentication failed.".into()),
    };
    store.set_imap_status(s.mailbox, &failed).await.unwrap();
    assert_eq!(
        store.imap_status(s.ws, s.mailbox).await.unwrap(),
        Some(failed)
    );
    let other = crate::fixtures::workspace(store, "other").await;
    assert_eq!(store.imap_status(other, s.mailbox).await.unwrap(), None);

    let options = InboundOptions {
        sent_folder_is_authoritative: true,
        append_sent: true,
    };
    store
        .set_inbound_options(s.ws, s.mailbox, &options)
        .await
        .unwrap();
    assert_eq!(
        store.inbound_options(s.ws, s.mailbox).await.unwrap(),
        Some(options)
    );
}

/// Step 1 of every lead ends `unknown`.
async fn unknown_step_one(s: &Setup) -> Vec<ClaimedSend> {
    let now = base();
    let claimed = s.claim(now, 10).await;
    let mut done = Vec::new();
    for c in &claimed {
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
    s.store().complete_sends(&done, now).await.unwrap();
    claimed
}

async fn an_unknown_send_found_in_sent_advances_and_a_missing_one_is_resent(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example", "b@x.example"], now - minutes(1)).await;
    let claimed = unknown_step_one(&s).await;
    let unknown = s.store().unknown_sends(s.mailbox).await.unwrap();
    assert_eq!(unknown.len(), 2);
    assert_eq!(
        s.store().mailboxes_with_unknown_sends().await.unwrap(),
        [s.mailbox]
    );
    let a = claimed
        .iter()
        .find(|c| c.lead.email == "a@x.example")
        .unwrap();
    let b = claimed
        .iter()
        .find(|c| c.lead.email == "b@x.example")
        .unwrap();
    assert!(
        unknown
            .iter()
            .any(|u| u.send_id == a.send.send_id && u.message_id == message_id(a))
    );
    let store = s.store();
    assert!(
        store
            .resolve_unknown_send(s.mailbox, a.send.send_id, UnknownResolution::Sent, now)
            .await
            .unwrap()
    );
    assert!(
        !store
            .resolve_unknown_send(s.mailbox, a.send.send_id, UnknownResolution::Sent, now)
            .await
            .unwrap(),
        "only an unknown send is resolved"
    );
    let campaign = store
        .campaign_by_id(s.ws, s.campaign)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        campaign.emails_sent, 1,
        "a send found in the Sent folder counts as sent, once"
    );
    assert!(
        store
            .resolve_unknown_send(
                s.mailbox,
                b.send.send_id,
                UnknownResolution::Resend { at: now },
                now
            )
            .await
            .unwrap()
    );
    assert!(store.unknown_sends(s.mailbox).await.unwrap().is_empty());
    assert!(
        store
            .mailboxes_with_unknown_sends()
            .await
            .unwrap()
            .is_empty()
    );
    let due = s.claim(now + minutes(1), 10).await;
    let got: Vec<(&str, u32)> = due
        .iter()
        .map(|c| (c.lead.email.as_str(), c.step_order))
        .collect();
    assert_eq!(got, [("b@x.example", 1)], "b is sent again at once");
    // a's step 2 is due a step delay (3 days) after its recorded send.
    let later = s.claim(now + minutes(3 * 24 * 60 + 10), 10).await;
    assert!(
        later
            .iter()
            .any(|c| c.lead.email == "a@x.example" && c.step_order == 2),
        "{later:?}"
    );
}

crate::on_both_backends!(
    a_reply_stops_the_lead_once_however_often_it_is_read,
    a_reply_by_address_finds_the_lead_of_this_mailbox,
    a_reply_from_another_workspace_changes_nothing,
    a_reply_while_the_next_step_is_claimed_stops_it_before_sending,
    a_reply_stops_other_campaigns_only_when_the_campaign_says_so,
    an_auto_reply_pushes_the_next_step_past_the_return_date,
    a_hard_bounce_suppresses_and_soft_bounces_stop_at_their_limit,
    an_unsubscribe_request_stops_every_campaign_of_the_workspace,
    checkpoints_status_and_options_round_trip,
    an_unknown_send_found_in_sent_advances_and_a_missing_one_is_resent,
);
