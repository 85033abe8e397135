//! The dispatch statements read their (partial) indexes and never scan a table: SQLite uses a
//! partial index only when the query repeats its WHERE terms, and a batch statement must go
//! from its JSON rows to primary keys, so these pin the plans the hot path depends on.

use super::super::dispatch_claim::{FOLLOWUPS_SQL, NEWCOMERS_SQL};
use super::super::dispatch_misc::{NEW_LEADS_SQL, RECENT_SENDS_SQL};
use super::super::dispatch_outcomes::Kind;
use super::super::dispatch_send::{EXPIRE_SENDING_SQL, MARK_SQL};
use super::super::*;
use super::ready_store;

/// `EXPLAIN QUERY PLAN` details of a statement with `params` parameters (bound to NULL).
async fn plan(store: &SqliteStore, sql: &str, params: usize) -> String {
    let mut q = sqlx::query_as::<_, (i64, i64, i64, String)>(sqlx::AssertSqlSafe(format!(
        "EXPLAIN QUERY PLAN {sql}"
    )));
    for _ in 0..params {
        q = q.bind(Option::<String>::None);
    }
    let rows = q.fetch_all(&store.pool).await.unwrap();
    rows.into_iter()
        .map(|(.., detail)| detail)
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn dispatch_queries_read_their_partial_indexes_not_whole_tables() {
    let dir = tempfile::tempdir().unwrap();
    let store = ready_store(&dir).await;
    let expectations: [(&str, &str, usize, &str); 5] = [
        (
            "follow-ups",
            FOLLOWUPS_SQL.as_str(),
            4,
            "campaign_leads_due_followups",
        ),
        ("new leads", NEWCOMERS_SQL.as_str(), 4, "campaign_leads_due"),
        (
            "recent sends",
            RECENT_SENDS_SQL,
            2,
            "email_sends_mailbox_counted",
        ),
        (
            "new-lead count",
            NEW_LEADS_SQL,
            4,
            "email_sends_campaign_new",
        ),
        ("stale sends", EXPIRE_SENDING_SQL, 2, "email_sends_open"),
    ];
    for (what, sql, params, index) in expectations {
        assert_reads_index(&store, what, sql, params, index).await;
    }
    // Each candidate probes the suppression list by its whole key, never the workspace's
    // whole list (PostgreSQL needed telling: see `postgres::tests_plans`).
    for (what, sql) in [
        ("follow-ups", FOLLOWUPS_SQL.as_str()),
        ("new leads", NEWCOMERS_SQL.as_str()),
    ] {
        let claim = plan(&store, sql, 4).await;
        let probes: Vec<&str> = claim
            .lines()
            .filter(|l| l.contains("suppressions"))
            .collect();
        assert_eq!(probes.len(), 2, "{what}:\n{claim}");
        for probe in probes {
            assert!(
                probe.contains("workspace_id=? AND kind=? AND value=?"),
                "{what} reads suppressions by less than their key:\n{claim}"
            );
        }
    }
    let counted = plan(&store, NEW_LEADS_SQL, 4).await;
    assert!(
        counted.contains("email_sends_open"),
        "in-flight sends by state:\n{counted}"
    );
    assert!(
        counted.contains(
            "campaign_leads_due (campaign_id=? AND next_scheduled_at>? AND next_scheduled_at<?)"
        ),
        "unmarked claims by their lease expiry:\n{counted}"
    );
}

/// Asserts that `sql` reads `index` and scans no table (its JSON rows are no table).
async fn assert_reads_index(
    store: &SqliteStore,
    what: &str,
    sql: &str,
    params: usize,
    index: &str,
) {
    let plan = plan(store, sql, params).await;
    assert!(plan.contains(index), "{what} should use {index}:\n{plan}");
    let scans = |l: &&str| {
        l.starts_with("SCAN") && *l != "SCAN CONSTANT ROW" && !l.contains("VIRTUAL TABLE")
    };
    assert!(
        !plan.lines().any(|l| scans(&l)),
        "{what} scans a table:\n{plan}"
    );
}

#[tokio::test]
async fn batch_statements_go_from_their_json_rows_to_primary_keys() {
    let dir = tempfile::tempdir().unwrap();
    let store = ready_store(&dir).await;
    const SENDS_PK: &str = "sqlite_autoindex_email_sends_1 (id=?)";
    const LEADS_PK: &str = "sqlite_autoindex_campaign_leads_1 (id=?)";
    // Sent and unknown sends were marked: their rows exist. Retries and failures may come
    // before the mark, so they go through the lead (the fence) and upsert the send row.
    for (kind, fence) in [
        (Kind::Sent, SENDS_PK),
        (Kind::Unknown, SENDS_PK),
        (Kind::Retry, LEADS_PK),
        (Kind::Failed, LEADS_PK),
    ] {
        let (sends, leads) = kind.statements();
        assert_reads_index(&store, "a completion", sends, 2, fence).await;
        assert_reads_index(&store, "a completion's leads", leads, 2, LEADS_PK).await;
    }
    assert_reads_index(&store, "mark sending", MARK_SQL, 3, LEADS_PK).await;
}
