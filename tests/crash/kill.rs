//! SIGKILL mid-run: the daemon dies with sends claimed, queued, marked `sending` and on the
//! wire. A second daemon (`run --until-idle`) finishes the campaign. Claimed rows come back
//! after their lease; rows left `sending` become `unknown` and are never resent, and there are
//! few of them: a mailbox marks at most `dispatch.sending_batch` at once and waits for older
//! outcomes to be recorded before marking more.

use crate::scenario::{MAILBOXES, PATIENCE, SENDING_BATCH, Scenario};
use crate::support::TestBackend;

async fn a_sigkill_mid_run_loses_nothing_and_sends_nothing_twice(backend: TestBackend) {
    let s = Scenario::new(backend, 500, &[]).await;
    let mut first = s.daemon("first", &["run"]);
    s.wait_sent(150, &mut first).await;
    first.kill_hard();
    let at_kill = s.states().await;
    let sent_at_kill = at_kill.get("sent").copied().unwrap_or(0);
    assert!(
        sent_at_kill < s.expected() as i64,
        "the kill must land mid-run: {at_kill:?}"
    );
    // What the crash left in doubt: per mailbox, the batch on the wire and the one whose
    // outcomes were being recorded, no more.
    let in_doubt = at_kill.get("sending").copied().unwrap_or(0) as usize;
    assert!(
        in_doubt <= 2 * MAILBOXES * SENDING_BATCH,
        "at most two marked batches per mailbox can be in doubt; at the kill {at_kill:?}"
    );

    let mut second = s.daemon("second", &["run", "--until-idle"]);
    let status = second.wait_exit(PATIENCE).await;
    assert!(status.success(), "{status}; log:\n{}", second.log_tail(60));

    let ledger = s.ledger().await;
    eprintln!("{ledger}");
    ledger.assert_nothing_lost_nothing_twice();
    // Every send in doubt at the kill was parked, none resent; a send of the second daemon
    // may also end `unknown` if the loaded machine stalls it past its lease (by design).
    assert!(
        ledger.unknown >= in_doubt,
        "at the kill {at_kill:?}; {ledger}"
    );
}

crate::on_both_backends!(a_sigkill_mid_run_loses_nothing_and_sends_nothing_twice);
