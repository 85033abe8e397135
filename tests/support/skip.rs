//! What a test does when a peer or tool it needs is missing (mail peers, promtool, npm, a
//! python3 with dkimpy): under CI it fails, because scripts/test.sh provides every one of them
//! and a check that silently did not run is a check that passed for nothing; elsewhere it is
//! skipped, and says so in one line per test, so a developer sees what did not run.
//!
//! The line goes to stderr outside libtest's output capture (so `cargo test` shows it for a
//! passing test too) and, when `OUTREACHD_TEST_SKIPS` names a file, is appended to it:
//! scripts/test.sh lists that file at the end, since nextest shows no output of passing tests.

use std::io::Write as _;
use std::path::PathBuf;

/// Whether tests run under CI: `CI` set to anything but empty or `false`.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false")
}

/// The running test cannot do its work because `missing` is not there; `remedy` says how to get
/// it. Under CI this fails the test; elsewhere it prints `SKIPPED <test>: <missing>; <remedy>`
/// and the caller returns (or leaves out the part that needs it).
pub fn missing(missing: &str, remedy: &str) {
    assert!(!under_ci(), "CI is set but {missing}; {remedy}");
    let line = format!("SKIPPED {}: {missing}; {remedy}", test_name());
    // Written to the stream itself: libtest captures `eprintln!` of passing tests.
    let _ = writeln!(std::io::stderr(), "{line}");
    if let Some(path) = std::env::var_os("OUTREACHD_TEST_SKIPS")
        && let Ok(mut file) = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
    {
        let _ = writeln!(file, "{line}");
    }
}

/// A test that needs the mail peers found them missing; `variables` names what was unset.
pub fn skip_without_mail_peers(variables: &str) {
    missing(
        &format!("no mail peers ({variables} unset)"),
        "run scripts/test.sh, or scripts/mail-peers/start.sh and source $MAILPEERS_DIR/env.sh",
    );
}

/// `program` on PATH or in the usual bin and sbin directories (where Debian puts promtool and
/// Postfix), or `None` after [`missing`] when it is not installed; `remedy` says how to get it.
pub fn program(program: &str, remedy: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(["/usr/local/bin", "/usr/bin", "/usr/sbin"].map(PathBuf::from));
    let found = dirs
        .into_iter()
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file());
    if found.is_none() {
        missing(&format!("{program} is not installed"), remedy);
    }
    found
}

/// The running test's name: libtest runs each test on a thread named after it.
fn test_name() -> String {
    std::thread::current()
        .name()
        .filter(|name| *name != "main")
        .unwrap_or("a test")
        .to_owned()
}
