//! Hot reload on a running daemon: a changed apply file (listed in `daemon.apply_files`)
//! reaches the running mailbox actor without a new SMTP connection; an invalid config file is
//! rejected with its line and key, counted, and the old configuration stays in force; SIGHUP
//! reloads too, and a changed key that needs a restart is named.

use std::time::Duration;

use crate::daemon::{Daemon, SmtpPeer, http_get, listening_port};
use crate::ops::{Ops, apply_file, campaign};

const SLOW: &str = "min_gap = \"1h\"\nmax_gap = \"1h\"\ndaily_cap = 100";
const FAST: &str = "min_gap = \"0s\"\nmax_gap = \"0s\"\ndaily_cap = 100";

fn config(ops: &Ops, extra: &str) -> String {
    format!(
        "[server]\nport = 0\n[daemon]\nreconcile_interval = \"1s\"\napply_files = [{:?}]\n{extra}",
        ops.apply.display().to_string()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_changes_a_running_mailboxs_gap_without_reconnecting_and_rejects_bad_files() {
    let peer = SmtpPeer::start().await;
    let ops = Ops::new();
    ops.write_apply(&apply_file(
        "127.0.0.1",
        peer.port,
        SLOW,
        &campaign("Ops", ""),
    ));
    ops.apply();
    ops.enrol("Ops", &["r1@rcpt.test", "r2@rcpt.test", "r3@rcpt.test"]);
    ops.write_config(&config(&ops, ""));
    let cfg = ops.config.display().to_string();
    let log = ops.dir.path().join("daemon.log");
    let mut daemon = Daemon::start(
        &["--config", &cfg, "--log-format", "json", "run"],
        &ops.env,
        &log,
    );

    // The first send goes at once; the one-hour gap holds the others.
    peer.wait_messages(1).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(peer.messages(), 1, "the gap must hold the second send");

    // An invalid config file, saved together with a faster apply file: both are refused.
    ops.write_config(&config(&ops, "[dispatch]\nbogus_key = 1\n"));
    ops.write_apply(&apply_file(
        "127.0.0.1",
        peer.port,
        FAST,
        &campaign("Ops", ""),
    ));
    daemon
        .wait_for(&["Configuration reload rejected", "bogus_key", "line 7"], 1)
        .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(
        peer.messages(),
        1,
        "the old configuration must stay in force"
    );
    let port = listening_port(&daemon.log_text());
    let metrics = http_get(port, "/metrics").await;
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("outreachd_config_reloads_total{result=\"rejected\"}")),
        "{metrics}"
    );

    // Fixed (with a key that needs a restart): the new gap reaches the running actor.
    ops.write_config(&config(
        &ops,
        "[dispatch]\nmailbox_queue = 64\nthrottle_cooldown = \"20m\"\n",
    ));
    daemon
        .wait_for(&["Configuration reloaded", "file change"], 1)
        .await;
    daemon
        .wait_for(&["Mailbox limits reloaded", "SMTP connection kept"], 1)
        .await;
    peer.wait_messages(3).await;
    assert_eq!(
        peer.connections(),
        1,
        "a reload must not reconnect SMTP:\n{}",
        daemon.log_text()
    );
    assert_eq!(
        daemon.count(&["Mailbox actor started."]),
        1,
        "{}",
        daemon.log_text()
    );
    assert!(
        daemon.count(&["restart the daemon", "dispatch.mailbox_queue"]) >= 1,
        "{}",
        daemon.log_text()
    );

    assert!(
        daemon.count(&[
            "Configuration key reloaded",
            "dispatch.throttle_cooldown",
            "20m"
        ]) >= 1,
        "{}",
        daemon.log_text()
    );

    // SIGHUP reloads as well.
    daemon.signal("HUP");
    daemon
        .wait_for(&["Configuration reloaded", "SIGHUP"], 1)
        .await;
    let metrics = http_get(port, "/metrics").await;
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("outreachd_config_reloads_total{result=\"ok\"}")),
        "{metrics}"
    );
    let log = daemon.stop().await;
    assert!(log.contains("outreachd stopped."), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_to_a_running_daemons_database_reaches_its_actors_without_reconnecting() {
    let peer = SmtpPeer::start().await;
    let ops = Ops::new();
    ops.write_apply(&apply_file(
        "127.0.0.1",
        peer.port,
        SLOW,
        &campaign("Ops", ""),
    ));
    ops.apply();
    ops.enrol("Ops", &["a1@rcpt.test", "a2@rcpt.test", "a3@rcpt.test"]);
    ops.write_config("[server]\nport = 0\n[daemon]\nreconcile_interval = \"1s\"\n");
    let cfg = ops.config.display().to_string();
    let log = ops.dir.path().join("daemon.log");
    let mut daemon = Daemon::start(&["--config", &cfg, "run"], &ops.env, &log);
    peer.wait_messages(1).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(peer.messages(), 1, "the gap must hold the second send");

    // `outreachd apply` in another process: a faster gap and a changed campaign.
    let campaigns = campaign("Ops", "daily_new_leads_cap = 50");
    ops.write_apply(&apply_file("127.0.0.1", peer.port, FAST, &campaigns));
    let applied = ops.apply();
    assert!(applied.contains("updated"), "{applied}");
    daemon
        .wait_for(&["A running campaign changed", "reload their plan"], 1)
        .await;
    peer.wait_messages(3).await;
    assert_eq!(peer.connections(), 1, "{}", daemon.log_text());
    assert_eq!(daemon.count(&["Mailbox actor started."]), 1);
    daemon.stop().await;
}
