//! Databases for tests: a fresh PostgreSQL database per test (on the server named by
//! `OUTREACHD_TEST_PG_URL`, default `postgres://postgres@127.0.0.1:5432/postgres`) or a temp
//! SQLite file, migrated stores over them, `on_both_backends!` to run one test on each, and
//! plain-SQL reads valid on both schemas. Real servers only, no fakes.

use std::sync::Arc;

use outreachd::config::DatabaseSettings;
use outreachd::store::{self, OpenMode, SecretCipher, Store};
use sqlx::Connection;

pub const TEST_KEY_BASE64: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestBackend {
    Postgres,
    Sqlite,
}

/// A migrated store on a database nobody else uses. Keeps its temp dir alive; a PostgreSQL
/// test database is dropped when the `TestStore` is.
pub struct TestStore {
    pub store: Arc<dyn Store>,
    pub url: String,
    pub dir: tempfile::TempDir,
}

impl Drop for TestStore {
    fn drop(&mut self) {
        drop_postgres_database(&self.url);
    }
}

/// Drops a test database (FORCE closes pooled connections still open). Runs on its own thread
/// with its own runtime because `Drop` cannot await. Failures only leave a database behind,
/// which `scripts/test.sh` clears before each run.
pub fn drop_postgres_database(url: &str) {
    if !url.starts_with("postgres") {
        return;
    }
    let Some(name) = url.rsplit('/').next().map(str::to_owned) else {
        return;
    };
    if !name.starts_with("outreachd_test_") {
        return;
    }
    let admin = pg_admin_url();
    let _ = std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        rt.block_on(async {
            if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                let sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
                let _ = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&mut conn)
                    .await;
            }
        });
    })
    .join();
}

pub fn test_cipher() -> SecretCipher {
    SecretCipher::from_bytes(&(0u8..32).collect::<Vec<_>>()).expect("32-byte key")
}

pub fn pg_admin_url() -> String {
    std::env::var("OUTREACHD_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Creates an empty database and returns its URL.
pub async fn fresh_postgres_url() -> String {
    let admin = pg_admin_url();
    let name = format!("outreachd_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL must run for tests ({admin}): {e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    format!("{base}/{name}")
}

pub fn sqlite_url(dir: &tempfile::TempDir) -> String {
    format!("sqlite://{}", dir.path().join("outreachd.db").display())
}

pub async fn database_url(backend: TestBackend, dir: &tempfile::TempDir) -> String {
    match backend {
        TestBackend::Postgres => fresh_postgres_url().await,
        TestBackend::Sqlite => sqlite_url(dir),
    }
}

/// A fresh, migrated store with the test key verified.
pub async fn test_store(backend: TestBackend) -> TestStore {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let dir = tempfile::tempdir().expect("temp dir");
    let url = database_url(backend, &dir).await;
    let store = store::open(
        &DatabaseSettings::for_url(&url),
        test_cipher(),
        OpenMode::Tool,
    )
    .await
    .expect("open store");
    store.migrate().await.expect("migrate");
    store.verify_encryption_key().await.expect("verify key");
    TestStore { store, url, dir }
}

/// Declares each listed `async fn name(backend: TestBackend)` as two tests, one per backend:
/// `postgres::name` and `sqlite::name`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::support::TestBackend::Postgres).await
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::support::TestBackend::Sqlite).await
                }
            )*
        }
    };
}

/// `stop_reason` of every campaign lead of a campaign that has one (either backend).
pub async fn stop_reasons(url: &str, campaign: outreachd::domain::CampaignId) -> Vec<String> {
    let sql =
        "SELECT stop_reason FROM campaign_leads WHERE campaign_id = $1 AND stop_reason IS NOT NULL";
    let rows: Vec<(String,)> = campaign_rows(url, sql, campaign).await;
    rows.into_iter().map(|(reason,)| reason).collect()
}

/// Rows of `email_sends` by state for a campaign (either backend).
pub async fn send_states(
    url: &str,
    campaign: outreachd::domain::CampaignId,
) -> std::collections::BTreeMap<String, i64> {
    let sql = "SELECT state, COUNT(*) FROM email_sends WHERE campaign_id = $1 GROUP BY state";
    let rows: Vec<(String, i64)> = campaign_rows(url, sql, campaign).await;
    rows.into_iter().collect()
}

/// The rows of `sql` with `$1` bound to `campaign`, on the database at `url` (either backend).
async fn campaign_rows<T>(
    url: &str,
    sql: &'static str,
    campaign: outreachd::domain::CampaignId,
) -> Vec<T>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
        + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
        + Send
        + Unpin,
{
    if url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::query_as(sql)
            .bind(campaign.0)
            .fetch_all(&mut conn)
            .await
            .expect("query")
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url).await.expect("connect");
        let sql: &'static str = sql.replace("$1", "?1").leak();
        sqlx::query_as(sql)
            .bind(campaign.0)
            .fetch_all(&mut conn)
            .await
            .expect("query")
    }
}

/// `(prompt_tokens, completion_tokens, outcome, names a lead)` of every `api_usage` row for
/// `purpose`, oldest first (either backend).
pub async fn usage_rows(url: &str, purpose: &str) -> Vec<(i64, i64, String, bool)> {
    let sql = "SELECT prompt_tokens, completion_tokens, outcome, lead_id IS NOT NULL \
               FROM api_usage WHERE purpose = $1 ORDER BY occurred_at";
    if url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::query_as(sql)
            .bind(purpose)
            .fetch_all(&mut conn)
            .await
            .expect("query")
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::query_as(sqlx::AssertSqlSafe(sql.replace("$1", "?1")))
            .bind(purpose)
            .fetch_all(&mut conn)
            .await
            .expect("query")
    }
}
