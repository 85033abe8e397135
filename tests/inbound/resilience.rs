//! The poller against a misbehaving server: dropped connections, a UIDVALIDITY reset (index
//! files deleted) and a wrong password. No duplicate events, no missed mail, no retry loop.

use std::time::Duration;

use crate::messages::out_of_office;
use crate::peers::peers;
use crate::setup::{lead, two_steps, world};
use crate::support::TestBackend;

async fn the_poller_survives_dropped_connections_and_a_uid_reset_without_duplicates(
    backend: TestBackend,
) {
    let Some(peers) = peers() else { return };
    let leads = [lead("a"), lead("b")];
    let w = world(
        backend,
        &peers,
        &leads,
        two_steps("1h"),
        &peers.password,
        &[],
    )
    .await;
    w.wait_until_sent(2).await;
    let (id_a, subject) = w.step_one_to(&leads[0], 2).await;
    let (id_b, _) = w.step_one_to(&leads[1], 2).await;
    w.reply_arrives(&peers, &leads[0], &subject, &id_a, "Yes.")
        .await;
    w.eventually("the first reply", || async {
        (w.events().await.get("reply") == Some(&1)).then_some(())
    })
    .await;

    peers.kick(&w.sender);
    w.reply_arrives(&peers, &leads[1], &subject, &id_b, "Sure.")
        .await;
    w.eventually("the reply after a dropped connection", || async {
        (w.events().await.get("reply") == Some(&2)).then_some(())
    })
    .await;

    let before = w.store().imap_checkpoints(w.mailbox).await.unwrap();
    let inbox = |cps: &[outreachd::domain::ImapCheckpoint]| {
        cps.iter()
            .find(|c| c.folder == "INBOX")
            .map(|c| c.uidvalidity)
    };
    let old = inbox(&before).expect("an INBOX checkpoint");
    peers.reset_uids(&w.sender);
    peers
        .append(
            &w.sender,
            "INBOX",
            &out_of_office(&leads[1], &w.sender, &subject, &id_b, "1 March 2030"),
        )
        .await;
    w.eventually("the folder reread under its new UIDVALIDITY", || async {
        let cps = w.store().imap_checkpoints(w.mailbox).await.unwrap();
        let e = w.events().await;
        (inbox(&cps) != Some(old) && e.get("auto_reply") == Some(&1)).then_some(())
    })
    .await;
    let events = w.events().await;
    assert_eq!(
        events.get("reply"),
        Some(&2),
        "no duplicate events: {events:?}"
    );
    let rows = w
        .query_pairs("SELECT folder, CAST(count(*) AS TEXT) FROM inbound_messages GROUP BY folder")
        .await;
    assert_eq!(rows, [("INBOX".to_owned(), "3".to_owned())]);
}

async fn a_wrong_password_marks_the_mailbox_auth_failed_without_a_retry_loop(backend: TestBackend) {
    let Some(peers) = peers() else { return };
    let leads = [lead("a")];
    let w = world(
        backend,
        &peers,
        &leads,
        two_steps("1h"),
        "not-the-password",
        &[],
    )
    .await;
    let status = w
        .eventually("the IMAP status auth_failed", || async {
            w.store()
                .imap_status(w.ws, w.mailbox)
                .await
                .unwrap()
                .filter(|s| s.status == "auth_failed")
        })
        .await;
    let reason = status.reason.unwrap_or_default();
    assert!(
        reason.contains("AUTHENTICATIONFAILED"),
        "the server's reason: {reason}"
    );
    assert!(!reason.contains("not-the-password"));
    let first = peers.failed_logins(&w.sender);
    // A window to count retries in (auth_retry is 2 s, doubling): a loop would log ~6 here.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let more = peers.failed_logins(&w.sender) - first;
    assert!(more <= 2, "{more} failed logins in 3 s: a retry loop");

    let spec = peers.mailbox_spec(&w.sender, w.sink.port, &peers.password);
    w.store().upsert_mailbox(w.ws, &spec).await.unwrap();
    w.eventually(
        "the poller logged in with the corrected password",
        || async {
            w.store()
                .imap_status(w.ws, w.mailbox)
                .await
                .unwrap()
                .filter(|s| s.status == "ok")
        },
    )
    .await;
}

async fn without_idle_status_polling_still_stops_a_replying_lead(backend: TestBackend) {
    let Some(peers) = peers() else { return };
    let leads = [lead("a")];
    let settings = [("OUTREACHD__IMAP__IDLE", "false")];
    let w = crate::setup::world_with(
        backend,
        &peers,
        &leads,
        two_steps("1h"),
        &peers.password,
        &[],
        &settings,
    )
    .await;
    w.wait_until_sent(1).await;
    let (id, subject) = w.step_one_to(&leads[0], 1).await;
    w.reply_arrives(&peers, &leads[0], &subject, &id, "Ok.")
        .await;
    w.eventually("the reply seen by polling", || async {
        (w.lead_status().await[&leads[0]] == "replied").then_some(())
    })
    .await;
    assert_eq!(w.events().await.get("reply"), Some(&1));
}

crate::on_both_backends!(
    the_poller_survives_dropped_connections_and_a_uid_reset_without_duplicates,
    a_wrong_password_marks_the_mailbox_auth_failed_without_a_retry_loop,
    without_idle_status_polling_still_stops_a_replying_lead,
);
