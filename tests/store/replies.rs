//! Lead replies and their answers: kept once when a reply stops its lead, read with the thread
//! they answer, moved only along their states, claimed and marked `sending` once, completed
//! under the mark's token, and `unknown` past their lease. Another workspace sees nothing.

use chrono::NaiveDate;
use outreachd::domain::{
    ClaimedSend, InboundAction, InboundRecord, LeadReplyId, NextStep, ReplyContent, ReplyFilter,
    ReplySendOutcome, ReplyStatus,
};
use outreachd::store::{ReplyDecision, StoreError};

use crate::dispatch_fixtures::{LEASE, Setup, base, generated, message_id, minutes, sent};
use crate::support::TestBackend;

fn reply_record(s: &Setup, c: &ClaimedSend, key: &str) -> InboundRecord {
    InboundRecord {
        workspace_id: s.ws,
        mailbox_id: s.mailbox,
        message_id: format!("<{key}@lead.example>"),
        folder: "INBOX".into(),
        class: "reply",
        received_at: base(),
        actions: vec![InboundAction::Reply {
            send_id: Some(c.send.send_id),
            email: None,
        }],
        needs_review: None,
        judgement: None,
        reply: Some(ReplyContent {
            message_id: format!("<{key}@lead.example>"),
            subject: "Re: Launch".into(),
            text: "What does it cost?".into(),
        }),
    }
}

/// One lead, its step 1 stored and sent, and its reply recorded: the kept reply's id and the
/// recorded message.
async fn replied(backend: TestBackend) -> (Setup, LeadReplyId, InboundRecord) {
    let s = Setup::new(backend, &["a@x.example"], base() - minutes(1)).await;
    let claimed = s.claim(base(), 10).await;
    let c = &claimed[0];
    s.store()
        .save_generated(&c.send, 1, &generated("Launch"))
        .await
        .unwrap();
    assert!(
        s.store()
            .mark_sending(&c.send, &message_id(c), base(), LEASE)
            .await
            .unwrap()
    );
    let next = NextStep::At {
        step_order: 2,
        due_at: base() + minutes(60),
    };
    let report = s
        .store()
        .complete_sends(&[sent(c, base(), next)], base())
        .await
        .unwrap();
    assert_eq!(report.applied, 1);
    let record = reply_record(&s, c, "r1");
    let out = s.store().record_inbound(&record).await.unwrap();
    let id = out.reply.expect("a reply that stops its lead is kept");
    (s, id, record)
}

fn all() -> ReplyFilter {
    ReplyFilter {
        limit: 100,
        ..ReplyFilter::default()
    }
}

async fn a_reply_that_stops_its_lead_is_kept_once_with_its_words(backend: TestBackend) {
    let (s, id, record) = replied(backend).await;
    let listed = s.store().list_replies(s.ws, &all()).await.unwrap();
    assert_eq!(listed.len(), 1);
    let r = &listed[0];
    assert_eq!(r.id, id);
    assert_eq!(r.status, ReplyStatus::Pending);
    assert_eq!(
        (r.body.as_str(), r.subject.as_str(), r.lead_email.as_str()),
        ("What does it cost?", "Re: Launch", "a@x.example")
    );
    assert_eq!(r.mailbox, "sender@example.com");
    let claimed_again = s.store().record_inbound(&record).await.unwrap();
    assert!(claimed_again.duplicate && claimed_again.reply.is_none());
    assert_eq!(s.store().list_replies(s.ws, &all()).await.unwrap().len(), 1);
    assert_eq!(s.store().pending_replies(10).await.unwrap(), [id]);
}

async fn drafting_reads_the_thread_the_lead_and_the_goal(backend: TestBackend) {
    let (s, id, _) = replied(backend).await;
    let inputs = s.store().draft_inputs(id).await.unwrap().unwrap();
    assert_eq!(inputs.reply.id, id);
    assert_eq!(inputs.thread.len(), 1, "{:?}", inputs.thread);
    assert_eq!(inputs.thread[0].subject, "Launch");
    assert_eq!(inputs.thread[0].body, "Launch body");
}

