//! Messages that need review: the poller's record pauses the lead and lists the message; each
//! resolution (through `service::reviews`, as the CLI and the API call it) applies its reading
//! once; a refusal of our sender pauses the mailbox and spares the lead.

use outreachd::domain::{
    InboundAction, InboundRecord, MailboxStatus, NextStep, ReviewFilter, ReviewResolution,
    ReviewStatus, WorkspaceId,
};
use outreachd::imap::actions_for;
use outreachd::imap::classify::{
    BounceCause, BounceKind, BounceRecipient, Classification, Confidence, Evidence, Judgement,
    ReviewReason,
};
use outreachd::service::reviews::{self, ReviewError};

use crate::dispatch_fixtures::{Setup, base, minutes};
use crate::sql;
use crate::support::TestBackend;

const SOFT_LIMIT: u32 = 3;

fn address(e: &str) -> outreachd::domain::EmailAddress {
    outreachd::domain::EmailAddress::parse(e).unwrap()
}

fn unsure(classification: Classification, reason: ReviewReason) -> Judgement {
    Judgement {
        classification,
        confidence: Confidence::Low,
        needs_review: Some(reason),
        evidence: vec![Evidence {
            rule: "opt_out_words".into(),
            at: "body line 1".into(),
            text: "please take me off".into(),
        }],
    }
}

/// A reply from `email` that may be an opt-out.
fn maybe_opt_out(email: &str) -> Judgement {
    let c = Classification::Reply {
        send_id: None,
        lead_email: Some(address(email)),
    };
    unsure(c, ReviewReason::UnsubscribeOrReply)
}

/// A bounce for `email` that may be hard or soft.
fn maybe_hard(email: &str) -> Judgement {
    let c = Classification::Bounce {
        send_id: None,
        recipients: vec![BounceRecipient {
            email: address(email),
            status: Some("5.0.0".into()),
            kind: BounceKind::Soft,
            cause: BounceCause::Unknown,
            diagnostic: Some("550 mailbox unavailable".into()),
            needs_review: true,
        }],
    };
    unsure(c, ReviewReason::HardOrSoft)
}

/// The record the poller makes of a message judged `j`.
fn recorded(ws: WorkspaceId, s: &Setup, key: &str, j: &Judgement) -> InboundRecord {
    InboundRecord {
        workspace_id: ws,
        mailbox_id: s.mailbox,
        message_id: format!("<{key}@lead.example>"),
        folder: "INBOX".into(),
        class: "reply",
        received_at: base(),
        actions: actions_for(j, SOFT_LIMIT),
        needs_review: j.needs_review,
        judgement: serde_json::to_value(j).ok(),
        reply: None,
    }
}

async fn sent(backend: TestBackend, leads: &[&str]) -> Setup {
    let s = Setup::new(backend, leads, base() - minutes(1)).await;
    s.send_all(
        base(),
        NextStep::At {
            step_order: 2,
            due_at: base() + minutes(60),
        },
    )
    .await;
    s
}

