//! Outcomes that keep a lead going: a sent step advances it (and counts), a retry brings it
//! back, a zombie's late outcome is fenced, and no outcome revives a lead stopped meanwhile.

use crate::dispatch_fixtures::{LEASE, Setup, base, day, message_id, minutes, retry, sent};
use crate::support::TestBackend;
use outreachd::domain::{CompletionReport, NextStep};

const APPLIED: CompletionReport = CompletionReport {
    applied: 1,
    fenced: 0,
};
const FENCED: CompletionReport = CompletionReport {
    applied: 0,
    fenced: 1,
};

async fn a_sent_step_advances_the_lead_and_counts_the_send(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example"], now - minutes(1)).await;
    let c = s.claim(now, 10).await.remove(0);
    assert!(
        s.store()
            .mark_sending(&c.send, &message_id(&c), now, LEASE)
            .await
            .unwrap()
    );
    let step2 = now + minutes(60);
    let report = s
        .store()
        .complete_sends(
            &[sent(
                &c,
                now,
                NextStep::At {
                    step_order: 2,
                    due_at: step2,
                },
            )],
            now,
        )
        .await
        .unwrap();
    assert_eq!(report, APPLIED);

    let usage = s
        .store()
        .mailbox_usage(s.mailbox, day(now), now - minutes(60))
        .await
        .unwrap();
    assert_eq!((usage.sent_today, usage.last_hour), (1, vec![now]));
    let campaign = s
        .store()
        .campaign_by_id(s.ws, s.campaign)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((campaign.emails_sent, campaign.last_run_at), (1, Some(now)));
    assert!(
        s.claim(now + minutes(59), 10).await.is_empty(),
        "step 2 is not due yet"
    );

    let c2 = s.claim(step2, 10).await.remove(0);
    assert_eq!((c2.step_order, c2.attempts, c2.due_at), (2, 0, step2));
    assert_ne!(c2.send.send_id, c.send.send_id, "a new send row per step");
    let thread = c2.thread.clone().expect("step 1 started a thread");
    assert_eq!(thread.message_id, message_id(&c));
    assert_eq!(thread.first_subject, "Hello a@x.example");

    assert!(
        s.store()
            .mark_sending(&c2.send, &message_id(&c2), step2, LEASE)
            .await
            .unwrap()
    );
    let done = s
        .store()
        .complete_sends(&[sent(&c2, step2, NextStep::Done)], step2)
        .await
        .unwrap();
    assert_eq!(done, APPLIED);
    assert_eq!(s.statuses(backend).await, ["Launch a@x.example completed"]);
    let campaign = s
        .store()
        .campaign_by_id(s.ws, s.campaign)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(campaign.emails_sent, 2);
    let due = s.store().campaigns_due().await.unwrap();
    assert_eq!(due[0].next_due, None, "a completed lead is never due");
}

async fn a_zombie_completion_after_a_re_claim_is_fenced(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example"], now - minutes(1)).await;
    let zombie = s.claim(now, 10).await.remove(0);
    let later = now + LEASE + minutes(1);
    let current = s.claim(later, 10).await.remove(0);

    let report = s
        .store()
        .complete_sends(&[retry(&zombie, later, true)], later)
        .await
        .unwrap();
    assert_eq!(report, FENCED);
    let report = s
        .store()
        .complete_sends(&[sent(&zombie, later, NextStep::Done)], later)
        .await
        .unwrap();
    assert_eq!(report, FENCED, "sent needs `sending`");

    assert!(
        s.store()
            .mark_sending(&current.send, &message_id(&current), later, LEASE)
            .await
            .unwrap()
    );
    let batch = [
        retry(&zombie, later, true),
        sent(&current, later, NextStep::Done),
    ];
    let report = s.store().complete_sends(&batch, later).await.unwrap();
    assert_eq!(
        report,
        CompletionReport {
            applied: 1,
            fenced: 1
        }
    );
    assert_eq!(s.statuses(backend).await, ["Launch a@x.example completed"]);
}

async fn a_retry_counts_an_attempt_only_when_the_recipient_was_at_fault(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example"], now - minutes(1)).await;
    let c = s.claim(now, 10).await.remove(0);
    let at = now + minutes(10);
    assert_eq!(
        s.store()
            .complete_sends(&[retry(&c, at, true)], now)
            .await
            .unwrap(),
        APPLIED
    );
    assert!(
        s.claim(at - minutes(1), 10).await.is_empty(),
        "due again only at the retry time"
    );

    let again = s.claim(at, 10).await.remove(0);
    assert_eq!(
        (again.send.send_id, again.attempts, again.due_at),
        (c.send.send_id, 1, at)
    );
    assert!(
        s.store()
            .mark_sending(&again.send, "<m@x>", at, LEASE)
            .await
            .unwrap()
    );
    let at2 = at + minutes(10);
    assert_eq!(
        s.store()
            .complete_sends(&[retry(&again, at2, false)], at)
            .await
            .unwrap(),
        APPLIED
    );
    let third = s.claim(at2, 10).await.remove(0);
    assert_eq!(
        (third.send.send_id, third.attempts),
        (c.send.send_id, 1),
        "mailbox at fault: no attempt"
    );
}

async fn a_late_outcome_never_revives_a_lead_stopped_meanwhile(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example", "b@x.example"], now - minutes(1)).await;
    let claimed = s.claim(now, 10).await;
    for c in &claimed {
        assert!(
            s.store()
                .mark_sending(&c.send, &message_id(c), now, LEASE)
                .await
                .unwrap()
        );
    }
    // Both ask to stop while their step is on the wire.
    s.store()
        .add_suppression(s.ws, "a@x.example", "asked to stop")
        .await
        .unwrap();
    s.store()
        .add_suppression(s.ws, "b@x.example", "asked to stop")
        .await
        .unwrap();
    let a = claimed
        .iter()
        .find(|c| c.lead.email == "a@x.example")
        .unwrap();
    let b = claimed
        .iter()
        .find(|c| c.lead.email == "b@x.example")
        .unwrap();
    let batch = [
        sent(a, now, NextStep::Done),
        sent(
            b,
            now,
            NextStep::At {
                step_order: 2,
                due_at: now,
            },
        ),
    ];
    let report = s.store().complete_sends(&batch, now).await.unwrap();
    assert_eq!(
        report,
        CompletionReport {
            applied: 2,
            fenced: 0
        },
        "the sends did happen"
    );
    assert_eq!(
        s.statuses(backend).await,
        [
            "Launch a@x.example unsubscribed",
            "Launch b@x.example unsubscribed"
        ]
    );
    assert!(s.claim(now + minutes(600), 10).await.is_empty());
}

crate::on_both_backends!(
    a_sent_step_advances_the_lead_and_counts_the_send,
    a_zombie_completion_after_a_re_claim_is_fenced,
    a_retry_counts_an_attempt_only_when_the_recipient_was_at_fault,
    a_late_outcome_never_revives_a_lead_stopped_meanwhile,
);
