//! The per-lead suppression checks stay probes of the whole `(workspace_id, kind, value)` key,
//! whatever the planner knows about the table (see `postgres::plans`). Written as `NOT EXISTS`,
//! the claim's checks were planned as anti-joins matching on `(workspace_id, kind)` only, with
//! the value as a join filter: every candidate lead read the workspace's whole suppression
//! list. These tests read the plans PostgreSQL makes, on the server named by
//! `OUTREACHD_TEST_PG_URL` (the conformance suite in `tests/store` checks the results).

use sqlx::Connection;

use super::super::dispatch_claim::CLAIM_SQL;
use super::super::enroll::CLASSIFY_SQL;
use super::super::*;

const SUPPRESSION_KEY: &str = "suppressions_workspace_id_kind_value_key";

/// A migrated database of its own, dropped by `drop_database`.
pub(super) async fn fresh_store() -> (PgStore, String, String) {
    let admin = std::env::var("OUTREACHD_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned());
    let name = format!("outreachd_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL must run for tests ({admin}): {e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    let url = format!("{base}/{name}");
    let cipher = SecretCipher::from_bytes(&[7u8; 32]).expect("32-byte key");
    let store = PgStore::connect(&DatabaseSettings::for_url(&url), cipher, Opened::One)
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    (store, admin, name)
}

pub(super) async fn drop_database(store: PgStore, admin: &str, name: &str) {
    store.pool.close().await;
    let mut conn = sqlx::PgConnection::connect(admin).await.expect("admin");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
    )))
    .execute(&mut conn)
    .await
    .expect("drop test database");
}

/// A workspace with 2,000 suppressed addresses and 200 suppressed domains.
async fn workspace_with_a_long_suppression_list(store: &PgStore) -> WorkspaceId {
    let ws = store
        .upsert_workspace("plans")
        .await
        .expect("workspace")
        .value
        .id;
    sqlx::query(
        "INSERT INTO suppressions (id, workspace_id, kind, value, reason, created_at) \
         SELECT gen_random_uuid(), $1, CASE WHEN g <= 2000 THEN 'email' ELSE 'domain' END, \
             'blocked' || g || CASE WHEN g <= 2000 THEN '@x.test' ELSE '.test' END, 'test', now() \
         FROM generate_series(1, 2200) AS g",
    )
    .bind(ws)
    .execute(&store.pool)
    .await
    .expect("suppressions");
    ws
}

/// The `Index Cond` of every scan of the suppression key in `plan`.
fn suppression_probes(plan: &str) -> Vec<String> {
    let lines: Vec<&str> = plan.lines().collect();
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.contains(SUPPRESSION_KEY))
        .map(|(i, _)| {
            lines[i + 1..]
                .iter()
                .find(|l| l.contains("Index Cond:"))
                .map_or_else(String::new, |l| l.trim().to_owned())
        })
        .collect()
}

/// `expected`: how many suppression checks the statement makes (the claim checks follow-ups and
/// new leads separately, each against addresses and domains).
fn assert_probes_whole_key(what: &str, plan: &str, expected: usize) {
    let probes = suppression_probes(plan);
    assert_eq!(
        probes.len(),
        expected,
        "{what}: probes of {SUPPRESSION_KEY} in\n{plan}"
    );
    for probe in probes {
        assert!(
            probe.contains("value ="),
            "{what} matches suppressions without their value ({probe}):\n{plan}"
        );
    }
}

async fn claim_plan(store: &PgStore, ws: WorkspaceId) -> String {
    let now = chrono::Utc::now();
    let ids: Vec<uuid::Uuid> = (0..10).map(|_| uuid::Uuid::now_v7()).collect();
    let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "EXPLAIN {}",
        CLAIM_SQL.as_str()
    )))
    .bind(uuid::Uuid::now_v7())
    .bind(ws)
    .bind(now)
    .bind(now + chrono::TimeDelta::minutes(5))
    .bind(10i64)
    .bind(10i64)
    .bind(uuid::Uuid::now_v7())
    .bind(&ids)
    .bind(Option::<Vec<uuid::Uuid>>::None)
    .fetch_all(&store.pool)
    .await
    .expect("explain the claim");
    rows.into_iter()
        .map(|(l,)| l)
        .collect::<Vec<_>>()
        .join("\n")
}

async fn classify_plan(store: &PgStore, ws: WorkspaceId) -> String {
    let ids: Vec<uuid::Uuid> = (0..10).map(|_| uuid::Uuid::now_v7()).collect();
    let rows: Vec<(String,)> =
        sqlx::query_as(sqlx::AssertSqlSafe(format!("EXPLAIN {CLASSIFY_SQL}")))
            .bind(ws)
            .bind(uuid::Uuid::now_v7())
            .bind(&ids)
            .fetch_all(&store.pool)
            .await
            .expect("explain the enrolment check");
    rows.into_iter()
        .map(|(l,)| l)
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn claims_and_enrolments_probe_each_suppression_by_its_value() {
    let (store, admin, name) = fresh_store().await;
    let ws = workspace_with_a_long_suppression_list(&store).await;

    // No statistics yet (a fresh database, or a list imported since the last ANALYZE) ...
    assert_probes_whole_key("the claim", &claim_plan(&store, ws).await, 4);
    assert_probes_whole_key("enrolment", &classify_plan(&store, ws).await, 2);
    // ... and with them.
    sqlx::query("ANALYZE")
        .execute(&store.pool)
        .await
        .expect("analyze");
    assert_probes_whole_key("the claim, analysed", &claim_plan(&store, ws).await, 4);
    assert_probes_whole_key("enrolment, analysed", &classify_plan(&store, ws).await, 2);

    drop_database(store, &admin, &name).await;
}
