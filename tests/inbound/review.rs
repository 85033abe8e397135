//! Doubt through the whole daemon: a bounce whose words say both "user unknown" and "mailbox
//! full" reaches the mailbox over IMAP; the poller pauses that lead for a person (no
//! suppression, no step 2), lists the review and counts it, while the mailbox keeps sending
//! to the other lead.

use outreachd::domain::{EmailAddress, ReviewFilter};

use crate::messages::bounce;
use crate::peers::peers;
use crate::setup::{lead, two_steps, world};
use crate::support::TestBackend;

async fn an_unsure_bounce_pauses_its_lead_for_review_and_the_mailbox_sends_on(
    backend: TestBackend,
) {
    let Some(peers) = peers() else { return };
    let leads = [lead("unsure"), lead("quiet")];
    let w = world(
        backend,
        &peers,
        &leads,
        two_steps("15s"),
        &peers.password,
        &[],
    )
    .await;
    let (id, _) = w.step_one_to(&leads[0], 2).await;
    let unsure = bounce(
        &w.sender,
        &leads[0],
        &id,
        "5.1.1",
        "user unknown or mailbox full",
    );
    peers.append(&w.sender, "INBOX", &unsure).await;
    w.eventually("the unsure lead is paused for review", || async {
        (w.lead_status().await[&leads[0]] == "paused").then_some(())
    })
    .await;
    let filter = ReviewFilter {
        status: None,
        after: None,
        limit: 10,
    };
    let reviews = w.store().list_reviews(w.ws, &filter).await.unwrap();
    assert_eq!(reviews.len(), 1, "{reviews:?}");
    assert_eq!(reviews[0].reason, "hard_or_soft");
    assert_eq!(reviews[0].lead_email.as_deref(), Some(leads[0].as_str()));
    let address = EmailAddress::parse(&leads[0]).unwrap();
    assert!(!w.store().is_suppressed(w.ws, &address).await.unwrap());
    assert_eq!(w.events().await.get("needs_review"), Some(&1));

    w.eventually("step 2 sent to the quiet lead", || async {
        w.sends()
            .await
            .get(&(leads[1].clone(), 2))
            .is_some_and(|st| st == "sent")
            .then_some(())
    })
    .await;
    assert!(!w.sends().await.contains_key(&(leads[0].clone(), 2)));
    let scrape = w.app.get("/metrics").await.text().await.unwrap();
    assert!(
        scrape.contains(r#"outreachd_inbound_reviews_total{reason="hard_or_soft"} 1"#),
        "{scrape}"
    );
}

crate::on_both_backends!(an_unsure_bounce_pauses_its_lead_for_review_and_the_mailbox_sends_on);
