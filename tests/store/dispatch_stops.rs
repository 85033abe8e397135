//! Outcomes that stop or park a lead: a bounce (everywhere, suppressed), a failure, an unknown
//! outcome, and a send whose lease ran out mid-send.

use crate::dispatch_fixtures::{
    LEASE, Setup, base, day, message_id, minutes, running_campaign, sent,
};
use crate::sql;
use crate::support::TestBackend;
use outreachd::domain::{Completion, CompletionReport, ExpiryReport, NextStep};

const APPLIED: CompletionReport = CompletionReport {
    applied: 1,
    fenced: 0,
};
const FENCED: CompletionReport = CompletionReport {
    applied: 0,
    fenced: 1,
};

async fn a_bounce_suppresses_the_address_and_stops_the_lead_in_every_campaign(
    backend: TestBackend,
) {
    let now = base();
    let s = Setup::new(
        backend,
        &["Bad@x.example", "good@x.example"],
        now - minutes(1),
    )
    .await;
    let other = running_campaign(s.store(), s.ws, "Other", vec![s.mailbox], 2).await;
    s.store()
        .enroll_leads(s.ws, other, &s.leads, now - minutes(1))
        .await
        .unwrap();

    let claimed = s.claim(now, 10).await;
    let bad = claimed
        .iter()
        .find(|c| c.lead.email == "Bad@x.example")
        .unwrap();
    let bounce = Completion::Bounced {
        send: bad.send,
        reply: "550 5.1.1 no such user".into(),
    };
    assert_eq!(
        s.store().complete_sends(&[bounce], now).await.unwrap(),
        APPLIED
    );

    let address = crate::fixtures::email("bad@x.example");
    assert!(s.store().is_suppressed(s.ws, &address).await.unwrap());
    assert_eq!(
        s.statuses(backend).await,
        [
            "Launch Bad@x.example bounced",
            "Launch good@x.example active",
            "Other Bad@x.example bounced",
            "Other good@x.example active",
        ]
    );
    let events = sql::counts(
        backend,
        &s.ts,
        "SELECT kind, count(*) FROM engagement_events GROUP BY kind",
    )
    .await;
    assert_eq!(events, [("bounce_hard".to_owned(), 1)]);
    let reasons = sql::counts(
        backend,
        &s.ts,
        "SELECT reason, count(*) FROM suppressions GROUP BY reason",
    )
    .await;
    assert_eq!(
        reasons,
        [("hard bounce: 550 5.1.1 no such user".to_owned(), 1)]
    );
    let req = outreachd::domain::ClaimRequest {
        campaign_id: other,
        ..s.request(now, 10)
    };
    let in_other = s.store().claim_due(&req).await.unwrap();
    let emails: Vec<&str> = in_other.iter().map(|c| c.lead.email.as_str()).collect();
    assert_eq!(emails, ["good@x.example"]);
}

async fn a_failed_step_stops_the_lead_with_the_reason(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example"], now - minutes(1)).await;
    let c = s.claim(now, 10).await.remove(0);
    let failed = Completion::Failed {
        send: c.send,
        reason: "template error: missing name".into(),
    };
    assert_eq!(
        s.store().complete_sends(&[failed], now).await.unwrap(),
        APPLIED
    );
    assert_eq!(s.statuses(backend).await, ["Launch a@x.example failed"]);
    let reasons = sql::counts(
        backend,
        &s.ts,
        "SELECT stop_reason, count(*) FROM campaign_leads GROUP BY stop_reason",
    )
    .await;
    assert_eq!(reasons, [("template error: missing name".to_owned(), 1)]);
    assert!(s.claim(now + minutes(600), 10).await.is_empty());
}

async fn an_unknown_outcome_parks_the_lead_for_good(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example"], now - minutes(1)).await;
    let c = s.claim(now, 10).await.remove(0);
    assert!(
        s.store()
            .mark_sending(&c.send, &message_id(&c), now, LEASE)
            .await
            .unwrap()
    );
    let unknown = Completion::Unknown {
        send: c.send,
        message_id: message_id(&c),
        reason: "connection lost after DATA".into(),
        count_date: day(now),
    };
    assert_eq!(
        s.store().complete_sends(&[unknown], now).await.unwrap(),
        APPLIED
    );

    let usage = s
        .store()
        .mailbox_usage(s.mailbox, day(now), now - minutes(60))
        .await
        .unwrap();
    assert_eq!(
        (usage.sent_today, usage.last_hour.len()),
        (1, 1),
        "counted: it may have gone out"
    );
    assert_eq!(s.statuses(backend).await, ["Launch a@x.example active"]);
    assert!(s.claim(now + minutes(6_000), 10).await.is_empty());
    assert_eq!(
        s.store().run_now(s.ws, s.campaign, now).await.unwrap(),
        0,
        "Run Now leaves it parked"
    );
    assert!(s.claim(now + minutes(6_000), 10).await.is_empty());
}

async fn expired_leases_turn_stale_sends_into_unknown_and_release_claims(backend: TestBackend) {
    // A claim that was never marked has no send row: its lead is simply due again at its
    // lease expiry, with a new send id.
    let now = base();
    let s = Setup::new(backend, &["a@x.example", "b@x.example"], now - minutes(1)).await;
    let claimed = s.claim(now, 10).await;
    let (sending, idle) = (&claimed[0], &claimed[1]);
    assert!(
        s.store()
            .mark_sending(&sending.send, &message_id(sending), now, LEASE)
            .await
            .unwrap()
    );

    assert_eq!(
        s.store().expire_leases(now + minutes(1)).await.unwrap(),
        ExpiryReport::default()
    );
    let later = now + LEASE + minutes(1);
    let report = s.store().expire_leases(later).await.unwrap();
    assert_eq!(report, ExpiryReport { unknown: 1 });

    let again = s.claim(later, 10).await;
    assert_eq!(again.len(), 1, "only the released claim is due again");
    assert_eq!(again[0].send.campaign_lead_id, idle.send.campaign_lead_id);
    let late = sent(sending, later, NextStep::Done);
    assert_eq!(
        s.store().complete_sends(&[late], later).await.unwrap(),
        FENCED,
        "too late"
    );
    assert_eq!(
        s.store().expire_leases(later).await.unwrap().unknown,
        0,
        "once"
    );
}

crate::on_both_backends!(
    a_bounce_suppresses_the_address_and_stops_the_lead_in_every_campaign,
    a_failed_step_stops_the_lead_with_the_reason,
    an_unknown_outcome_parks_the_lead_for_good,
    expired_leases_turn_stale_sends_into_unknown_and_release_claims,
);
