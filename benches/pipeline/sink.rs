//! One Postfix `smtp-sink` on a free loopback port that accepts and discards everything: no
//! dump files (`-d`), which would make the sink, not the client, the thing measured.

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

pub const SMTP_SINK: &str = "/usr/sbin/smtp-sink";

pub struct Sink {
    pub port: u16,
    child: Child,
}

impl Sink {
    /// `smtp-sink -a [-u postfix] 127.0.0.1:PORT 256`: `-a` offers no AUTH (smtp-sink's AUTH is
    /// fake); `-u` is required when running as root.
    pub async fn start() -> anyhow::Result<Self> {
        if !Path::new(SMTP_SINK).exists() {
            bail!("{SMTP_SINK} is missing: apt-get install postfix");
        }
        let port = free_port()?;
        let mut cmd = Command::new(SMTP_SINK);
        if running_as_root() {
            cmd.args(["-u", "postfix"]);
        }
        cmd.arg("-a")
            .arg(format!("127.0.0.1:{port}"))
            .arg("256")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = cmd.spawn().context("Failed to start smtp-sink")?;
        let sink = Self { port, child };
        sink.wait_listening().await?;
        Ok(sink)
    }

    async fn wait_listening(&self) -> anyhow::Result<()> {
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        bail!("smtp-sink did not listen on 127.0.0.1:{}", self.port)
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> anyhow::Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0").context("Failed to bind port 0")?;
    Ok(listener.local_addr()?.port())
}

/// `Uid:` of `/proc/self/status` (real, effective, ...): effective uid 0 means root.
pub fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|u| u == "0"))
        })
        .unwrap_or(false)
}
