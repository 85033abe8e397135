//! `claimed → sending`: one send or a mailbox's batch, fenced by the lease.

use crate::dispatch_fixtures::{LEASE, Setup, base, message_id, minutes, sent};
use crate::support::TestBackend;
use outreachd::domain::{CompletionReport, LeaseToken, NextStep, SendRef};

async fn mark_sending_is_fenced_by_the_lease(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example"], now - minutes(1)).await;
    let zombie = s.claim(now, 10).await.remove(0);
    let stranger = SendRef {
        lease: LeaseToken::new(),
        ..zombie.send
    };
    assert!(
        !s.store()
            .mark_sending(&stranger, "<m@x>", now, LEASE)
            .await
            .unwrap(),
        "wrong token"
    );

    // The zombie's lease runs out and another claimer takes the lead over.
    let current = s.claim(now + LEASE + minutes(1), 10).await.remove(0);
    let later = now + LEASE + minutes(2);
    assert!(
        !s.store()
            .mark_sending(&zombie.send, "<m@x>", later, LEASE)
            .await
            .unwrap(),
        "expired token"
    );
    assert!(
        s.store()
            .mark_sending(&current.send, "<m@x>", later, LEASE)
            .await
            .unwrap()
    );
    assert!(
        !s.store()
            .mark_sending(&current.send, "<m@x>", later, LEASE)
            .await
            .unwrap(),
        "only from claimed"
    );
}

async fn marking_a_batch_as_sending_fences_each_send_and_keeps_input_order(backend: TestBackend) {
    let now = base();
    let s = Setup::new(
        backend,
        &["a@x.example", "b@x.example", "c@x.example"],
        now - minutes(1),
    )
    .await;
    let claimed = s.claim(now, 10).await;
    let (a, b, c) = (&claimed[0], &claimed[1], &claimed[2]);
    assert!(
        s.store()
            .mark_sending(&b.send, &message_id(b), now, LEASE)
            .await
            .unwrap()
    );
    let stranger = SendRef {
        lease: LeaseToken::new(),
        ..c.send
    };
    let batch = [
        (a.send, message_id(a)),
        (b.send, message_id(b)),
        (stranger, message_id(c)),
        (a.send, message_id(a)),
    ];
    let marked = s
        .store()
        .mark_sending_many(&batch, now, LEASE)
        .await
        .unwrap();
    assert_eq!(
        marked,
        [true, false, false, false],
        "b is sending already, c is not ours, a once"
    );
    assert!(
        s.store()
            .mark_sending_many(&[], now, LEASE)
            .await
            .unwrap()
            .is_empty()
    );
    let done = [
        sent(a, now, NextStep::Done),
        sent(b, now, NextStep::Done),
        sent(c, now, NextStep::Done),
    ];
    let report = s.store().complete_sends(&done, now).await.unwrap();
    assert_eq!(
        report,
        CompletionReport {
            applied: 2,
            fenced: 1
        },
        "c was never marked"
    );
}

crate::on_both_backends!(
    mark_sending_is_fenced_by_the_lease,
    marking_a_batch_as_sending_fences_each_send_and_keeps_input_order,
);
