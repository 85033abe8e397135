//! One crash scenario's world: a `smtp-sink` with dumps, a fresh database (PostgreSQL database
//! or SQLite file) seeded through the store with a running two-step campaign over three
//! unpaced mailboxes, and the environment the daemons run with (short leases so a crash is
//! recovered in seconds). Also the few SQL probes the tests wait on.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use outreachd::config::DatabaseSettings;
use outreachd::domain::CampaignId;
use outreachd::store::{self, OpenMode};
use sqlx::Connection;

use crate::daemon::Daemon;
use crate::fixtures::{seed, step};
use crate::ledger::Ledger;
use crate::sink::Sink;
use crate::support::{self, TestBackend};

/// Mailboxes in the campaign's pool.
pub const MAILBOXES: usize = 3;
/// Steps of the campaign (delays 0s and 1s).
pub const STEPS: u32 = 2;
/// `dispatch.sending_batch`: the most sends one mailbox marks `sending` in one commit. At most
/// two such batches per mailbox are `sending` at once (one on the wire, one being recorded).
pub const SENDING_BATCH: usize = 16;
/// For tests that promise zero `unknown`: a send still in flight after `dispatch.sending_lease`
/// is declared `unknown` by design, and on a loaded 2-core machine a healthy batch can take
/// seconds. The default here (5 s, above the 2 s data timeout as it must be) keeps crash
/// recovery quick; this one keeps a stalled-but-healthy send from counting as a fault.
pub const PATIENT_SENDING_LEASE: (&str, &str) = ("OUTREACHD__DISPATCH__SENDING_LEASE", "60s");
/// `daemon.shutdown_timeout_seconds`.
pub const SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(20);
/// How long any one phase may take on a loaded 2-core CI machine (never a speed assertion:
/// only a bound that turns a hang into a failure).
pub const PATIENCE: Duration = Duration::from_secs(180);

pub struct Scenario {
    pub sink: Sink,
    pub url: String,
    pub campaign: CampaignId,
    pub leads: usize,
    env: HashMap<String, String>,
    /// The SQLite file, the daemons' data dir and their logs.
    pub dir: tempfile::TempDir,
}

impl Scenario {
    /// Starts the sink, creates and seeds the database. Nothing runs yet. `overrides` are
    /// `OUTREACHD__*` settings on top of the scenario's (later wins).
    pub async fn new(backend: TestBackend, leads: usize, overrides: &[(&str, &str)]) -> Self {
        Self::with_sink_faults(backend, leads, overrides, &[]).await
    }