async fn another_workspace_sees_no_reply_and_cannot_move_it(backend: TestBackend) {
    let (s, id, _) = replied(backend).await;
    let other = crate::fixtures::workspace(s.store(), "other").await;
    assert!(
        s.store()
            .list_replies(other, &all())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(s.store().reply_by_id(other, id).await.unwrap().is_none());
    let moved = s
        .store()
        .decide_reply(other, id, ReplyDecision::Discard, "cli", base())
        .await;
    assert!(
        matches!(moved, Err(StoreError::NotFound { .. })),
        "{moved:?}"
    );
    let edited = s
        .store()
        .edit_reply(other, id, "Re: x", "y", "cli", base())
        .await;
    assert!(
        matches!(edited, Err(StoreError::NotFound { .. })),
        "{edited:?}"
    );
}

async fn an_answer_moves_only_along_its_states_and_is_sent_once(backend: TestBackend) {
    let (s, id, _) = replied(backend).await;
    let store = s.store();
    let approve = |at| store.decide_reply(s.ws, id, ReplyDecision::Approve, "cli", at);
    assert!(matches!(
        approve(base()).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        store
            .save_draft(id, "Re: Launch", "It costs 10.", "openai", "m", base())
            .await
            .unwrap()
    );
    assert!(
        !store
            .save_draft(id, "Re: Launch", "Again", "openai", "m", base())
            .await
            .unwrap()
    );
    store
        .edit_reply(s.ws, id, "Re: Launch", "It costs 12.", "user:1", base())
        .await
        .unwrap();
    approve(base()).await.unwrap();
    let edited = store
        .edit_reply(s.ws, id, "Re: Launch", "x", "cli", base())
        .await;
    assert!(matches!(edited, Err(StoreError::Conflict(_))), "{edited:?}");

    let jobs = store
        .claim_reply_sends(base(), base() + minutes(15), 10)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    let job = &jobs[0];
    assert_eq!(
        (job.subject.as_str(), job.body.as_str()),
        ("Re: Launch", "It costs 12.")
    );
    assert_eq!(job.in_reply_to, "<r1@lead.example>");
    assert_eq!(job.lead_email, "a@x.example");
    assert!(job.thread_message_id.is_some(), "step 1 started the thread");
    assert!(
        store
            .claim_reply_sends(base(), base() + minutes(15), 10)
            .await
            .unwrap()
            .is_empty(),
        "a claimed answer is not offered again while held"
    );

    let token = uuid::Uuid::now_v7();
    let at = base() + minutes(1);
    assert!(
        store
            .mark_reply_sending(id, token, "<a1@example.com>", at + LEASE, at)
            .await
            .unwrap()
    );
    assert!(
        !store
            .mark_reply_sending(id, uuid::Uuid::now_v7(), "<a2@example.com>", at + LEASE, at)
            .await
            .unwrap(),
        "marked once"
    );
    let discard = store
        .decide_reply(s.ws, id, ReplyDecision::Discard, "cli", at)
        .await;
    assert!(
        matches!(discard, Err(StoreError::Conflict(_))),
        "{discard:?}"
    );
    let date = NaiveDate::from_ymd_opt(2030, 1, 2).unwrap();
    let sent = ReplySendOutcome::Sent {
        message_id: "<a1@example.com>".into(),
        count_date: date,
    };
    assert!(
        !store
            .complete_reply_send(id, uuid::Uuid::now_v7(), &sent, at)
            .await
            .unwrap()
    );
    assert!(
        store
            .complete_reply_send(id, token, &sent, at)
            .await
            .unwrap()
    );
    let r = store.reply_by_id(s.ws, id).await.unwrap().unwrap();
    assert_eq!(r.status, ReplyStatus::Sent);
    assert_eq!(r.sent_message_id.as_deref(), Some("<a1@example.com>"));
    assert!(
        matches!(approve(at).await, Err(StoreError::Conflict(_))),
        "a sent answer"
    );
    let usage = store
        .mailbox_usage(s.mailbox, date, at - minutes(5))
        .await
        .unwrap();
    assert_eq!(
        usage.sent_today, 1,
        "the answer counts on its mailbox's day"
    );
    assert!(usage.last_hour.contains(&at), "{:?}", usage.last_hour);
}

async fn a_sending_answer_past_its_lease_becomes_unknown_and_is_not_offered_again(
    backend: TestBackend,
) {
    let (s, id, _) = replied(backend).await;
    let store = s.store();
    store
        .edit_reply(s.ws, id, "Re: Launch", "Yes.", "cli", base())
        .await
        .unwrap();
    store
        .decide_reply(s.ws, id, ReplyDecision::Approve, "cli", base())
        .await
        .unwrap();
    let token = uuid::Uuid::now_v7();
    assert!(
        store
            .mark_reply_sending(id, token, "<a1@example.com>", base() + LEASE, base())
            .await
            .unwrap()
    );
    assert_eq!(
        store.expire_reply_sends(base()).await.unwrap(),
        0,
        "lease not over"
    );
    let later = base() + LEASE + minutes(1);
    assert_eq!(store.expire_reply_sends(later).await.unwrap(), 1);
    let r = store.reply_by_id(s.ws, id).await.unwrap().unwrap();
    assert_eq!(r.status, ReplyStatus::Unknown);
    assert!(
        store
            .claim_reply_sends(later, later + minutes(15), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let sent = ReplySendOutcome::Sent {
        message_id: "<a1@example.com>".into(),
        count_date: NaiveDate::from_ymd_opt(2030, 1, 2).unwrap(),
    };
    assert!(
        !store
            .complete_reply_send(id, token, &sent, later)
            .await
            .unwrap(),
        "a stalled sender cannot write over the expiry"
    );
}

async fn discarding_an_approved_answer_keeps_it_from_being_sent(backend: TestBackend) {
    let (s, id, _) = replied(backend).await;
    let store = s.store();
    store
        .edit_reply(s.ws, id, "Re: Launch", "Yes.", "cli", base())
        .await
        .unwrap();
    store
        .decide_reply(s.ws, id, ReplyDecision::Approve, "cli", base())
        .await
        .unwrap();
    let jobs = store
        .claim_reply_sends(base(), base() + minutes(15), 10)
        .await
        .unwrap();
    assert_eq!(jobs.len(), 1);
    store
        .decide_reply(s.ws, id, ReplyDecision::Discard, "cli", base())
        .await
        .unwrap();
    let marked = store
        .mark_reply_sending(
            id,
            uuid::Uuid::now_v7(),
            "<a1@example.com>",
            base() + LEASE,
            base(),
        )
        .await
        .unwrap();
    assert!(!marked, "a discarded answer is never marked");
    let filter = ReplyFilter {
        status: Some(ReplyStatus::Discarded),
        campaign: Some(s.campaign),
        ..all()
    };
    assert_eq!(store.list_replies(s.ws, &filter).await.unwrap().len(), 1);
}

async fn a_campaign_that_auto_sends_replies_approves_its_drafts(backend: TestBackend) {
    let (s, id, _) = replied(backend).await;
    crate::sql::execute(
        backend,
        &s.ts,
        "UPDATE campaigns SET auto_send_replies = true",
    )
    .await;
    let store = s.store();
    assert!(
        store
            .save_draft(id, "Re: Launch", "Yes.", "openai", "m", base())
            .await
            .unwrap()
    );
    let r = store.reply_by_id(s.ws, id).await.unwrap().unwrap();
    assert_eq!(r.status, ReplyStatus::Approved);
    assert_eq!(r.decided_by.as_deref(), Some("auto"));
    assert_eq!(
        store
            .claim_reply_sends(base(), base() + minutes(15), 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

crate::on_both_backends!(
    a_campaign_that_auto_sends_replies_approves_its_drafts,
    a_reply_that_stops_its_lead_is_kept_once_with_its_words,
    drafting_reads_the_thread_the_lead_and_the_goal,
    another_workspace_sees_no_reply_and_cannot_move_it,
    an_answer_moves_only_along_its_states_and_is_sent_once,
    a_sending_answer_past_its_lease_becomes_unknown_and_is_not_offered_again,
    discarding_an_approved_answer_keeps_it_from_being_sent,
);
