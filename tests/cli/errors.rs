//! Bad input anywhere gives one clear line naming what is wrong and a non-zero exit code; never
//! a panic, a backtrace or a secret.

use crate::helpers::{outreachd, sqlite_env, stderr};

fn assert_one_clear_line(output: &std::process::Output, must_contain: &[&str]) {
    assert!(!output.status.success(), "must fail");
    let err = stderr(output);
    let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(lines.len(), 1, "one error line, got:\n{err}");
    for needle in must_contain {
        assert!(
            lines[0].contains(needle),
            "{needle:?} missing from {:?}",
            lines[0]
        );
    }
    assert!(
        !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
}

#[test]
fn a_config_file_with_an_unknown_key_names_the_file_the_line_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    std::fs::write(
        &file,
        "[database]\nurl = \"sqlite://x.db\"\nmax_conections = 3\n",
    )
    .unwrap();
    let out = outreachd(
        &["--config", file.to_str().unwrap(), "check-config"],
        &sqlite_env(dir.path()),
    );
    assert_one_clear_line(&out, &["bad.toml", "line 3", "max_conections"]);
}

#[test]
fn malformed_toml_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("broken.toml");
    std::fs::write(&file, "[server\nport = 1\n").unwrap();
    let out = outreachd(
        &["--config", file.to_str().unwrap(), "migrate"],
        &sqlite_env(dir.path()),
    );
    assert_one_clear_line(&out, &["broken.toml", "line 1"]);
}

#[test]
fn a_bad_rate_or_duration_in_the_environment_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = sqlite_env(dir.path());
    env.insert(
        "OUTREACHD__MAILBOX_DEFAULTS__MIN_GAP".into(),
        "sixty".into(),
    );
    let out = outreachd(&["check-config"], &env);
    assert_one_clear_line(&out, &["sixty"]);
}

#[test]
fn an_unreachable_database_is_a_clear_error_without_its_password() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = sqlite_env(dir.path());
    // Port 1 on loopback: nothing listens, the connection is refused at once.
    env.insert(
        "OUTREACHD__DATABASE__URL".into(),
        "postgres://bob:hunter2@127.0.0.1:1/x".into(),
    );
    env.insert(
        "OUTREACHD__SECURITY__ENCRYPTION_KEY".into(),
        crate::support::TEST_KEY_BASE64.into(),
    );
    let out = outreachd(&["migrate"], &env);
    assert_one_clear_line(&out, &["cannot reach the database", "127.0.0.1:1"]);
    assert!(!stderr(&out).contains("hunter2"));
}

#[test]
fn an_unsupported_database_url_is_rejected_by_check_config() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = sqlite_env(dir.path());
    env.insert("OUTREACHD__DATABASE__URL".into(), "mysql://x/y".into());
    let out = outreachd(&["check-config"], &env);
    assert_one_clear_line(&out, &["database.url"]);
}

#[test]
fn postgres_without_an_encryption_key_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut env = sqlite_env(dir.path());
    env.insert(
        "OUTREACHD__DATABASE__URL".into(),
        crate::support::pg_admin_url(),
    );
    env.remove("OUTREACHD__SECURITY__ENCRYPTION_KEY");
    let out = outreachd(&["migrate"], &env);
    assert_one_clear_line(&out, &["no encryption key", "security.encryption_key"]);
}

#[test]
fn a_wrong_encryption_key_is_refused_at_start_up() {
    let dir = tempfile::tempdir().unwrap();
    let env = sqlite_env(dir.path());
    assert!(
        outreachd(&["migrate"], &env).status.success(),
        "first run creates the key file"
    );
    let mut other = env.clone();
    other.insert(
        "OUTREACHD__SECURITY__ENCRYPTION_KEY".into(),
        "ZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmY=".into(),
    );
    let out = outreachd(&["migrate"], &other);
    assert_one_clear_line(&out, &["encryption key"]);
}

#[test]
fn sqlite_without_a_key_creates_a_private_key_file_once() {
    let dir = tempfile::tempdir().unwrap();
    let env = sqlite_env(dir.path());
    let first = outreachd(&["migrate"], &env);
    assert!(first.status.success(), "{}", stderr(&first));
    let key = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .flat_map(|p| {
            if p.is_dir() {
                std::fs::read_dir(p)
                    .unwrap()
                    .flatten()
                    .map(|e| e.path())
                    .collect()
            } else {
                vec![p]
            }
        })
        .find(|p| p.file_name().is_some_and(|n| n == "encryption.key"))
        .expect("a key file in the data dir");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert!(stderr(&first).contains("Created a new encryption key file"));
    let second = outreachd(&["migrate"], &env);
    assert!(
        !stderr(&second).contains("Created a new encryption key file"),
        "said once"
    );
}
