//! `unknown` sends (the server dropped the connection after the final ".") looked up in the
//! mailbox's Sent folder: found ⇒ `sent` and the lead advances; missing ⇒ still `unknown`.

use crate::messages::sent_copy;
use crate::peers::peers;
use crate::setup::{lead, two_steps, world};
use crate::support::TestBackend;

async fn an_unknown_send_found_in_sent_becomes_sent_and_a_missing_one_stays_unknown(
    backend: TestBackend,
) {
    let Some(peers) = peers() else { return };
    let leads = [lead("filed"), lead("lost")];
    let w = world(
        backend,
        &peers,
        &leads,
        two_steps("1h"),
        &peers.password,
        &["-q", "."],
    )
    .await;
    w.eventually("both first steps unknown", || async {
        (w.sends().await.values().filter(|s| *s == "unknown").count() == 2).then_some(())
    })
    .await;
    let ids = w
        .query_pairs(
            "SELECT l.email, es.message_id FROM email_sends es \
             JOIN campaign_leads cl ON cl.id = es.campaign_lead_id \
             JOIN leads l ON l.id = cl.lead_id WHERE es.state = 'unknown'",
        )
        .await;
    let filed = &ids.iter().find(|(e, _)| *e == leads[0]).unwrap().1;
    peers
        .append(&w.sender, "Sent", &sent_copy(&w.sender, &leads[0], filed))
        .await;
    w.eventually("the filed send reconciled", || async {
        let s = w.sends().await;
        (s.get(&(leads[0].clone(), 1)).map(String::as_str) == Some("sent")).then_some(())
    })
    .await;
    let s = w.sends().await;
    assert_eq!(
        s[&(leads[1].clone(), 1)],
        "unknown",
        "not in Sent: left for an operator"
    );
    let status = w.lead_status().await;
    assert_eq!(status[&leads[0]], "active", "the lead advanced to step 2");
    let steps = w
        .query_pairs(
            "SELECT l.email, CAST(cl.current_step_order AS TEXT) FROM campaign_leads cl \
             JOIN leads l ON l.id = cl.lead_id",
        )
        .await;
    assert!(
        steps.contains(&(leads[0].clone(), "2".to_owned())),
        "{steps:?}"
    );
}

crate::on_both_backends!(
    an_unknown_send_found_in_sent_becomes_sent_and_a_missing_one_stays_unknown
);