fn open() -> ReviewFilter {
    ReviewFilter {
        status: Some(ReviewStatus::Open),
        after: None,
        limit: 100,
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

async fn suppressed(s: &Setup, email: &str) -> bool {
    s.store()
        .suppression_by_value(s.ws, email)
        .await
        .unwrap()
        .is_some()
}

async fn an_unsure_reply_pauses_the_lead_and_is_listed(backend: TestBackend) {
    let s = sent(backend, &["a@x.example"]).await;
    let j = maybe_opt_out("a@x.example");
    let out = s
        .store()
        .record_inbound(&recorded(s.ws, &s, "m1", &j))
        .await
        .unwrap();
    assert_eq!((out.matched, out.paused_for_review, out.stopped), (1, 1, 0));
    assert_eq!(s.statuses(backend).await, ["Launch a@x.example paused"]);
    assert!(s.claim(base() + minutes(61), 10).await.is_empty());
    assert!(!suppressed(&s, "a@x.example").await);
    assert_eq!(events(backend, &s).await, [("needs_review".to_owned(), 1)]);
    let list = reviews::list(s.store(), s.ws, &open()).await.unwrap();
    assert_eq!(list.len(), 1);
    let r = &list[0];
    assert_eq!(r.reason, "unsubscribe_or_reply");
    assert_eq!(r.lead_email.as_deref(), Some("a@x.example"));
    assert_eq!(r.mailbox, "sender@example.com");
    assert_eq!(r.classification["class"], "reply");
    assert_eq!(r.evidence.len(), 1);
    assert_eq!(r.status, ReviewStatus::Open);
}

async fn a_review_resolved_as_reply_stops_the_lead_once(backend: TestBackend) {
    let s = sent(backend, &["a@x.example"]).await;
    let j = maybe_opt_out("a@x.example");
    s.store()
        .record_inbound(&recorded(s.ws, &s, "m1", &j))
        .await
        .unwrap();
    let id = reviews::list(s.store(), s.ws, &open()).await.unwrap()[0].id;
    let (review, _) = reviews::resolve(
        s.store(),
        s.ws,
        id,
        ReviewResolution::Reply,
        "cli",
        SOFT_LIMIT,
    )
    .await
    .unwrap();
    assert_eq!(review.status, ReviewStatus::Resolved);
    assert_eq!(review.resolution, Some(ReviewResolution::Reply));
    assert_eq!(review.resolved_by.as_deref(), Some("cli"));
    assert!(review.reviewed_at.is_some());
    assert_eq!(s.statuses(backend).await, ["Launch a@x.example replied"]);
    let again = reviews::resolve(
        s.store(),
        s.ws,
        id,
        ReviewResolution::Dismiss,
        "cli",
        SOFT_LIMIT,
    )
    .await;
    assert!(matches!(again, Err(ReviewError::Resolved(_))), "{again:?}");
    assert!(
        reviews::list(s.store(), s.ws, &open())
            .await
            .unwrap()
            .is_empty()
    );
    let resolved = ReviewFilter {
        status: Some(ReviewStatus::Resolved),
        ..open()
    };
    assert_eq!(
        reviews::list(s.store(), s.ws, &resolved)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn a_review_resolved_as_unsubscribe_suppresses_the_address(backend: TestBackend) {
    let s = sent(backend, &["a@x.example"]).await;
    let j = maybe_opt_out("a@x.example");
    s.store()
        .record_inbound(&recorded(s.ws, &s, "m1", &j))
        .await
        .unwrap();
    let id = reviews::list(s.store(), s.ws, &open()).await.unwrap()[0].id;
    reviews::resolve(
        s.store(),
        s.ws,
        id,
        ReviewResolution::Unsubscribe,
        "cli",
        SOFT_LIMIT,
    )
    .await
    .unwrap();
    assert_eq!(
        s.statuses(backend).await,
        ["Launch a@x.example unsubscribed"]
    );
    assert!(suppressed(&s, "a@x.example").await);
}

async fn a_bounce_review_resolved_hard_suppresses_and_soft_resumes(backend: TestBackend) {
    let s = sent(backend, &["a@x.example", "b@x.example"]).await;
    for (key, email) in [("m1", "a@x.example"), ("m2", "b@x.example")] {
        let out = s
            .store()
            .record_inbound(&recorded(s.ws, &s, key, &maybe_hard(email)))
            .await
            .unwrap();
        assert_eq!(out.paused_for_review, 1);
    }
    let list = reviews::list(s.store(), s.ws, &open()).await.unwrap();
    let id_of = |email: &str| {
        list.iter()
            .find(|r| r.lead_email.as_deref() == Some(email))
            .unwrap()
            .id
    };
    let wrong = reviews::resolve(
        s.store(),
        s.ws,
        id_of("a@x.example"),
        ReviewResolution::Reply,
        "cli",
        SOFT_LIMIT,
    )
    .await;
    assert!(
        matches!(wrong, Err(ReviewError::WrongReading { .. })),
        "{wrong:?}"
    );
    for (email, resolution) in [
        ("a@x.example", ReviewResolution::Hard),
        ("b@x.example", ReviewResolution::Soft),
    ] {
        reviews::resolve(s.store(), s.ws, id_of(email), resolution, "cli", SOFT_LIMIT)
            .await
            .unwrap();
    }
    assert_eq!(
        s.statuses(backend).await,
        ["Launch a@x.example bounced", "Launch b@x.example active"]
    );
    assert!(suppressed(&s, "a@x.example").await);
    assert!(!suppressed(&s, "b@x.example").await);
    assert_eq!(
        events(backend, &s).await,
        [
            ("bounce_hard".to_owned(), 1),
            ("bounce_soft".to_owned(), 1),
            ("needs_review".to_owned(), 2),
        ]
    );
    let due = s.claim(base() + minutes(61), 10).await;
    assert_eq!(due.len(), 1, "the soft-bounced lead is due again");
}

async fn a_dismissed_review_makes_the_lead_active_with_nothing_else(backend: TestBackend) {
    let s = sent(backend, &["a@x.example"]).await;
    s.store()
        .record_inbound(&recorded(s.ws, &s, "m1", &maybe_opt_out("a@x.example")))
        .await
        .unwrap();
    let id = reviews::list(s.store(), s.ws, &open()).await.unwrap()[0].id;
    reviews::resolve(
        s.store(),
        s.ws,
        id,
        ReviewResolution::Dismiss,
        "cli",
        SOFT_LIMIT,
    )
    .await
    .unwrap();
    assert_eq!(s.statuses(backend).await, ["Launch a@x.example active"]);
    assert_eq!(events(backend, &s).await, [("needs_review".to_owned(), 1)]);
    assert_eq!(s.claim(base() + minutes(61), 10).await.len(), 1);
}

async fn another_workspace_neither_sees_nor_resolves_a_review(backend: TestBackend) {
    let s = sent(backend, &["a@x.example"]).await;
    s.store()
        .record_inbound(&recorded(s.ws, &s, "m1", &maybe_opt_out("a@x.example")))
        .await
        .unwrap();
    let id = reviews::list(s.store(), s.ws, &open()).await.unwrap()[0].id;
    let other = crate::fixtures::workspace(s.store(), "other").await;
    assert!(
        reviews::list(s.store(), other, &open())
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        reviews::get(s.store(), other, id).await,
        Err(ReviewError::NotFound(_))
    ));
    let resolved = reviews::resolve(
        s.store(),
        other,
        id,
        ReviewResolution::Unsubscribe,
        "cli",
        SOFT_LIMIT,
    )
    .await;
    assert!(
        matches!(resolved, Err(ReviewError::NotFound(_))),
        "{resolved:?}"
    );
    assert_eq!(s.statuses(backend).await, ["Launch a@x.example paused"]);
}

async fn a_refusal_of_our_sender_pauses_the_mailbox_and_spares_the_lead(backend: TestBackend) {
    let s = sent(backend, &["a@x.example"]).await;
    let action = InboundAction::SenderBounce {
        send_id: None,
        email: "a@x.example".into(),
        status: Some("5.7.26".into()),
        diagnostic: Some("550 5.7.26 unauthenticated mail is prohibited (DMARC)".into()),
    };
    let rec = InboundRecord {
        actions: vec![action],
        needs_review: None,
        judgement: None,
        reply: None,
        ..recorded(s.ws, &s, "m1", &maybe_opt_out("a@x.example"))
    };
    let out = s.store().record_inbound(&rec).await.unwrap();
    assert!(out.mailbox_paused);
    assert_eq!(s.statuses(backend).await, ["Launch a@x.example active"]);
    assert!(!suppressed(&s, "a@x.example").await);
    assert_eq!(events(backend, &s).await, [("bounce_sender".to_owned(), 1)]);
    let mailbox = s
        .store()
        .mailbox_by_id(s.ws, s.mailbox)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mailbox.status, MailboxStatus::Paused);
    let reason = mailbox.status_reason.unwrap_or_default();
    assert!(reason.contains("DMARC"), "{reason}");
    assert!(
        reviews::list(s.store(), s.ws, &open())
            .await
            .unwrap()
            .is_empty()
    );
}

crate::on_both_backends!(
    an_unsure_reply_pauses_the_lead_and_is_listed,
    a_review_resolved_as_reply_stops_the_lead_once,
    a_review_resolved_as_unsubscribe_suppresses_the_address,
    a_bounce_review_resolved_hard_suppresses_and_soft_resumes,
    a_dismissed_review_makes_the_lead_active_with_nothing_else,
    another_workspace_neither_sees_nor_resolves_a_review,
    a_refusal_of_our_sender_pauses_the_mailbox_and_spares_the_lead,
);
