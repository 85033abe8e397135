//! The database drops the daemon's connections mid-run (a restart or failover, simulated with
//! `pg_terminate_backend` because the test server is shared). Statements in flight fail, some
//! with their commit in doubt; the daemon must recover without sending anything twice or
//! losing a lead. Sends in doubt may end `unknown`. PostgreSQL only: SQLite has no server.

use std::time::Duration;

use crate::scenario::{Scenario, terminate_connections};
use crate::support::TestBackend;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cutting_the_database_connections_mid_run_loses_nothing_and_sends_nothing_twice() {
    let s = Scenario::new(TestBackend::Postgres, 500, &[]).await;
    let mut daemon = s.daemon("daemon", &["run"]);
    let mut cut = 0;
    for sent in [100, 250, 400, 550, 700] {
        s.wait_sent(sent, &mut daemon).await;
        cut += terminate_connections(&s.url).await;
    }
    assert!(cut > 0, "the daemon's connections were cut");
    eprintln!("{cut} connections cut");
    // Work given back while the store was unreachable is due again later: wait for it.
    s.wait_settled(&mut [&mut daemon]).await;
    daemon.terminate();
    let status = daemon.wait_exit(Duration::from_secs(60)).await;
    assert!(status.success(), "{status}; log:\n{}", daemon.log_tail(60));

    let ledger = s.ledger().await;
    eprintln!("{ledger}");
    ledger.assert_nothing_lost_nothing_twice();
}
