//! The poller against a Dovecot that is stopped and started again (a private instance, so the
//! shared peers other tests use stay up): it reconnects, reads what arrived after the restart,
//! and records nothing twice.

use crate::peers::peers;
use crate::private_dovecot::PrivateDovecot;
use crate::setup::{lead, two_steps, world};
use crate::support::TestBackend;

async fn the_poller_survives_a_dovecot_restart_without_duplicates(backend: TestBackend) {
    let Some(shared) = peers() else { return };
    let dovecot = PrivateDovecot::start(&shared).await;
    let peers = &dovecot.peers;
    let leads = [lead("before"), lead("after")];
    let w = world(
        backend,
        peers,
        &leads,
        two_steps("1h"),
        &peers.password,
        &[],
    )
    .await;
    w.wait_until_sent(2).await;
    let (id_a, subject) = w.step_one_to(&leads[0], 2).await;
    let (id_b, _) = w.step_one_to(&leads[1], 2).await;
    w.reply_arrives(peers, &leads[0], &subject, &id_a, "Yes.")
        .await;
    w.eventually("the reply before the restart", || async {
        (w.lead_status().await[&leads[0]] == "replied").then_some(())
    })
    .await;

    dovecot.restart().await;
    w.reply_arrives(peers, &leads[1], &subject, &id_b, "Sure.")
        .await;
    w.eventually("the reply after the restart", || async {
        (w.lead_status().await[&leads[1]] == "replied").then_some(())
    })
    .await;
    let events = w.events().await;
    assert_eq!(
        events.get("reply"),
        Some(&2),
        "one event per reply: {events:?}"
    );
    let rows = w
        .query_pairs("SELECT folder, CAST(count(*) AS TEXT) FROM inbound_messages GROUP BY folder")
        .await;
    assert_eq!(rows, [("INBOX".to_owned(), "2".to_owned())]);
    drop(w);
    dovecot.stop().await;
}

crate::on_both_backends!(the_poller_survives_a_dovecot_restart_without_duplicates);
