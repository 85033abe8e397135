//! The real `outreachd` binary as a child process: started with an explicit environment (none
//! of the developer's `OUTREACHD*` or `RUST_LOG` variables leak in), its log in a file, stopped
//! by SIGKILL or SIGTERM, and waited for with a deadline. A daemon still running when its
//! handle is dropped is killed, so a failing test leaves no process behind; its log is kept
//! in `$OUTREACHD_TEST_KEEP_LOGS` when that names a directory.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// One `outreachd` process.
pub struct Daemon {
    name: String,
    child: Child,
    log: PathBuf,
    exited: Option<ExitStatus>,
}

impl Daemon {
    /// Starts `outreachd ARGS` with exactly `env` (plus PATH and HOME), logging to
    /// `<log_dir>/<name>.log`.
    pub fn start(name: &str, args: &[&str], env: &HashMap<String, String>, log_dir: &Path) -> Self {
        let log = log_dir.join(format!("{name}.log"));
        let file = std::fs::File::create(&log).expect("create the daemon log");
        let child = crate::support::binary::command()
            .args(args)
            .envs(env)
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log file"))
            .stderr(file)
            .spawn()
            .expect("start the outreachd binary");
        Self {
            name: name.to_owned(),
            child,
            log,
            exited: None,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, as a crash or the OOM killer would: no cleanup runs.
    pub fn kill_hard(&mut self) {
        if self.exited.is_none() {
            let _ = self.child.kill();
            self.exited = self.child.wait().ok();
        }
    }

    /// SIGTERM, as systemd or Kubernetes would: the daemon drains and exits on its own.
    pub fn terminate(&self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -TERM {} failed", self.pid());
    }

    /// Whether the process is still running.
    pub fn running(&mut self) -> bool {
        if self.exited.is_none() {
            self.exited = self.child.try_wait().expect("poll the daemon");
        }
        self.exited.is_none()
    }

    /// Waits for the process to exit on its own; fails the test (with the log) after `limit`.
    pub async fn wait_exit(&mut self, limit: Duration) -> ExitStatus {
        let start = Instant::now();
        while self.running() {
            if start.elapsed() > limit {
                panic!(
                    "{} did not exit within {limit:?}; log tail:\n{}",
                    self.name,
                    self.log_tail(60)
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.exited.expect("exited")
    }

    /// The last `lines` lines of the daemon's log, for failure messages.
    pub fn log_tail(&self, lines: usize) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let all: Vec<&str> = text.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// The daemon's HTTP port, from its "outreachd is listening." log line.
    pub async fn port(&mut self, limit: Duration) -> u16 {
        let start = Instant::now();
        loop {
            let log = strip_ansi(&self.log());
            let port = log
                .lines()
                .filter(|l| l.contains("outreachd is listening"))
                .find_map(|l| {
                    let at = l.find("port")? + "port".len();
                    let digits: String = l[at..]
                        .chars()
                        .skip_while(|c| !c.is_ascii_digit())
                        .take_while(char::is_ascii_digit)
                        .collect();
                    digits.parse().ok()
                });
            if let Some(port) = port {
                return port;
            }
            assert!(
                self.running(),
                "{} exited:\n{}",
                self.name,
                self.log_tail(30)
            );
            assert!(
                start.elapsed() < limit,
                "{} never listened:\n{}",
                self.name,
                log
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What the daemon's `/metrics` says it sent (`outreachd_sends_total{outcome="sent"}`).
    pub async fn sent_total(&mut self) -> u64 {
        let port = self.port(Duration::from_secs(60)).await;
        let body = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
            .await
            .expect("GET /metrics")
            .text()
            .await
            .expect("metrics body");
        body.lines()
            .filter(|l| l.starts_with("outreachd_sends_total{") && l.contains("outcome=\"sent\""))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>() as u64
    }

    /// The whole log.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.kill_hard();
        // `OUTREACHD_TEST_KEEP_LOGS=<dir>` keeps every daemon's log (CI artifacts, debugging).
        if let Some(dir) = std::env::var_os("OUTREACHD_TEST_KEEP_LOGS") {
            let dir = PathBuf::from(dir);
            let _ = std::fs::create_dir_all(&dir);
            let name = format!("{}-{}.log", self.name, self.pid());
            let _ = std::fs::copy(&self.log, dir.join(name));
        }
    }
}

/// The text without terminal colour codes (`ESC [ ... m`), which the human log format uses.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn colour_codes_are_stripped_from_log_lines() {
    let line = "x \u{1b}[3mport\u{1b}[0m\u{1b}[2m=\u{1b}[0m45889 y";
    assert_eq!(strip_ansi(line), "x port=45889 y");
}
