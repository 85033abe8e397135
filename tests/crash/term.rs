//! SIGTERM mid-run: the daemon stops claiming, finishes the transactions in flight, gives back
//! what is queued and records every outcome before it exits 0, so nothing is left `sending`
//! and nothing becomes `unknown`. A restart then sends the rest, each step exactly once.

use std::time::Duration;

use crate::scenario::{PATIENCE, PATIENT_SENDING_LEASE, SHUTDOWN_TIMEOUT, Scenario};
use crate::support::TestBackend;

async fn a_sigterm_mid_run_drains_cleanly_and_a_restart_sends_the_rest_once(backend: TestBackend) {
    let s = Scenario::new(backend, 500, &[PATIENT_SENDING_LEASE]).await;
    let mut first = s.daemon("first", &["run"]);
    s.wait_sent(150, &mut first).await;
    first.terminate();
    // The daemon's own hard limit is SHUTDOWN_TIMEOUT; the margin covers process teardown.
    let status = first
        .wait_exit(SHUTDOWN_TIMEOUT + Duration::from_secs(15))
        .await;
    assert!(status.success(), "{status}; log:\n{}", first.log_tail(60));
    assert!(
        !first
            .log()
            .contains("did not stop within the shutdown timeout"),
        "the drain finished in time; log:\n{}",
        first.log_tail(60)
    );
    let after = s.states().await;
    assert_eq!(
        after.get("sending"),
        None,
        "nothing left in flight: {after:?}"
    );
    assert_eq!(after.get("unknown"), None, "nothing in doubt: {after:?}");
    assert!(
        after.get("sent").copied().unwrap_or(0) < s.expected() as i64,
        "the stop must land mid-run: {after:?}"
    );

    let mut second = s.daemon("second", &["run", "--until-idle"]);
    let status = second.wait_exit(PATIENCE).await;
    assert!(status.success(), "{status}; log:\n{}", second.log_tail(60));

    let ledger = s.ledger().await;
    eprintln!("{ledger}");
    ledger.assert_nothing_lost_nothing_twice();
    assert_eq!(ledger.unknown, 0, "{ledger}");
    assert_eq!(ledger.received, s.expected(), "{ledger}");
}

crate::on_both_backends!(a_sigterm_mid_run_drains_cleanly_and_a_restart_sends_the_rest_once);
