//! What the send path costs PostgreSQL in writes, read from the server's own table counters.
//! Named `postgres_writes::postgres::*` so `cargo test --test store postgres::` includes them.

mod postgres {
    use std::time::{Duration, Instant};

    use outreachd::config::DatabaseSettings;
    use outreachd::store::postgres::{Opened, PgStore};
    use outreachd::store::{SendRef, Store};
    use sqlx::Connection;

    use crate::dispatch_fixtures::{LEASE, Setup, base, message_id};
    use crate::fixtures::past;
    use crate::support::{TestBackend, test_cipher};

    /// `(n_tup_upd, n_tup_hot_upd)` of `campaign_leads` once at least `updates` updates are
    /// counted. A backend publishes its counters when it exits or idles (at most every 10 s).
    async fn campaign_lead_updates(url: &str, updates: i64) -> (i64, i64) {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
        let started = Instant::now();
        loop {
            sqlx::query("SELECT pg_stat_clear_snapshot()")
                .execute(&mut conn)
                .await
                .expect("fresh counters");
            let counted: (i64, i64) = sqlx::query_as(
                "SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables \
                 WHERE relname = 'campaign_leads'",
            )
            .fetch_one(&mut conn)
            .await
            .expect("table counters");
            if counted.0 >= updates || started.elapsed() > Duration::from_secs(20) {
                return counted;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Marking extends each campaign lead's lease, a change to no indexed column. Such an
    /// update stays on its page and adds no index entries (HOT) only if the page has room for
    /// the new row version; a claim has just filled that room with one version of each row,
    /// and a batch's rows share pages. At fillfactor 85, 60% of the bench's marks were HOT.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn marking_a_claimed_batch_rewrites_its_campaign_leads_in_place() {
        let addresses: Vec<String> = (0..300).map(|i| format!("lead{i}@example.com")).collect();
        let addresses: Vec<&str> = addresses.iter().map(String::as_str).collect();
        let setup = Setup::new(TestBackend::Postgres, &addresses, past()).await;
        // A store of its own, dropped after marking: its backends publish their counters as
        // they exit.
        let own = PgStore::connect(
            &DatabaseSettings::for_url(&setup.ts.url),
            test_cipher(),
            Opened::One,
        )
        .await
        .expect("connect");
        let now = base();
        let claimed = own
            .claim_due(&setup.request(now, 300))
            .await
            .expect("claim");
        assert_eq!(claimed.len(), 300);
        let marks: Vec<(SendRef, String)> =
            claimed.iter().map(|c| (c.send, message_id(c))).collect();
        let marked = own
            .mark_sending_many(&marks, now, LEASE)
            .await
            .expect("mark");
        assert!(marked.iter().all(|m| *m), "every claimed send is marked");
        drop(own);

        let (updated, hot) = campaign_lead_updates(&setup.ts.url, 600).await;
        assert_eq!(updated, 600, "one update per claim and one per mark");
        // All 300 are HOT on a quiet server; pruning waits for snapshots older than the claim
        // (another backend starting up, say), so a busy one may see fewer. Fillfactor 85 gave 105.
        assert!(
            hot >= 240,
            "{hot} of the 300 marks were HOT (at least 80% expected)"
        );
    }
}