    /// [`Self::new`] with a sink started with `faults` (smtp-sink options such as `-w 1`).
    pub async fn with_sink_faults(
        backend: TestBackend,
        leads: usize,
        overrides: &[(&str, &str)],
        faults: &[&str],
    ) -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let sink = Sink::start(faults).await;
        let dir = tempfile::tempdir().expect("temp dir");
        let url = support::database_url(backend, &dir).await;
        let campaign = {
            let store = store::open(
                &DatabaseSettings::for_url(&url),
                support::test_cipher(),
                OpenMode::Tool,
            )
            .await
            .expect("open the store");
            store.migrate().await.expect("migrate");
            store.verify_encryption_key().await.expect("verify the key");
            let steps = vec![
                step(
                    "0s",
                    Some("Hi {{ first_name }}"),
                    "Step one for {{ company }}.",
                ),
                step("1s", None, "Step two, {{ first_name }}."),
            ];
            seed(store.as_ref(), sink.port, MAILBOXES, leads, steps)
                .await
                .campaign
            // The store (and its pool) is dropped here: an SQLite daemon wants the file alone.
        };
        let data_dir = dir.path().join("data").display().to_string();
        let mut env: HashMap<String, String> = [
            ("OUTREACHD__DATABASE__URL", url.as_str()),
            ("OUTREACHD__DATABASE__MAX_CONNECTIONS", "5"),
            (
                "OUTREACHD__SECURITY__ENCRYPTION_KEY",
                support::TEST_KEY_BASE64,
            ),
            ("OUTREACHD__SERVER__HOST", "127.0.0.1"),
            ("OUTREACHD__SERVER__PORT", "0"),
            ("OUTREACHD__DAEMON__DATA_DIR", data_dir.as_str()),
            ("OUTREACHD__DAEMON__RECONCILE_INTERVAL", "100ms"),
            ("OUTREACHD__DAEMON__SHUTDOWN_TIMEOUT_SECONDS", "20"),
            ("OUTREACHD__DISPATCH__CLAIM_LEASE", "2s"),
            ("OUTREACHD__DISPATCH__SENDING_LEASE", "5s"),
            ("OUTREACHD__DISPATCH__SMTP_DATA_TIMEOUT", "2s"),
            ("OUTREACHD__DISPATCH__SENDING_BATCH", "16"),
            ("OUTREACHD__DISPATCH__COMPLETION_FLUSH", "10ms"),
            ("OUTREACHD__DISPATCH__IDLE_PERIOD", "1s"),
            ("OUTREACHD__DISPATCH__RETRY_BACKOFF", "500ms"),
            ("OUTREACHD__DISPATCH__THROTTLE_COOLDOWN", "1s"),
            ("OUTREACHD__LOG__LEVEL", "info,sqlx=warn"),
            ("OUTREACHD__LOG__FORMAT", "human"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        env.extend(
            overrides
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        Self {
            sink,
            url,
            campaign,
            leads,
            env,
            dir,
        }
    }

    /// Sends the campaign owes: every lead, every step.
    pub fn expected(&self) -> usize {
        self.leads * STEPS as usize
    }

    /// Runs the `outreachd ARGS` tool command on this scenario's database and waits for it.
    pub fn tool(&self, args: &[&str]) -> std::process::Output {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_outreachd"));
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("OUTREACHD") {
                command.env_remove(key);
            }
        }
        command
            .args(args)
            .envs(&self.env)
            .env("OUTREACHD__LOG__LEVEL", "warn")
            .output()
            .expect("run the outreachd binary")
    }

    /// Starts `outreachd ARGS` on this scenario's database.
    pub fn daemon(&self, name: &str, args: &[&str]) -> Daemon {
        Daemon::start(name, args, &self.env, self.dir.path())
    }

    /// Waits until the store has recorded at least `n` sends as `sent` (so the sink received
    /// at least `n`), failing if `daemon` exits first or nothing moves for [`PATIENCE`].
    pub async fn wait_sent(&self, n: i64, daemon: &mut Daemon) -> i64 {
        let start = Instant::now();
        loop {
            let sent = self.count_sends("sent").await;
            if sent >= n {
                return sent;
            }
            assert!(
                daemon.running(),
                "the daemon exited early; log tail:\n{}",
                daemon.log_tail(60)
            );
            assert!(
                start.elapsed() < PATIENCE,
                "only {sent} sent after {PATIENCE:?}; log tail:\n{}",
                daemon.log_tail(60)
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until no lead has work left: every lead is completed or parked after an unknown
    /// send, and no send is claimed, sending or waiting to retry.
    pub async fn wait_settled(&self, daemons: &mut [&mut Daemon]) {
        let start = Instant::now();
        loop {
            let open = self.open_work().await;
            if open == 0 {
                return;
            }
            for d in daemons.iter_mut() {
                assert!(d.running(), "a daemon exited early:\n{}", d.log_tail(60));
            }
            assert!(
                start.elapsed() < PATIENCE,
                "{open} leads still have work after {PATIENCE:?}; states {:?}; log tail:\n{}",
                self.states().await,
                daemons.first().map(|d| d.log_tail(60)).unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// `email_sends` rows by state.
    pub async fn states(&self) -> BTreeMap<String, i64> {
        support::send_states(&self.url, self.campaign).await
    }

    pub async fn count_sends(&self, state: &str) -> i64 {
        self.states().await.get(state).copied().unwrap_or(0)
    }

    /// Leads still owed something: active and scheduled, or with a send not yet settled.
    async fn open_work(&self) -> i64 {
        let sql = "SELECT (SELECT count(*) FROM campaign_leads \
                       WHERE status = 'active' AND next_scheduled_at IS NOT NULL) \
                 + (SELECT count(*) FROM email_sends \
                       WHERE state IN ('claimed', 'sending', 'retry'))";
        if self.url.starts_with("postgres") {
            let mut conn = sqlx::PgConnection::connect(&self.url)
                .await
                .expect("connect");
            sqlx::query_scalar(sql)
                .fetch_one(&mut conn)
                .await
                .expect("count open work")
        } else {
            let mut conn = sqlx::SqliteConnection::connect(&self.url)
                .await
                .expect("connect");
            sqlx::query_scalar(sql)
                .fetch_one(&mut conn)
                .await
                .expect("count open work")
        }
    }

    /// Holds what the sink received against what the store recorded.
    pub async fn ledger(&self) -> Ledger {
        let rows = crate::ledger::send_rows(&self.url).await;
        let leads = crate::ledger::lead_emails(&self.url).await;
        let sent = rows.iter().filter(|r| r.state == "sent").count();
        let dumps = self.sink.dumps(sent).await;
        Ledger::new(&leads, STEPS, &rows, &dumps)
    }
}

impl Drop for Scenario {
    fn drop(&mut self) {
        support::drop_postgres_database(&self.url);
    }
}

/// Cuts every connection the daemons hold to the scenario's PostgreSQL database, as a database
/// restart or a failover would. Returns how many were cut.
pub async fn terminate_connections(url: &str) -> i64 {
    let name = url.rsplit('/').next().expect("database name").to_owned();
    let mut admin = sqlx::PgConnection::connect(&support::pg_admin_url())
        .await
        .expect("connect as admin");
    sqlx::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE datname = $1 AND pid <> pg_backend_pid()",
    )
    .bind(name)
    .fetch_one(&mut admin)
    .await
    .expect("terminate backends")
}
