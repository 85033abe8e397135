//! The mail peers as tests use them: Dovecot's port and state directory from the environment,
//! fresh Dovecot users per test, an IMAP client to put messages into folders, and the faults
//! (dropped connections, a UIDVALIDITY reset) done the way an operator would.

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use outreachd::domain::{EmailAddress, HumanDuration, MailboxSpec, ServerSpec, SmtpSecurity};
use outreachd::imap::{ImapSession, ImapTarget};

use secrecy::SecretString;

pub struct Peers {
    pub imap_port: u16,
    pub dir: PathBuf,
    pub domain: String,
    pub password: String,
}

/// The peers, or `None` (skip) when none are configured; under `CI=true` a missing peer fails.
pub fn peers() -> Option<Peers> {
    let peers = crate::support::mail_peers::MailPeers::from_env()?;
    if !peers.dir.join("dovecot/users").exists() {
        crate::support::skip::missing(
            &format!("no Dovecot users file in {}", peers.dir.display()),
            "restart the mail peers with scripts/mail-peers/start.sh",
        );
        return None;
    }
    Some(Peers {
        imap_port: peers.imap_port,
        dir: peers.dir,
        domain: peers.domain,
        password: peers.password,
    })
}

impl Peers {
    fn users_file(&self) -> PathBuf {
        self.dir.join("dovecot/users")
    }

