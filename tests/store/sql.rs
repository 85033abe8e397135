//! Plain SQL against a test store's database, for what the `Store` trait cannot observe or set.
//! Statements must be valid on both schemas and bind nothing (ids are stored differently).

use sqlx::Connection;

use crate::support::{TestBackend, TestStore};

/// Runs a statement (e.g. marking a lead unsubscribed).
pub async fn execute(backend: TestBackend, ts: &TestStore, statement: &'static str) {
    match backend {
        TestBackend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&ts.url).await.expect("connect");
            sqlx::query(statement)
                .execute(&mut conn)
                .await
                .expect(statement);
        }
        TestBackend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&ts.url)
                .await
                .expect("connect");
            sqlx::query(statement)
                .execute(&mut conn)
                .await
                .expect(statement);
        }
    }
}

/// Runs a statement built at run time (e.g. with backend-specific id expressions).
pub async fn execute_owned(backend: TestBackend, ts: &TestStore, statement: String) {
    match backend {
        TestBackend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&ts.url).await.expect("connect");
            sqlx::query(sqlx::AssertSqlSafe(statement.clone()))
                .execute(&mut conn)
                .await
                .expect(&statement);
        }
        TestBackend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&ts.url)
                .await
                .expect("connect");
            sqlx::query(sqlx::AssertSqlSafe(statement.clone()))
                .execute(&mut conn)
                .await
                .expect(&statement);
        }
    }
}

/// Runs a query returning `(text, count)` rows, e.g. enrolments per mailbox address.
pub async fn counts(
    backend: TestBackend,
    ts: &TestStore,
    query: &'static str,
) -> Vec<(String, i64)> {
    match backend {
        TestBackend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(&ts.url).await.expect("connect");
            sqlx::query_as(query)
                .fetch_all(&mut conn)
                .await
                .expect(query)
        }
        TestBackend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(&ts.url)
                .await
                .expect("connect");
            sqlx::query_as(query)
                .fetch_all(&mut conn)
                .await
                .expect(query)
        }
    }
}
