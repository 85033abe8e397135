//! `spawn_app`: the real daemon on port 0 over a database nobody else uses (a new PostgreSQL
//! database, or an SQLite file in a temp dir), plus an HTTP client and helpers that tests share.
//!
//! Settings come from the real loader (defaults + an env map), so a test exercises the same
//! layering as production; only what a test must isolate (port, database, data dir, key) and
//! what makes it fast (a 200 ms reconcile interval) is overridden.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Once;
use std::time::{Duration, Instant};

use outreachd::actors::SupervisorHandle;
use outreachd::startup::Application;
use outreachd::store::Store;
use sqlx::Connection;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::database::{self, TestBackend};

/// How long helpers wait for an eventual condition (readiness, shutdown) before failing.
pub const EVENTUALLY: Duration = Duration::from_secs(10);

/// A running daemon. Dropping it cancels the shutdown token, so no test leaks a server.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub address: String,
    pub port: u16,
    /// The admin listener's port, when the test set `OUTREACHD__SERVER__ADMIN_PORT`.
    pub admin_port: Option<u16>,
    pub client: reqwest::Client,
    pub backend: TestBackend,
    /// The database URL the daemon uses (a fresh PostgreSQL database or an SQLite file).
    pub database_url: String,
    /// The daemon's own store (same pools), for arranging data and asserting on it.
    pub store: Arc<dyn Store>,
    pub supervisor: SupervisorHandle,
    /// Cancelling it shuts the daemon down as SIGTERM would.
    pub shutdown: CancellationToken,
    /// Holds the SQLite file and `daemon.data_dir`; removed when the app is dropped.
    pub dir: tempfile::TempDir,
    server: Option<JoinHandle<anyhow::Result<()>>>,
}

/// Starts the daemon with the test defaults.
pub async fn spawn_app(backend: TestBackend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

/// Starts the daemon with extra `OUTREACHD__SECTION__KEY` overrides (later entries win).
pub async fn spawn_app_with(backend: TestBackend, overrides: &[(&str, &str)]) -> TestApp {
    install_crypto_provider();
    init_test_logging();
    let dir = tempfile::tempdir().expect("create a temp dir");
    let database_url = database::database_url(backend, &dir).await;
    let data_dir = dir.path().join("data").to_string_lossy().into_owned();
    let mut env: HashMap<String, String> = [
        ("OUTREACHD__SERVER__HOST", "127.0.0.1"),
        ("OUTREACHD__SERVER__PORT", "0"),
        ("OUTREACHD__DATABASE__URL", database_url.as_str()),
        // Each test gets its own database: a few connections are plenty, and PostgreSQL's
        // max_connections must cover every test running at once.
        ("OUTREACHD__DATABASE__MAX_CONNECTIONS", "4"),
        (
            "OUTREACHD__SECURITY__ENCRYPTION_KEY",
            database::TEST_KEY_BASE64,
        ),
        ("OUTREACHD__DAEMON__DATA_DIR", data_dir.as_str()),
        ("OUTREACHD__DAEMON__RECONCILE_INTERVAL", "200ms"),
        ("OUTREACHD__DAEMON__SHUTDOWN_TIMEOUT_SECONDS", "5"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    env.extend(
        overrides
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
    );
    let settings = outreachd::config::load(&[], &env)
        .expect("test settings are valid")
        .settings;

    let app = Application::build(settings)
        .await
        .expect("build the application");
    let port = app.port();
    let admin_port = app.admin_port();
    let store = app.store();
    let supervisor = app.supervisor();
    let shutdown = app.shutdown_token();
    let server = tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        port,
        admin_port,
        client: http_client(),
        backend,
        database_url,
        store,
        supervisor,
        shutdown,
        dir,
        server: Some(server),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// Polls `/readyz` until it answers 200; panics with the last body after [`EVENTUALLY`].
    pub async fn wait_until_ready(&self) {
        let start = Instant::now();
        let mut last = String::new();
        while start.elapsed() < EVENTUALLY {
            let response = self.get("/readyz").await;
            if response.status() == reqwest::StatusCode::OK {
                return;
            }
            last = format!(
                "{} {}",
                response.status(),
                response.text().await.unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("/readyz did not answer 200 within {EVENTUALLY:?}; last answer: {last}");
    }

    /// Cancels the shutdown token and waits for `run_until_stopped` to return its result.
    pub async fn stop(&mut self) -> anyhow::Result<()> {
        self.shutdown.cancel();
        let Some(server) = self.server.take() else {
            return Ok(());
        };
        tokio::time::timeout(EVENTUALLY, server)
            .await
            .map_err(|_| anyhow::anyhow!("the daemon did not stop within {EVENTUALLY:?}"))?
            .map_err(|e| anyhow::anyhow!("the daemon task panicked: {e}"))?
    }

    /// PostgreSQL only: drops the daemon's database under it, terminating its connections.
    pub async fn drop_postgres_database(&self) {
        assert_eq!(
            self.backend,
            TestBackend::Postgres,
            "only a PostgreSQL database can be dropped"
        );
        let name = self
            .database_url
            .rsplit('/')
            .next()
            .expect("a database name in the URL");
        let admin = database::pg_admin_url();
        let mut conn = sqlx::PgConnection::connect(&admin)
            .await
            .expect("connect as admin");
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP DATABASE \"{name}\" WITH (FORCE)"
        )))
        .execute(&mut conn)
        .await
        .expect("drop the test database");
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Installs rustls' ring provider, as `main` does; reqwest is built without one.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A client that never follows redirects (tests assert on them) and never hangs a test.
pub fn http_client() -> reqwest::Client {
    install_crypto_provider();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .expect("build the HTTP client")
}

/// `TEST_LOG=1 cargo test ...` shows the daemon's logs (at `RUST_LOG`, default debug); they
/// stay quiet otherwise, as one daemon per test would drown the output.
fn init_test_logging() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var_os("TEST_LOG").is_some() {
            outreachd::telemetry::init_tracing("debug", outreachd::config::LogFormat::Human);
        }
    });
}