    /// A new Dovecot user (`<tag><random>@domain`, the peers' password); Dovecot rereads its
    /// passwd-file when it changes.
    pub fn add_user(&self, tag: &str) -> String {
        let users = std::fs::read_to_string(self.users_file()).expect("read the Dovecot users");
        let first = users.lines().next().expect("at least one Dovecot user");
        let fields: Vec<&str> = first.split(':').collect();
        let (uid, gid) = (fields[2], fields[3]);
        let local = format!("{tag}{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
        let address = format!("{local}@{}", self.domain);
        let home = self.dir.join(format!("mail/{}/{local}", self.domain));
        let line = format!(
            "{address}:{{PLAIN}}{}:{uid}:{gid}::{}::\n",
            self.password,
            home.display()
        );
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(self.users_file())
            .expect("open the Dovecot users");
        file.write_all(line.as_bytes()).expect("add a Dovecot user");
        drop(file);
        // Dovecot rereads the file when its mtime changes, at one-second resolution: move the
        // mtime past the last one so two users added within a second are both seen.
        let mtime = std::fs::metadata(self.users_file())
            .and_then(|m| m.modified())
            .expect("users file mtime");
        let secs = mtime
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_secs()
            .max(chrono::Utc::now().timestamp() as u64)
            + 1;
        let touched = Command::new("touch")
            .arg("-d")
            .arg(format!("@{secs}"))
            .arg(self.users_file())
            .status()
            .expect("run touch");
        assert!(touched.success());
        address
    }

    /// Logs in as `address`, retrying while Dovecot has not reread its users yet.
    async fn login(&self, address: &str) -> ImapSession {
        let mut last = None;
        for _ in 0..20 {
            match ImapSession::connect(&self.target(address, &self.password)).await {
                Ok(s) => return s,
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!("cannot log in to Dovecot as {address}: {last:?}");
    }

    pub fn target(&self, address: &str, password: &str) -> ImapTarget {
        ImapTarget {
            host: "127.0.0.1".into(),
            port: self.imap_port,
            security: SmtpSecurity::Plain,
            username: address.into(),
            password: SecretString::from(password.to_owned()),
            timeout: Duration::from_secs(10),
            extra_root_pem: None,
        }
    }

    /// Appends `raw` to `folder` of `address` over IMAP (what a delivery or a client does).
    pub async fn append(&self, address: &str, folder: &str, raw: &str) {
        let mut session = self.login(address).await;
        session
            .append(
                folder,
                raw.replace("\r\n", "\n").replace('\n', "\r\n").as_bytes(),
            )
            .await
            .expect("append a message");
        session.logout().await;
    }

    /// Whether `folder` of `address` holds a message with this Message-ID.
    pub async fn holds(&self, address: &str, folder: &str, message_id: &str) -> bool {
        let mut session = self.login(address).await;
        session.examine(folder).await.expect("examine a folder");
        let found = session
            .has_message_id(message_id)
            .await
            .expect("search by Message-ID");
        session.logout().await;
        found
    }

    fn doveadm(&self, args: &[&str]) {
        let conf = self.dir.join("dovecot/dovecot.conf");
        let out = Command::new("doveadm")
            .arg("-c")
            .arg(&conf)
            .args(args)
            .output()
            .expect("run doveadm");
        // `kick` exits 68 when nobody was connected.
        assert!(
            out.status.success() || out.status.code() == Some(68),
            "doveadm {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Drops every IMAP connection of `address` (as a server restart does to it).
    pub fn kick(&self, address: &str) {
        self.doveadm(&["kick", address]);
    }

    /// Deletes the user's INBOX index and UID list: Dovecot then gives the folder a new
    /// UIDVALIDITY and renumbers its messages.
    pub fn reset_uids(&self, address: &str) {
        self.kick(address);
        let local = address.split('@').next().unwrap_or(address);
        let maildir = self
            .dir
            .join(format!("mail/{}/{local}/Maildir", self.domain));
        for entry in std::fs::read_dir(&maildir).expect("read the Maildir") {
            let path = entry.expect("dir entry").path();
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with("dovecot.index") || name == "dovecot-uidlist" {
                std::fs::remove_file(&path).expect("delete an index file");
            }
        }
        self.kick(address);
    }

    /// Failed logins of `address` in Dovecot's log.
    pub fn failed_logins(&self, address: &str) -> usize {
        let log = std::fs::read_to_string(self.dir.join("dovecot/dovecot.log")).unwrap_or_default();
        let user = format!("user=<{address}>");
        log.lines()
            .filter(|l| l.contains(&user) && l.contains("auth failed"))
            .count()
    }

    /// A mailbox for `address` that sends to the sink on `smtp_port` and reads Dovecot with
    /// `imap_password`.
    pub fn mailbox_spec(&self, address: &str, smtp_port: u16, imap_password: &str) -> MailboxSpec {
        MailboxSpec {
            address: EmailAddress::parse(address).unwrap(),
            from_name: "Sender".into(),
            signature: "Sender\nAcme".into(),
            smtp: ServerSpec {
                host: "127.0.0.1".into(),
                port: smtp_port,
                security: SmtpSecurity::Plain,
                username: String::new(),
                password: SecretString::from(String::new()),
            },
            imap: Some(ServerSpec {
                host: "127.0.0.1".into(),
                port: self.imap_port,
                security: SmtpSecurity::Plain,
                username: address.into(),
                password: SecretString::from(imap_password.to_owned()),
            }),
            daily_cap: 100_000,
            hourly_cap: None,
            min_gap: HumanDuration::ZERO,
            max_gap: HumanDuration::ZERO,
            warmup: None,
            warmup_started_on: None,
            timezone: "UTC".into(),
        }
    }
}

/// Daemon settings that make the inbound path fast enough for tests.
pub const FAST_IMAP: &[(&str, &str)] = &[
    ("OUTREACHD__DISPATCH__COMPLETION_FLUSH", "10ms"),
    ("OUTREACHD__DISPATCH__RETRY_BACKOFF", "200ms"),
    ("OUTREACHD__IMAP__POLL_INTERVAL", "300ms"),
    ("OUTREACHD__IMAP__IDLE_RENEWAL", "3s"),
    ("OUTREACHD__IMAP__COMMAND_TIMEOUT", "10s"),
    ("OUTREACHD__IMAP__AUTH_RETRY", "2s"),
    ("OUTREACHD__IMAP__MAX_RECONNECT_BACKOFF", "1s"),
    ("OUTREACHD__IMAP__RECONCILE_INTERVAL", "500ms"),
    ("OUTREACHD__IMAP__RECONCILE_GRACE", "0s"),
];
