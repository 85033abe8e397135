//! A second Dovecot, private to one test, that the test may stop and start without disturbing
//! the shared peers other tests use. Its configuration is the shared peers' `dovecot.conf`
//! (written by `scripts/mail-peers/start.sh`) with its own directory (base_dir, state, log,
//! users, maildirs) and its own IMAP port; LMTP's TCP listener is off. With
//! [`PrivateDovecot::start_tls`] it also speaks TLS: a certificate for `localhost` and
//! 127.0.0.1 from a private CA made with openssl, an imaps listener (implicit TLS) on its own
//! port, and STARTTLS on the plain port.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::peers::Peers;
use crate::setup::PATIENCE;

pub struct PrivateDovecot {
    /// Laid out like the shared peers' directory (`dovecot/`, `mail/`), so [`Peers`] helpers
    /// work against it unchanged.
    pub peers: Peers,
    /// Set by [`PrivateDovecot::start_tls`].
    pub tls: Option<DovecotTls>,
    conf: PathBuf,
    // Removed on drop, after the server is stopped.
    _dir: tempfile::TempDir,
}

/// The TLS side of a [`PrivateDovecot`].
pub struct DovecotTls {
    /// The implicit-TLS (imaps) port; the plain port offers STARTTLS.
    pub imaps_port: u16,
    /// The private CA that signed the server's certificate (PEM).
    pub ca_pem: String,
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
        Self::start_with(shared, false).await
    }

    /// Like [`PrivateDovecot::start`], with TLS (`ssl = yes`: implicit TLS on
    /// [`DovecotTls::imaps_port`], STARTTLS on the plain port).
    pub async fn start_tls(shared: &Peers) -> Self {
        Self::start_with(shared, true).await
    }

    async fn start_with(shared: &Peers, with_tls: bool) -> Self {
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
        let (conf, tls) = if with_tls {
            let imaps_port = loop {
                let p = free_port();
                if p != port {
                    break p;
                }
            };
            let certs = root.join("dovecot/tls");
            std::fs::create_dir_all(&certs).expect("mkdir tls");
            make_certificates(&certs);
            let c = certs.display();
            let imaps = "  inet_listener imaps {\n    port = 0\n  }";
            assert!(conf.contains(imaps), "{conf}");
            let conf = conf
                .replace(
                    imaps,
                    &format!(
                        "  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {imaps_port}\n  }}"
                    ),
                )
                .replace(
                    "ssl = no",
                    &format!("ssl = yes\nssl_cert = <{c}/leaf.pem\nssl_key = <{c}/leaf.key"),
                );
            let ca_pem = std::fs::read_to_string(certs.join("ca.pem")).expect("ca.pem");
            (conf, Some(DovecotTls { imaps_port, ca_pem }))
        } else {
            (conf, None)
        };
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
            tls,
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
        let imaps = self.tls.as_ref().map(|t| t.imaps_port);
        wait("the private Dovecot to listen", || {
            port_open(port) && imaps.is_none_or(port_open)
        })
        .await;
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

/// The shared test certificates (see `certs::make_certificates`), with the key readable by
/// its owner only.
fn make_certificates(dir: &Path) {
    crate::certs::make_certificates(dir);
    // Dovecot's config process reads them as root; nobody else needs to.
    set_mode(&dir.join("leaf.key"), 0o600);
}
