//! Pacing and rotation as the SMTP server sees them: the gap between one mailbox's sends
//! (receive times of the sink's dumps), leads spread evenly over the pool and kept on their
//! mailbox for follow-ups, and a cooled-down mailbox coming back.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use outreachd::domain::HumanDuration;

use crate::fixtures::{
    Received, SeedPlan, lead_states, seed, seed_plan, step, wait_for, wait_until_a_mailbox_cools,
};
use crate::helpers::spawn_app_with;
use crate::observe::TimedDumps;
use crate::sink::Sink;
use crate::support::TestBackend;

const FAST: &[(&str, &str)] = &[
    ("OUTREACHD__DISPATCH__COMPLETION_FLUSH", "10ms"),
    ("OUTREACHD__DISPATCH__RETRY_BACKOFF", "300ms"),
    ("OUTREACHD__DISPATCH__THROTTLE_COOLDOWN", "1s"),
];

/// How much earlier than `min_gap` a receive may follow the previous one. The pacer keeps the
/// gap between the starts of two sends; each send's store write and SMTP exchange before its
/// data ends take a varying time (under load one took 80 ms longer than the next). Unpaced,
/// the gaps would be a few milliseconds.
const TOLERANCE: Duration = Duration::from_millis(150);

async fn a_paced_mailbox_keeps_its_minimum_gap_between_sends(backend: TestBackend) {
    let dumps = TimedDumps::new();
    let args = dumps.sink_args();
    let sink = Sink::start(&[args[0].as_str(), args[1].as_str()]).await;
    let app = spawn_app_with(backend, FAST).await;
    let plan = SeedPlan {
        mailbox: Box::new(|_, m| {
            m.min_gap = HumanDuration::parse("300ms").unwrap();
            m.max_gap = HumanDuration::parse("500ms").unwrap();
        }),
        ..SeedPlan::new(
            1,
            6,
            vec![step("0s", Some("Hi {{ first_name }}"), "Hello.")],
        )
    };
    let seeded = seed_plan(app.store.as_ref(), sink.port, plan).await;
    app.supervisor.notify();
    wait_for(
        app.store.as_ref(),
        seeded.workspace,
        Duration::from_secs(60),
        |s| lead_states(s).get("completed") == Some(&6),
    )
    .await;
    let received = dumps.received(6).await;
    assert_eq!(received.len(), 6, "all six arrived, once each");
    let min_gap = Duration::from_millis(300);
    let gaps: Vec<Duration> = received
        .windows(2)
        .map(|w| w[1].0.duration_since(w[0].0).unwrap_or_default())
        .collect();
    for gap in &gaps {
        assert!(
            *gap + TOLERANCE >= min_gap,
            "two sends {gap:?} apart (min_gap 300ms); gaps: {gaps:?}"
        );
    }
    let span: Duration = gaps.iter().sum();
    assert!(
        span + TOLERANCE >= min_gap * 5,
        "six sends took only {span:?}; gaps: {gaps:?}"
    );
}

async fn leads_rotate_evenly_over_the_pool_and_keep_their_mailbox(backend: TestBackend) {
    let sink = Sink::start(&[]).await;
    let app = spawn_app_with(backend, FAST).await;
    let steps = vec![
        step("0s", Some("Hi {{ first_name }}"), "Step one."),
        step("1s", None, "Step two."),
    ];
    let seeded = seed(app.store.as_ref(), sink.port, 3, 30, steps).await;
    app.supervisor.notify();
    wait_for(
        app.store.as_ref(),
        seeded.workspace,
        Duration::from_secs(60),
        |s| lead_states(s).get("completed") == Some(&30),
    )
    .await;
    let received: Vec<Received> = sink
        .dumps(60)
        .await
        .iter()
        .map(|d| Received::parse(d))
        .collect();
    assert_eq!(received.len(), 60, "two steps for each of 30 leads");
    let mut first_steps: BTreeMap<String, usize> = BTreeMap::new();
    let mut senders_of: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in &received {
        let from = r.header("from").unwrap().to_owned();
        if r.header("in-reply-to").is_none() {
            *first_steps.entry(from.clone()).or_default() += 1;
        }
        senders_of
            .entry(r.header("to").unwrap().to_owned())
            .or_default()
            .insert(from);
    }
    assert_eq!(first_steps.len(), 3, "every mailbox sent: {first_steps:?}");
    assert!(
        first_steps.values().all(|n| *n == 10),
        "10 new leads per mailbox: {first_steps:?}"
    );
    assert_eq!(senders_of.len(), 30);
    for (to, senders) in senders_of {
        assert_eq!(senders.len(), 1, "{to} heard from one mailbox: {senders:?}");
    }
}

async fn a_cooled_mailbox_sends_again_after_its_cooldown(backend: TestBackend) {
    let throttling = Sink::start(&["-Q", "CONNECT"]).await;
    let app = spawn_app_with(backend, FAST).await;
    let one = vec![step("0s", Some("Hi {{ first_name }}"), "Hello.")];
    let seeded = seed(app.store.as_ref(), throttling.port, 1, 3, one).await;
    app.supervisor.notify();
    wait_until_a_mailbox_cools(app.store.as_ref(), seeded.workspace).await;
    // The server recovers; the cooldown (1 s, doubling while 421s repeat: at most 16 s) ends
    // and the requeued leads go out.
    let port = throttling.stop();
    let healthy = Sink::start_on(port, &[]).await;
    wait_for(
        app.store.as_ref(),
        seeded.workspace,
        Duration::from_secs(60),
        |s| lead_states(s).get("completed") == Some(&3),
    )
    .await;
    assert_eq!(healthy.dumps(3).await.len(), 3);
}

crate::on_both_backends!(
    a_paced_mailbox_keeps_its_minimum_gap_between_sends,
    leads_rotate_evenly_over_the_pool_and_keep_their_mailbox,
    a_cooled_mailbox_sends_again_after_its_cooldown,
);
