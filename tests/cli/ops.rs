//! A small operations setup shared by the plan, explain, reload and log tests: a temp dir with
//! an apply file (workspace "ops", mailbox sender1@example.test, campaigns), a leads CSV and a
//! daemon config file.

use std::collections::HashMap;
use std::path::PathBuf;

use crate::helpers::{outreachd, sqlite_env, stderr, stdout};

pub const MAILBOX: &str = "sender1@example.test";
pub const SMTP_PASSWORD: &str = "Mbx-Pa55-Secret-9f3c";

/// An apply file: one mailbox (`mailbox` holds extra keys such as caps; `host`/`port` its
/// server) and the campaigns given as `[[campaigns]]` blocks (see [`campaign`]).
pub fn apply_file(host: &str, port: u16, mailbox: &str, campaigns: &str) -> String {
    format!(
        r#"[workspace]
name = "ops"

[[mailboxes]]
address = "{MAILBOX}"
from_name = "Sender One"
{mailbox}
smtp = {{ host = "{host}", port = {port}, security = "plain", password_env = "OPS_SMTP_PASSWORD" }}

{campaigns}"#
    )
}

/// A running one-step campaign on the mailbox; `extra` adds keys such as a window.
pub fn campaign(name: &str, extra: &str) -> String {
    format!(
        r#"[[campaigns]]
name = "{name}"
goal = "Test the limits"
status = "running"
mailboxes = ["{MAILBOX}"]
{extra}

[[campaigns.steps]]
delay = "0s"
subject = "Hello {{{{ first_name }}}}"
body = "Hi {{{{ first_name }}}}, a quick note."

"#
    )
}

pub struct Ops {
    pub dir: tempfile::TempDir,
    pub env: HashMap<String, String>,
    pub apply: PathBuf,
    pub config: PathBuf,
}

impl Ops {
    /// A temp dir on SQLite with the mailbox password variable set.
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut env = sqlite_env(dir.path());
        env.insert("OPS_SMTP_PASSWORD".into(), SMTP_PASSWORD.into());
        let apply = dir.path().join("ops.toml");
        let config = dir.path().join("outreachd.toml");
        Self {
            dir,
            env,
            apply,
            config,
        }
    }

    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    pub fn write_apply(&self, text: &str) {
        std::fs::write(&self.apply, text).expect("write apply file");
    }

    pub fn write_config(&self, text: &str) {
        std::fs::write(&self.config, text).expect("write config file");
    }

    /// Runs `outreachd ARGS`, asserting success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let output = outreachd(args, &self.env);
        assert!(
            output.status.success(),
            "outreachd {args:?} failed:\n{}{}",
            stdout(&output),
            stderr(&output)
        );
        stdout(&output)
    }

    pub fn apply(&self) -> String {
        let file = self.apply.display().to_string();
        self.ok(&["apply", "-f", &file])
    }

    /// Imports `emails` (first names Lead1..) and enrols them into `campaign`.
    pub fn enrol(&self, campaign: &str, emails: &[&str]) {
        let mut csv = String::from("email,first_name\n");
        for (i, email) in emails.iter().enumerate() {
            csv.push_str(&format!("{email},Lead{i}\n"));
        }
        let file = self.path(&format!("leads-{}.csv", uuid::Uuid::new_v4().simple()));
        std::fs::write(&file, csv).expect("write csv");
        self.ok(&["import-leads", "-w", "ops", &file, "--campaign", campaign]);
    }
}
