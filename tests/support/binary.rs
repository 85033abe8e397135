//! Running the real `outreachd` binary from tests.
#![allow(dead_code)] // each command's tests use a different subset

use std::collections::HashMap;
use std::process::{Command, Output};

/// Runs `outreachd ARGS` and waits for it, returning its exit status, stdout and stderr.
///
/// The child gets this process's environment minus every `OUTREACHD*` variable (so a
/// developer's own settings cannot leak into a test), plus `env`: pass at least
/// `OUTREACHD__DATABASE__URL` and `OUTREACHD__DAEMON__DATA_DIR` (see [`sqlite_env`]). Logs go
/// to stderr, so stdout holds only what the command prints for people.
pub fn outreachd(args: &[&str], env: &HashMap<String, String>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_outreachd"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("OUTREACHD") {
            command.env_remove(key);
        }
    }
    command
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
