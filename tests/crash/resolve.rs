//! After a SIGKILL mid-send, an operator lists the `unknown` sends and resolves each: `sent`
//! for those the server received (the lead moves on to its next step), `resend` for those it
//! did not (sent again with the same Message-ID). A last daemon finishes the campaign, and the
//! sink then holds every step of every lead exactly once.
//!
//! The sink waits a second before answering each DATA command, every mailbox marks one send at
//! a time and outcomes wait up to a second to be recorded, so at a kill a mailbox often has a
//! send on the wire that never reached the sink and one the sink accepted that is not recorded.

use std::collections::{HashMap, HashSet};

use crate::daemon::Daemon;
use crate::fixtures::Received;
use crate::scenario::{PATIENCE, Scenario};
use crate::support::TestBackend;

const LEADS: usize = 24;

/// SIGKILLs daemons mid-send until the sends left in doubt (`sending`, or `unknown` after an
/// earlier kill) include one the sink received and one it did not. Returns how many are in
/// doubt.
async fn kill_mid_send(s: &Scenario) -> usize {
    for attempt in 0..6 {
        let mut daemon = s.daemon(&format!("killed-{attempt}"), &["run"]);
        let target = s.count_sends("sent").await + 3;
        s.wait_sent(target, &mut daemon).await;
        daemon.kill_hard();
        let received = received_ids(s).await;
        let (arrived, missing): (Vec<_>, Vec<_>) = crate::ledger::send_rows(&s.url)
            .await
            .into_iter()
            .filter(|r| r.state == "sending" || r.state == "unknown")
            .partition(|r| {
                r.message_id
                    .as_ref()
                    .is_some_and(|id| received.contains_key(id))
            });
        if !arrived.is_empty() && !missing.is_empty() {
            return arrived.len() + missing.len();
        }
    }
    panic!(
        "six kills left no send in doubt both received and not: {:?}",
        s.states().await
    );
}

/// Runs a daemon with `--until-idle` to the end.
async fn run_until_idle(s: &Scenario, name: &str) {
    let mut daemon: Daemon = s.daemon(name, &["run", "--until-idle"]);
    let status = daemon.wait_exit(PATIENCE).await;
    assert!(status.success(), "{status}; log:\n{}", daemon.log_tail(60));
}

fn stdout(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "{}; stderr:\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// How often the sink received each Message-ID.
async fn received_ids(s: &Scenario) -> HashMap<String, usize> {
    let sent = s.count_sends("sent").await;
    let mut ids = HashMap::new();
    for dump in s.sink.dumps(usize::try_from(sent).unwrap_or(0)).await {
        let id = Received::parse(&dump)
            .header("message-id")
            .unwrap_or("<none>")
            .to_owned();
        *ids.entry(id).or_insert(0) += 1;
    }
    ids
}

async fn unknown_sends_after_a_sigkill_are_resolved_as_sent_or_resent_once(backend: TestBackend) {
    let s = Scenario::with_sink_faults(
        backend,
        LEADS,
        &[
            ("OUTREACHD__DISPATCH__SENDING_BATCH", "1"),
            // Accepted sends wait up to a second to be recorded: a kill catches some there.
            ("OUTREACHD__DISPATCH__COMPLETION_FLUSH", "1s"),
        ],
        &["-w", "1"],
    )
    .await;
    let in_doubt = kill_mid_send(&s).await;
    // A daemon after the crash: the sends in doubt become `unknown` (their leads parked), and
    // everything else is finished.
    run_until_idle(&s, "after-kill").await;

    let listed: Vec<serde_json::Value> =
        serde_json::from_str(&stdout(&s.tool(&["sends", "unknown", "--json"]))).unwrap();
    let unknown = s.count_sends("unknown").await;
    assert!(
        unknown >= in_doubt as i64 && listed.len() as i64 == unknown,
        "{in_doubt} in doubt at the kill, {unknown} unknown, listed {listed:#?}"
    );
    let text = stdout(&s.tool(&["sends", "unknown", "-w", "acme", "--campaign", "Q4"]));
    for send in &listed {
        let message_id = send["message_id"].as_str().unwrap();
        assert!(text.contains(message_id), "{text}");
    }

    let received = received_ids(&s).await;
    let (arrived, missing): (Vec<_>, Vec<_>) = listed
        .iter()
        .partition(|u| received.contains_key(u["message_id"].as_str().unwrap()));
    eprintln!(
        "unknown: {} received by the sink, {} not",
        arrived.len(),
        missing.len()
    );
    assert!(!arrived.is_empty() && !missing.is_empty());
    let ids = |sends: &[&serde_json::Value]| -> Vec<String> {
        sends
            .iter()
            .map(|u| u["send_id"].as_str().unwrap().to_owned())
            .collect()
    };
    for (sends, verdict) in [(&arrived, "sent"), (&missing, "resend")] {
        if sends.is_empty() {
            continue;
        }
        let mut args = vec!["sends", "resolve", "--as", verdict];
        let ids = ids(sends);
        args.extend(ids.iter().map(String::as_str));
        let out = stdout(&s.tool(&args));
        assert!(
            out.contains(&format!(
                "Resolved {n} of {n} send(s) as {verdict}.",
                n = ids.len()
            )),
            "{out}"
        );
    }
    assert!(
        stdout(&s.tool(&["sends", "unknown"])).contains("No unknown sends."),
        "every unknown send is resolved"
    );

    // The follow-ups of the leads resolved `sent`, and the resends, go out.
    run_until_idle(&s, "after-resolve").await;
    let ledger = s.ledger().await;
    eprintln!("{ledger}");
    ledger.assert_nothing_lost_nothing_twice();
    assert_eq!(ledger.unknown, 0, "{ledger}");
    let received = received_ids(&s).await;
    let resent: HashSet<&str> = missing
        .iter()
        .map(|u| u["message_id"].as_str().unwrap())
        .collect();
    for id in &resent {
        assert_eq!(
            received.get(*id),
            Some(&1),
            "{id} is sent again under the same Message-ID, once"
        );
    }
    assert_eq!(
        ledger.received,
        LEADS * crate::scenario::STEPS as usize,
        "every step of every lead arrived: {ledger}"
    );
}

crate::on_both_backends!(unknown_sends_after_a_sigkill_are_resolved_as_sent_or_resent_once);
