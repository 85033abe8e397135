//! The inbound scenario: step 1 of a two-step sequence goes to four leads; one answers (a real
//! reply threaded with In-Reply-To), one bounces (a DSN), one is out of office until a date,
//! one stays quiet. Step 2 goes only to the quiet one; the out-of-office lead's step 2 waits
//! for its return date.

use chrono::{NaiveDate, TimeDelta, Utc};

use crate::messages::{hard_bounce, out_of_office, reply};
use crate::peers::peers;
use crate::setup::{lead, two_steps, world, world_with};
use crate::support::TestBackend;

/// The value of the sample `series` (name and labels exactly as rendered) in a `/metrics`
/// scrape, 0 when absent.
fn sample(scrape: &str, series: &str) -> f64 {
    scrape
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

async fn replies_bounces_and_auto_replies_stop_or_delay_step_two(backend: TestBackend) {
    let Some(peers) = peers() else { return };
    let leads = [lead("reply"), lead("bounce"), lead("ooo"), lead("quiet")];
    // Step 2 is due 15 s after step 1: ample time for the poller, short for the test.
    let w = world(
        backend,
        &peers,
        &leads,
        two_steps("15s"),
        &peers.password,
        &[],
    )
    .await;
    w.eventually("step 1 sent to every lead", || async {
        let s = w.sends().await;
        leads
            .iter()
            .all(|l| s.get(&(l.clone(), 1)).is_some_and(|st| st == "sent"))
            .then_some(())
    })
    .await;
    let (id, subject) = w.step_one_to(&leads[0], 4).await;
    let answer = reply(
        &leads[0],
        &w.sender,
        &subject,
        &id,
        "Sounds good, call me Tuesday.",
    );
    let appended = std::time::Instant::now();
    peers.append(&w.sender, "INBOX", &answer).await;
    w.eventually("the replying lead stopped", || async {
        (w.lead_status().await[&leads[0]] == "replied").then_some(())
    })
    .await;
    eprintln!(
        "reply-to-stop latency: {:?} (IMAP append to lead `replied`)",
        appended.elapsed()
    );
    // The poller counts the reply right after recording it, and its last-poll time once the
    // whole pass (every folder) is done: the scrape may trail the status.
    let polled = format!(
        r#"outreachd_imap_last_poll_timestamp_seconds{{mailbox="{}"}}"#,
        w.sender
    );
    let started = w.started.timestamp() as f64;
    let scrape = w
        .eventually("/metrics shows the reply and a finished poll", || async {
            let scrape = w.app.get("/metrics").await.text().await.unwrap();
            let replies = sample(
                &scrape,
                r#"outreachd_inbound_messages_total{class="reply"}"#,
            );
            (replies >= 1.0 && sample(&scrape, &polled) >= started).then_some(scrape)
        })
        .await;
    assert!(sample(&scrape, "outreachd_imap_poll_lag_seconds_count") >= 1.0);
    // Lag is measured from INTERNALDATE (whole seconds), never the zero of "no date known".
    assert!(sample(&scrape, "outreachd_imap_poll_lag_seconds_sum") > 0.0);
    assert!(sample(&scrape, "outreachd_reply_stop_latency_seconds_count") >= 1.0);
    assert!(sample(&scrape, "outreachd_imap_pollers") >= 1.0, "{scrape}");
    let (id, _) = w.step_one_to(&leads[1], 4).await;
    peers
        .append(&w.sender, "INBOX", &hard_bounce(&w.sender, &leads[1], &id))
        .await;
    let back = (Utc::now() + TimeDelta::days(20)).date_naive();
    let (id, subject) = w.step_one_to(&leads[2], 4).await;
    let ooo = out_of_office(
        &leads[2],
        &w.sender,
        &subject,
        &id,
        &back.format("%-d %B %Y").to_string(),
    );
    peers.append(&w.sender, "INBOX", &ooo).await;

    let events = w
        .eventually(
            "the reply, the bounce and the auto-reply are processed",
            || async {
                let e = w.events().await;
                (e.get("reply") == Some(&1)
                    && e.get("bounce_hard") == Some(&1)
                    && e.get("auto_reply") == Some(&1))
                .then_some(e)
            },
        )
        .await;
    assert_eq!(events.len(), 3, "{events:?}");
    let status = w.lead_status().await;
    assert_eq!(status[&leads[0]], "replied");
    assert_eq!(status[&leads[1]], "bounced");
    assert_eq!(status[&leads[2]], "active");
    assert!(
        w.store()
            .is_suppressed(
                w.ws,
                &outreachd::domain::EmailAddress::parse(&leads[1]).unwrap()
            )
            .await
            .unwrap()
    );

    w.eventually("step 2 sent to the quiet lead", || async {
        let s = w.sends().await;
        s.get(&(leads[3].clone(), 2))
            .is_some_and(|st| st == "sent")
            .then_some(())
    })
    .await;
    let sends = w.sends().await;
    for l in &leads[..3] {
        assert!(
            !sends.contains_key(&(l.clone(), 2)),
            "{l} must not get step 2: {sends:?}"
        );
    }
    assert_eq!(
        w.received(5).await.len(),
        5,
        "4 first steps and 1 follow-up"
    );
    let due = w
        .query_pairs(
            "SELECT l.email, CAST(cl.next_scheduled_at AS TEXT) FROM campaign_leads cl \
             JOIN leads l ON l.id = cl.lead_id WHERE cl.next_scheduled_at IS NOT NULL",
        )
        .await;
    let ooo_due = due
        .iter()
        .find(|(e, _)| *e == leads[2])
        .map(|(_, d)| NaiveDate::parse_from_str(&d[..10], "%Y-%m-%d").unwrap())
        .expect("the out-of-office lead is still scheduled");
    assert!(ooo_due > back, "step 2 waits past {back}, due {ooo_due}");
}

async fn a_mailbox_whose_bounce_rate_passes_the_threshold_is_paused(backend: TestBackend) {
    let Some(peers) = peers() else { return };
    let leads = [lead("gone"), lead("here")];
    let settings = [("OUTREACHD__IMAP__BOUNCE_RATE_MIN_SENDS", "2")];
    let w = world_with(
        backend,
        &peers,
        &leads,
        two_steps("1h"),
        &peers.password,
        &[],
        &settings,
    )
    .await;
    w.wait_until_sent(2).await;
    let (id, _) = w.step_one_to(&leads[0], 2).await;
    peers
        .append(&w.sender, "INBOX", &hard_bounce(&w.sender, &leads[0], &id))
        .await;
    let mailbox = w
        .eventually("the mailbox paused for its bounce rate", || async {
            w.store()
                .mailbox_by_id(w.ws, w.mailbox)
                .await
                .unwrap()
                .filter(|m| m.status == outreachd::domain::MailboxStatus::Paused)
        })
        .await;
    let reason = mailbox.status_reason.unwrap_or_default();
    assert!(reason.contains("bounce rate 50.0%"), "{reason}");
}

crate::on_both_backends!(
    replies_bounces_and_auto_replies_stop_or_delay_step_two,
    a_mailbox_whose_bounce_rate_passes_the_threshold_is_paused,
);
