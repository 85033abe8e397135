//! Lead search (`?q=`) can be answered by the trigram index `leads_search_trgm` (migration
//! 0015): the search expression must stay the index's, or every search reads every lead of the
//! workspace. On a table this small the planner rightly prefers a sequential scan, so the test
//! turns that off to ask whether the index fits the query at all.

use super::super::*;
use super::plans::{drop_database, fresh_store};
use crate::store::sql::lead_records::LeadRecordsSql;

#[tokio::test]
async fn a_lead_search_reads_the_trigram_index_not_every_lead() {
    let (store, admin, name) = fresh_store().await;
    let ws = store
        .upsert_workspace("search")
        .await
        .expect("workspace")
        .value
        .id;
    sqlx::query(
        "INSERT INTO leads (id, workspace_id, email, first_name, last_name, company, \
             created_at, updated_at) \
         SELECT gen_random_uuid(), $1, 'lead' || g || '@x' || g || '.test', 'First' || g, \
             'Last' || g, 'Company ' || g, now(), now() \
         FROM generate_series(1, 20000) AS g",
    )
    .bind(ws)
    .execute(&store.pool)
    .await
    .expect("leads");
    sqlx::query("ANALYZE leads")
        .execute(&store.pool)
        .await
        .expect("analyze");
    let sql = format!(
        "EXPLAIN SELECT l.id FROM leads l WHERE l.workspace_id = $1 AND {} \
         ORDER BY l.id LIMIT 51",
        <sqlx::Postgres as LeadRecordsSql>::search(2)
    );
    let mut conn = store.pool.acquire().await.expect("a connection");
    sqlx::query("SET enable_seqscan = off")
        .execute(&mut *conn)
        .await
        .expect("set");
    let plan: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(ws)
        .bind(<sqlx::Postgres as LeadRecordsSql>::contains_pattern("4217"))
        .fetch_all(&mut *conn)
        .await
        .expect("explain");
    drop(conn);
    let plan = plan.join("\n");
    drop_database(store, &admin, &name).await;
    assert!(plan.contains("leads_search_trgm"), "{plan}");
}
