//! `outreachd campaign run-now` through the real binary: pending steps go out now, ignoring
//! delays and the sending window, with a line per lead and a summary.

use std::collections::HashMap;
use std::process::Command;

use outreachd::domain::{SendWindow, SendingRules};

use crate::fixtures::{lead_states, step, summary};
use crate::sink::Sink;
use crate::support::{self, TestBackend};

fn run_now(env: &HashMap<String, String>) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_outreachd"))
        .args(["campaign", "run-now", "-w", "acme", "Q4"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(env)
        .output()
        .expect("run outreachd");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

async fn run_now_sends_pending_steps_ignoring_delays_and_the_window(backend: TestBackend) {
    let sink = Sink::start(&[]).await;
    let ts = support::test_store(backend).await;
    let store = ts.store.as_ref();
    // A window that is closed right now (a one-hour window twelve hours away, every day).
    let now = chrono::Utc::now();
    let start = (now + chrono::TimeDelta::hours(12))
        .format("%H:00")
        .to_string();
    let end_hour = (now + chrono::TimeDelta::hours(13))
        .format("%H")
        .to_string();
    let end = if end_hour == "00" {
        "24:00".to_owned()
    } else {
        format!("{end_hour}:00")
    };
    let window = SendWindow::parse("mon-sun", &start, &end).unwrap_or(SendWindow::ALWAYS);
    let steps = vec![
        step("0s", Some("Hi {{ first_name }}"), "One."),
        step("1d", None, "Two."),
    ];
    let seeded = crate::fixtures::seed_with_rules(
        store,
        sink.port,
        2,
        4,
        steps,
        SendingRules {
            window,
            ..SendingRules::default()
        },
    )
    .await;

    let env: HashMap<String, String> = HashMap::from([
        ("OUTREACHD__DATABASE__URL".to_owned(), ts.url.clone()),
        (
            "OUTREACHD__SECURITY__ENCRYPTION_KEY".to_owned(),
            support::TEST_KEY_BASE64.to_owned(),
        ),
        (
            "OUTREACHD__DAEMON__DATA_DIR".to_owned(),
            ts.dir.path().display().to_string(),
        ),
        (
            "OUTREACHD__DAEMON__RECONCILE_INTERVAL".to_owned(),
            "100ms".to_owned(),
        ),
        (
            "OUTREACHD__DISPATCH__IDLE_PERIOD".to_owned(),
            "1s".to_owned(),
        ),
        (
            "OUTREACHD__DISPATCH__COMPLETION_FLUSH".to_owned(),
            "10ms".to_owned(),
        ),
        ("OUTREACHD__LOG__LEVEL".to_owned(), "warn".to_owned()),
    ]);
    let (ok, text) = run_now(&env);
    assert!(ok, "{text}");
    assert!(
        text.contains("Sent 4/4"),
        "step 1 despite the closed window:\n{text}"
    );
    assert_eq!(sink.dumps(4).await.len(), 4);

    // Step 2 is a day away: Run Now sends it now.
    let (ok, text) = run_now(&env);
    assert!(ok, "{text}");
    assert!(
        text.contains("Sent 4/4") && text.contains("step 2"),
        "{text}"
    );
    assert_eq!(sink.dumps(8).await.len(), 8);
    let s = summary(store, seeded.workspace).await;
    assert_eq!(lead_states(&s).get("completed"), Some(&4));

    // Nothing left: it says so.
    let (ok, text) = run_now(&env);
    assert!(ok && text.contains("Nothing to send"), "{text}");
}

crate::on_both_backends!(run_now_sends_pending_steps_ignoring_delays_and_the_window);
