//! Logs of a full daemon run, in both formats, never contain a secret: the mailbox password
//! (sent over SMTP AUTH), the LLM API key, the database password, the encryption key.

use base64::Engine;

use crate::daemon::SmtpPeer;
use crate::helpers::{outreachd, stderr, stdout};
use crate::ops::{MAILBOX, Ops, SMTP_PASSWORD, apply_file, campaign};
use crate::support::{TEST_KEY_BASE64, drop_postgres_database, fresh_postgres_url};

const API_KEY: &str = "sk-test-LLM-KEY-77a1c9";
const DB_PASSWORD: &str = "Db-Pa55-Secret-41d0";
const LINK_SECRET: &str = "link-secret-0b8e5d7a9c-4f1e2d3c4b5a6978";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_appears_in_the_logs_of_a_full_run_in_either_format() {
    let peer = SmtpPeer::start().await;
    let url = fresh_postgres_url().await;
    let with_password = url.replacen(
        "postgres://postgres@",
        &format!("postgres://postgres:{DB_PASSWORD}@"),
        1,
    );
    assert_ne!(url, with_password, "the test URL has the expected form");
    let mut ops = Ops::new();
    ops.env
        .insert("OUTREACHD__DATABASE__URL".into(), with_password.clone());
    ops.env.insert(
        "OUTREACHD__SECURITY__ENCRYPTION_KEY".into(),
        TEST_KEY_BASE64.into(),
    );
    ops.write_config(&format!(
        "[server]\nport = 0\n[log]\nlevel = \"debug\"\n[daemon]\nreconcile_interval = \"1s\"\n\
         [dispatch]\nidle_period = \"1s\"\n[tracking]\nlink_secret = \"{LINK_SECRET}\"\n\
         [ai.openai]\napi_key = \"{API_KEY}\"\n"
    ));
    let cfg = ops.config.display().to_string();
    ops.write_apply(&apply_file(
        "127.0.0.1",
        peer.port,
        "min_gap = \"0s\"\nmax_gap = \"0s\"",
        &campaign("Ops", ""),
    ));
    let file = ops.apply.display().to_string();
    let mut logs = String::new();
    let mut run = |args: &[&str]| {
        let out = outreachd(args, &ops.env);
        let text = stdout(&out) + &stderr(&out);
        assert!(out.status.success(), "outreachd {args:?} failed:\n{text}");
        logs.push_str(&text);
    };
    run(&["--config", &cfg, "apply", "-f", &file]);
    run(&["--config", &cfg, "check-config"]);
    ops.enrol("Ops", &["h1@rcpt.test", "h2@rcpt.test"]);
    run(&[
        "--config",
        &cfg,
        "--log-format",
        "human",
        "run",
        "--until-idle",
    ]);
    assert_eq!(peer.messages(), 2);
    ops.enrol("Ops", &["j1@rcpt.test", "j2@rcpt.test"]);
    run(&[
        "--config",
        &cfg,
        "--log-format",
        "json",
        "run",
        "--until-idle",
    ]);
    assert_eq!(peer.messages(), 4);
    assert!(peer.counts.logins.load(std::sync::atomic::Ordering::SeqCst) >= 2);

    assert!(logs.contains("outreachd is listening"), "{logs}");
    assert!(logs.contains("\"message\":"), "no JSON lines:\n{logs}");
    assert!(logs.contains(" INFO "), "no human lines:\n{logs}");
    assert!(
        logs.contains("DEBUG") || logs.contains("\"level\":\"DEBUG\""),
        "the run logs at debug:\n{logs}"
    );
    let auth_plain =
        base64::engine::general_purpose::STANDARD.encode(format!("\0{MAILBOX}\0{SMTP_PASSWORD}"));
    let password_b64 = base64::engine::general_purpose::STANDARD.encode(SMTP_PASSWORD);
    for secret in [
        SMTP_PASSWORD,
        API_KEY,
        DB_PASSWORD,
        TEST_KEY_BASE64,
        LINK_SECRET,
        &auth_plain,
        &password_b64,
    ] {
        assert!(
            !logs.contains(secret),
            "{secret:?} leaked into the logs:\n{logs}"
        );
    }
    drop_postgres_database(&url);
}
