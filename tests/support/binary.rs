//! The real `outreachd` binary as a child process: a command whose environment no developer
//! setting leaks into, a one-shot run, and the environment and settings of a SQLite-backed
//! tool or daemon in a temp dir.

use std::collections::HashMap;
use std::process::{Command, Output};

/// `outreachd` with this process's environment minus every `OUTREACHD*` variable and
/// `RUST_LOG`, so a developer's own settings and log level cannot leak into a test; the caller
/// adds what the test needs.
pub fn command() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_outreachd"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("OUTREACHD") || key == "RUST_LOG" {
            command.env_remove(key);
        }
    }
    command
}

/// Runs `outreachd ARGS` and waits for it, returning its exit status, stdout and stderr.
///
/// The child gets [`command`]'s environment plus `env`: pass at least
/// `OUTREACHD__DATABASE__URL` and `OUTREACHD__DAEMON__DATA_DIR` (see [`sqlite_env`]). Logs go
/// to stderr, so stdout holds only what the command prints for people.
pub fn outreachd(args: &[&str], env: &HashMap<String, String>) -> Output {
    command()
        .args(args)
        .envs(env)
        .output()
        .expect("run the outreachd binary")
}

/// The environment for a daemon or tool using `<dir>/outreachd.db` (the key file is created in
/// `dir` on first use).
pub fn sqlite_env(dir: &std::path::Path) -> HashMap<String, String> {
    HashMap::from([
        (
            "OUTREACHD__DATABASE__URL".to_owned(),
            format!("sqlite://{}", dir.join("outreachd.db").display()),
        ),
        (
            "OUTREACHD__DAEMON__DATA_DIR".to_owned(),
            dir.display().to_string(),
        ),
    ])
}

/// The settings the binary would load with `env`, for opening the same store in the test.
pub fn settings(env: &HashMap<String, String>) -> outreachd::config::Settings {
    outreachd::config::load(&[], env)
        .expect("load settings")
        .settings
}

/// Stdout as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Stderr as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}
