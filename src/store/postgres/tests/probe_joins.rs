//! Marks and completions update `campaign_leads` with a key probe per row of the batch, never
//! by hashing the whole table against it (`postgres::plans`, "No hash joins in batch writes").
//! The plans are read from PostgreSQL at `OUTREACHD_TEST_PG_URL`.

use chrono::{NaiveDate, Utc};
use uuid::Uuid;

use super::super::PgStore;
use super::super::dispatch_outcomes::SENT;
use super::super::dispatch_send::MARK_MANY_SQL;
use super::super::plans::PROBE_JOINS;
use super::plans::{drop_database, fresh_store};

const BATCH: usize = 500;

/// 20,000 campaign leads. Their keys point nowhere (foreign keys are not checked for this
/// insert): only the table's size matters to the planner.
async fn a_table_of_campaign_leads(store: &PgStore) {
    let mut tx = store.pool.begin().await.expect("begin");
    sqlx::query("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .expect("skip key checks");
    sqlx::query(
        "INSERT INTO campaign_leads (id, workspace_id, campaign_id, lead_id, mailbox_id, \
             current_step_order, next_scheduled_at, lease_token, lease_expires_at, \
             enrolled_at, updated_at) \
         SELECT gen_random_uuid(), k.w, k.c, gen_random_uuid(), k.m, 1, now(), \
             gen_random_uuid(), now(), now(), now() \
         FROM generate_series(1, 20000), \
             (SELECT gen_random_uuid() AS w, gen_random_uuid() AS c, gen_random_uuid() AS m) k",
    )
    .execute(&mut *tx)
    .await
    .expect("campaign leads");
    tx.commit().await.expect("commit");
}

fn ids() -> Vec<Uuid> {
    (0..BATCH).map(|_| Uuid::now_v7()).collect()
}

fn texts(s: &str) -> Vec<String> {
    vec![s.to_owned(); BATCH]
}

/// The plan of a mailbox's mark, or of a batch of sent outcomes, as the daemon runs them
/// (with `PROBE_JOINS` first) or without it.
async fn plan(store: &PgStore, statement: &str, probes_only: bool) -> String {
    let mut tx = store.pool.begin().await.expect("begin");
    if probes_only {
        sqlx::raw_sql(PROBE_JOINS)
            .execute(&mut *tx)
            .await
            .expect("probe joins");
    }
    let explain = format!("EXPLAIN {statement}");
    let query = sqlx::query_scalar::<_, String>(sqlx::AssertSqlSafe(explain));
    let now = Utc::now();
    let query = if statement == MARK_MANY_SQL {
        query
            .bind(ids())
            .bind(ids())
            .bind(ids())
            .bind(texts("<m@x.test>"))
            .bind(now)
            .bind(now)
    } else {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).expect("a date");
        query
            .bind(ids())
            .bind(ids())
            .bind(texts("<m@x.test>"))
            .bind(texts("250 2.0.0 Ok"))
            .bind(vec![now; BATCH])
            .bind(vec![None::<String>; BATCH])
            .bind(vec![None::<String>; BATCH])
            .bind(vec![Some(2i32); BATCH])
            .bind(vec![Some(now); BATCH])
            .bind(vec![today; BATCH])
            .bind(now)
    };
    let lines = query.fetch_all(&mut *tx).await.expect("explain");
    tx.rollback().await.expect("rollback");
    lines.join("\n")
}

fn reads_the_whole_table(plan: &str) -> bool {
    plan.contains("Seq Scan on campaign_leads") || plan.contains("Hash Join")
}

#[tokio::test]
async fn marks_and_outcomes_probe_campaign_leads_by_key() {
    let (store, admin, name) = fresh_store().await;
    a_table_of_campaign_leads(&store).await;

    // Left to itself, the planner hashes the whole table against a mark's batch ...
    let chosen = plan(&store, MARK_MANY_SQL, false).await;
    assert!(
        reads_the_whole_table(&chosen),
        "expected the planner's own choice to scan campaign_leads:\n{chosen}"
    );
    // ... and as the daemon runs marks and outcomes, each row is probed by key. (Sent
    // outcomes reach their leads through the send rows they matched, which the planner
    // expects to be few, so it probes them even on its own.)
    for (what, statement) in [("a mark", MARK_MANY_SQL), ("sent outcomes", SENT)] {
        let probed = plan(&store, statement, true).await;
        assert!(
            !reads_the_whole_table(&probed),
            "{what} reads all of campaign_leads:\n{probed}"
        );
    }
    sqlx::query("ANALYZE")
        .execute(&store.pool)
        .await
        .expect("analyze");
    for (what, statement) in [("a mark", MARK_MANY_SQL), ("sent outcomes", SENT)] {
        let probed = plan(&store, statement, true).await;
        assert!(
            !reads_the_whole_table(&probed),
            "{what}, analysed, reads all of campaign_leads:\n{probed}"
        );
    }

    drop_database(store, &admin, &name).await;
}
