//! What the send path costs PostgreSQL in writes, read from the table itself.
//! Named `postgres_writes::postgres::*` so `cargo test --test store postgres::` includes them.

mod postgres {
    use std::collections::HashMap;

    use sqlx::Connection;
    use uuid::Uuid;

    use crate::dispatch_fixtures::{Setup, base};
    use crate::fixtures::past;
    use crate::support::TestBackend;

    /// The heap page of each campaign lead's current row version.
    async fn pages(url: &str) -> HashMap<Uuid, i64> {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
        let rows: Vec<(Uuid, i64)> =
            sqlx::query_as("SELECT id, ((ctid::text)::point)[0]::int8 FROM campaign_leads")
                .fetch_all(&mut conn)
                .await
                .expect("row pages");
        rows.into_iter().collect()
    }

    /// Marking extends each campaign lead's lease, a change to no indexed column, meant to stay
    /// on its page without index entries (HOT). That needs room on the page for the new row
    /// version once the claim's own versions are there, and a batch's rows share pages: at
    /// fillfactor 85 the claim's versions alone overflowed to other pages and 60% of the
    /// bench's marks were HOT; at 50 (migration 0006) most claimed rows keep their page and
    /// 99% of marks are HOT (their room comes back when the pre-claim versions are pruned,
    /// which a snapshot older than the claim delays, so that part is left to the bench).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_claimed_batch_keeps_its_campaign_leads_on_their_pages() {
        let addresses: Vec<String> = (0..300).map(|i| format!("lead{i}@example.com")).collect();
        let addresses: Vec<&str> = addresses.iter().map(String::as_str).collect();
        let setup = Setup::new(TestBackend::Postgres, &addresses, past()).await;
        let before = pages(&setup.ts.url).await;

        let claimed = setup
            .store()
            .claim_due(&setup.request(base(), 300))
            .await
            .expect("claim");
        assert_eq!(claimed.len(), 300);

        let after = pages(&setup.ts.url).await;
        let moved = before
            .iter()
            .filter(|(id, page)| after[*id] != **page)
            .count();
        // Fillfactor 85 moves 251 of them; 50 moves 44 (the rows of the page where the
        // claimed batch ends, among others).
        assert!(
            moved <= 75,
            "{moved} of 300 claimed rows moved to another page"
        );
    }
}
