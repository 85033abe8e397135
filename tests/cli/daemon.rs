//! A background `outreachd run` whose log goes to a file, and a minimal SMTP peer that counts
//! connections, logins and messages (the reload tests must see that a reload keeps the one
//! SMTP connection, and the log tests need a server that accepts any password).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// Generous: the test machine is slow and busy.
pub const WAIT: Duration = Duration::from_secs(90);

pub struct Daemon {
    child: Child,
    pub log: PathBuf,
}

impl Daemon {
    /// Starts `outreachd ARGS` with the test environment (as `helpers::outreachd` builds it),
    /// stderr to `log`.
    pub fn start(args: &[&str], env: &HashMap<String, String>, log: &Path) -> Self {
        let file = std::fs::File::create(log).expect("log file");
        let child = crate::support::binary::command()
            .args(args)
            .envs(env)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("start outreachd");
        Self {
            child,
            log: log.to_owned(),
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Log lines containing every one of `needles`.
    pub fn count(&self, needles: &[&str]) -> usize {
        self.log_text()
            .lines()
            .filter(|l| needles.iter().all(|n| l.contains(n)))
            .count()
    }

    /// Waits until `count(needles) >= n`; panics with the log after [`WAIT`].
    pub async fn wait_for(&mut self, needles: &[&str], n: usize) {
        let deadline = Instant::now() + WAIT;
        while self.count(needles) < n {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("outreachd exited ({status}):\n{}", self.log_text());
            }
            assert!(
                Instant::now() < deadline,
                "no {n} log line(s) with {needles:?} after {WAIT:?}:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// SIGTERM, then waits for the exit (killing after [`WAIT`]).
    pub async fn stop(mut self) -> String {
        self.signal("TERM");
        let deadline = Instant::now() + WAIT;
        loop {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!("outreachd did not stop on SIGTERM:\n{}", self.log_text());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.log_text()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What the peer saw.
#[derive(Default)]
pub struct Counts {
    pub connections: AtomicUsize,
    pub logins: AtomicUsize,
    pub messages: AtomicUsize,
}

/// A minimal SMTP server on a free loopback port: EHLO offers AUTH PLAIN LOGIN and accepts
/// any login, every transaction is accepted and counted. Enough for our client, nothing more.
pub struct SmtpPeer {
    pub port: u16,
    pub counts: Arc<Counts>,
    task: tokio::task::JoinHandle<()>,
}

impl SmtpPeer {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let counts = Arc::new(Counts::default());
        let shared = counts.clone();
        let task = tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                shared.connections.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(session(socket, shared.clone()));
            }
        });
        Self { port, counts, task }
    }

    pub fn connections(&self) -> usize {
        self.counts.connections.load(Ordering::SeqCst)
    }

    pub fn messages(&self) -> usize {
        self.counts.messages.load(Ordering::SeqCst)
    }

    /// Waits until at least `n` messages arrived; panics after [`WAIT`].
    pub async fn wait_messages(&self, n: usize) {
        let deadline = Instant::now() + WAIT;
        while self.messages() < n {
            assert!(
                Instant::now() < deadline,
                "only {} of {n} messages after {WAIT:?}",
                self.messages()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for SmtpPeer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn session(socket: tokio::net::TcpStream, counts: Arc<Counts>) {
    let (read, mut write) = socket.into_split();
    let mut lines = BufReader::new(read).lines();
    if write.write_all(b"220 peer.test ESMTP\r\n").await.is_err() {
        return;
    }
    let mut in_data = false;
    let mut auth_login_step = 0;
    while let Ok(Some(line)) = lines.next_line().await {
        let answer: String = if in_data {
            if line == "." {
                in_data = false;
                counts.messages.fetch_add(1, Ordering::SeqCst);
                "250 2.0.0 queued\r\n".to_owned()
            } else {
                continue;
            }
        } else if auth_login_step > 0 {
            auth_login_step -= 1;
            if auth_login_step == 0 {
                counts.logins.fetch_add(1, Ordering::SeqCst);
                "235 2.7.0 ok\r\n".to_owned()
            } else {
                "334 UGFzc3dvcmQ6\r\n".to_owned()
            }
        } else {
            let verb = line
                .split_whitespace()
                .next()
                .unwrap_or("")
                .to_ascii_uppercase();
            match verb.as_str() {
                "EHLO" => "250-peer.test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n".to_owned(),
                "HELO" => "250 peer.test\r\n".to_owned(),
                "AUTH" if line.to_ascii_uppercase().starts_with("AUTH LOGIN") => {
                    auth_login_step = 2;
                    "334 VXNlcm5hbWU6\r\n".to_owned()
                }
                "AUTH" => {
                    counts.logins.fetch_add(1, Ordering::SeqCst);
                    "235 2.7.0 ok\r\n".to_owned()
                }
                "DATA" => {
                    in_data = true;
                    "354 go ahead\r\n".to_owned()
                }
                "QUIT" => {
                    let _ = write.write_all(b"221 bye\r\n").await;
                    return;
                }
                _ => "250 2.0.0 ok\r\n".to_owned(),
            }
        };
        if write.write_all(answer.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// `GET path` on 127.0.0.1:`port`; the body.
pub async fn http_get(port: u16, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect to the daemon");
    let request = format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .expect("send request");
    let mut body = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut stream, &mut body)
        .await
        .expect("read response");
    body
}

/// The HTTP port from the daemon's "outreachd is listening." line (JSON or human).
pub fn listening_port(log: &str) -> u16 {
    let line = log
        .lines()
        .find(|l| l.contains("outreachd is listening"))
        .expect("listening line");
    let after = line
        .split("port")
        .nth(1)
        .expect("port field")
        .trim_start_matches(['"', ':', '='])
        .trim_start();
    after
        .chars()
        .take_while(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .expect("port number")
}
