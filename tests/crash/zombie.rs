//! Two daemons on one database. On PostgreSQL they split the work (claims take rows with
//! `FOR UPDATE SKIP LOCKED` under a lease, every later write is fenced by the lease token), so
//! each step still goes out exactly once. SQLite is single-daemon: the second one refuses to
//! start and the first finishes alone.

use std::time::Duration;

use crate::scenario::{PATIENT_SENDING_LEASE, Scenario};
use crate::support::TestBackend;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_daemons_on_one_postgres_database_send_each_step_exactly_once() {
    let s = Scenario::new(TestBackend::Postgres, 500, &[PATIENT_SENDING_LEASE]).await;
    let mut one = s.daemon("one", &["run"]);
    let mut two = s.daemon("two", &["run"]);
    s.wait_settled(&mut [&mut one, &mut two]).await;
    // Each daemon counts what its own SMTP sessions delivered: both took part, and together
    // they delivered each step once.
    let (by_one, by_two) = (one.sent_total().await, two.sent_total().await);
    eprintln!("daemon one sent {by_one}, daemon two sent {by_two}");
    assert!(
        by_one > 0 && by_two > 0,
        "both daemons sent: {by_one} and {by_two}"
    );
    assert_eq!(by_one + by_two, s.expected() as u64);
    for d in [&mut one, &mut two] {
        d.terminate();
        let status = d.wait_exit(Duration::from_secs(60)).await;
        assert!(status.success(), "{status}; log:\n{}", d.log_tail(60));
    }

    let ledger = s.ledger().await;
    eprintln!("{ledger}");
    ledger.assert_nothing_lost_nothing_twice();
    assert_eq!(ledger.unknown, 0, "{ledger}");
    assert_eq!(ledger.received, s.expected(), "{ledger}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_daemon_on_one_sqlite_file_refuses_to_start_and_the_first_finishes_alone() {
    let s = Scenario::new(TestBackend::Sqlite, 200, &[PATIENT_SENDING_LEASE]).await;
    let mut one = s.daemon("one", &["run"]);
    s.wait_sent(20, &mut one).await;
    let mut two = s.daemon("two", &["run"]);
    let status = two.wait_exit(Duration::from_secs(60)).await;
    assert!(
        !status.success(),
        "the second daemon must refuse: {}",
        two.log_tail(20)
    );
    s.wait_settled(&mut [&mut one]).await;
    one.terminate();
    let status = one.wait_exit(Duration::from_secs(60)).await;
    assert!(status.success(), "{status}; log:\n{}", one.log_tail(60));

    let ledger = s.ledger().await;
    eprintln!("{ledger}");
    ledger.assert_nothing_lost_nothing_twice();
    assert_eq!(ledger.received, s.expected(), "{ledger}");
}
