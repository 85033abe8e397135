//! A second Dovecot, private to one test, that the test may stop and start without disturbing
//! the shared peers other tests use. Its configuration is the shared peers' `dovecot.conf`
//! (written by `scripts/mail-peers/start.sh`) with its own directory (base_dir, state, log,
//! users, maildirs) and its own IMAP port; LMTP's TCP listener is off.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::peers::Peers;
use crate::setup::PATIENCE;

pub struct PrivateDovecot {
    /// Laid out like the shared peers' directory (`dovecot/`, `mail/`), so [`Peers`] helpers
    /// work against it unchanged.
    pub peers: Peers,
    conf: PathBuf,
    // Removed on drop, after the server is stopped.
    _dir: tempfile::TempDir,
}

fn port_open(port: u16) -> bool {
    std::net::TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(200),
    )
    .is_ok()
}

/// A free port below Linux's ephemeral range (as start.sh picks them), so an outgoing
/// connection cannot take it between now and Dovecot's bind.
fn free_port() -> u16 {
    let start = 15_000 + (uuid::Uuid::new_v4().as_u128() % 15_000) as u16;
    (0..15_000u16)
        .map(|i| 15_000 + (start - 15_000 + i) % 15_000)
        .find(|p| std::net::TcpListener::bind(("127.0.0.1", *p)).is_ok() && !port_open(*p))
        .expect("a free port")
}

async fn wait(what: &str, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < PATIENCE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

impl PrivateDovecot {
    /// Copies the shared configuration into a new directory and starts Dovecot there.
    pub async fn start(shared: &Peers) -> Self {
        let dir = tempfile::Builder::new()
            .prefix("outreachd-dovecot-")
            .tempdir()
            .expect("a temp dir");
        let root = dir.path().to_path_buf();
        let shared_conf = std::fs::read_to_string(shared.dir.join("dovecot/dovecot.conf"))
            .expect("read the shared dovecot.conf");
        let port = free_port();
        let lmtp = std::env::var("LMTP_PORT").unwrap_or_default();
        let old = format!("{}/", shared.dir.display());
        let new = format!("{}/", root.display());
        let conf: String = shared_conf
            .replace(&old, &new)
            .replace(
                "instance_name = mailpeers",
                &format!("instance_name = mailpeers-{port}"),
            )
            .lines()
            .map(|l| {
                let t = l.trim();
                if t == format!("port = {}", shared.imap_port) {
                    format!("    port = {port}")
                } else if !lmtp.is_empty() && t == format!("port = {lmtp}") {
                    "    port = 0".to_owned()
                } else {
                    l.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        assert!(conf.contains(&format!("port = {port}")), "{conf}");
        std::fs::create_dir_all(root.join("dovecot")).expect("mkdir dovecot");
        std::fs::create_dir_all(root.join("mail")).expect("mkdir mail");
        let users = std::fs::read_to_string(shared.dir.join("dovecot/users")).expect("users");
        let first = users
            .lines()
            .next()
            .expect("a Dovecot user")
            .replace(&old, &new);
        std::fs::write(root.join("dovecot/users"), format!("{first}\n")).expect("users");
        let conf_path = root.join("dovecot/dovecot.conf");
        std::fs::write(&conf_path, conf).expect("write dovecot.conf");
        // The maildirs belong to the users' uid/gid (Debian's "mail"); Dovecot reads the
        // passwd-file as root, the temp dir must be reachable by "mail".
        let fields: Vec<&str> = first.split(':').collect();
        let (uid, gid) = (fields[2].parse().ok(), fields[3].parse().ok());
        std::os::unix::fs::chown(root.join("mail"), uid, gid).expect("chown mail");
        for p in [root.as_path(), &root.join("dovecot"), &root.join("mail")] {
            set_mode(p, 0o755);
        }
        let this = Self {
            peers: Peers {
                imap_port: port,
                dir: root,
                domain: shared.domain.clone(),
                password: shared.password.clone(),
            },
            conf: conf_path,
            _dir: dir,
        };
        this.launch().await;
        this
    }

    fn pid_file(&self) -> PathBuf {
        self.peers.dir.join("dovecot/run/master.pid")
    }

    async fn launch(&self) {
        let status = Command::new("dovecot")
            .arg("-c")
            .arg(&self.conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run dovecot");
        assert!(status.success(), "dovecot did not start");
        let port = self.peers.imap_port;
        wait("the private Dovecot to listen", || port_open(port)).await;
    }

    /// The master's PID, if it runs.
    fn pid(&self) -> Option<String> {
        let pid = std::fs::read_to_string(self.pid_file()).ok()?;
        let pid = pid.trim().to_owned();
        alive(&pid).then_some(pid)
    }

    /// Stops the server (every connection drops) and waits until it is gone.
    pub async fn stop(&self) {
        let Some(pid) = self.pid() else { return };
        let _ = Command::new("kill").arg(&pid).status();
        let port = self.peers.imap_port;
        wait("the private Dovecot to stop", || {
            !alive(&pid) && !port_open(port)
        })
        .await;
    }

    /// Stops the server and starts it again on the same port and directories.
    pub async fn restart(&self) {
        self.stop().await;
        self.launch().await;
    }
}

fn alive(pid: &str) -> bool {
    Command::new("kill")
        .args(["-0", pid])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
}

/// A test that panicked before [`PrivateDovecot::stop`] still stops its server (without
/// waiting: it exits within moments, and its directory goes with the `TempDir`).
impl Drop for PrivateDovecot {
    fn drop(&mut self) {
        if let Some(pid) = self.pid() {
            let _ = Command::new("kill").arg(&pid).status();
        }
    }
}
