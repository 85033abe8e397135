//! PostgreSQL checks that need backend-specific SQL to set up (send counts per local date, leads
//! on later steps) or concern only this backend (connecting, pool stats). Named
//! `postgres_only::postgres::*` so `cargo test --test store postgres::` includes them.

mod postgres {
    use chrono::{NaiveDate, TimeZone, Utc};
    use outreachd::config::DatabaseSettings;
    use outreachd::domain::{GeneratedMessage, HumanDuration};
    use outreachd::store::StoreError;
    use outreachd::store::postgres::{Opened, PgStore};
    use sqlx::Connection;

    use crate::dispatch_fixtures::{LEASE, Setup, base, message_id, minutes};
    use crate::fixtures::{campaign_spec, leads, mailbox, mailbox_spec, past, workspace};
    use crate::support::{TestBackend, test_cipher, test_store};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sent_today_is_read_for_each_mailboxs_local_date() {
        let ts = test_store(TestBackend::Postgres).await;
        let ws = workspace(&*ts.store, "acme").await;
        let mut auckland = mailbox_spec("nz@example.com");
        auckland.timezone = "Pacific/Auckland".into();
        let mut los_angeles = mailbox_spec("la@example.com");
        los_angeles.timezone = "America/Los_Angeles".into();
        let nz = ts
            .store
            .upsert_mailbox(ws, &auckland)
            .await
            .unwrap()
            .value
            .id;
        let la = ts
            .store
            .upsert_mailbox(ws, &los_angeles)
            .await
            .unwrap()
            .value
            .id;

        // 2024-03-10 20:00 UTC is 2024-03-11 09:00 in Auckland and 2024-03-10 13:00 in LA.
        let now = Utc.with_ymd_and_hms(2024, 3, 10, 20, 0, 0).unwrap();
        let (mar10, mar11) = (
            NaiveDate::from_ymd_opt(2024, 3, 10).unwrap(),
            NaiveDate::from_ymd_opt(2024, 3, 11).unwrap(),
        );
        let mut conn = sqlx::PgConnection::connect(&ts.url).await.unwrap();
        for (mailbox, date, sent) in [
            (nz, mar10, 7),
            (nz, mar11, 3),
            (la, mar10, 11),
            (la, mar11, 1),
        ] {
            sqlx::query("INSERT INTO mailbox_daily_counts (mailbox_id, local_date, sent) VALUES ($1, $2, $3)")
                .bind(mailbox)
                .bind(date)
                .bind(sent)
                .execute(&mut conn)
                .await
                .unwrap();
        }
        let summary = ts.store.workspace_summary(ws, now).await.unwrap();
        let sent = |address: &str| {
            summary
                .mailboxes
                .iter()
                .find(|m| m.address == address)
                .unwrap()
                .sent_today
        };
        assert_eq!(sent("nz@example.com"), 3);
        assert_eq!(sent("la@example.com"), 11);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_conflict_names_the_first_step_leads_still_wait_for() {
        let ts = test_store(TestBackend::Postgres).await;
        let ws = workspace(&*ts.store, "acme").await;
        let mb = mailbox(&*ts.store, ws, "a@example.com").await;
        let mut spec = campaign_spec("Nurture", vec![mb], 5);
        let id = ts.store.upsert_campaign(ws, &spec).await.unwrap().value.id;
        let ids = leads(
            &*ts.store,
            ws,
            &["x@l.example", "y@l.example", "z@l.example"],
        )
        .await;
        ts.store.enroll_leads(ws, id, &ids, past()).await.unwrap();
        let mut conn = sqlx::PgConnection::connect(&ts.url).await.unwrap();
        sqlx::query("UPDATE campaign_leads SET current_step_order = 4 WHERE lead_id = $1")
            .bind(ids[0])
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query("UPDATE campaign_leads SET current_step_order = 5 WHERE lead_id = $1")
            .bind(ids[1])
            .execute(&mut conn)
            .await
            .unwrap();
        sqlx::query("UPDATE campaign_leads SET current_step_order = 5, status = 'replied' WHERE lead_id = $1")
            .bind(ids[2])
            .execute(&mut conn)
            .await
            .unwrap();

        spec.steps.truncate(4);
        let err = ts.store.upsert_campaign(ws, &spec).await.unwrap_err();
        let StoreError::Conflict(message) = &err else {
            panic!("{err:?}")
        };
        assert!(
            message.contains("step 5") && message.contains("1 active lead"),
            "{message}"
        );
        spec.steps.truncate(2);
        let err = ts.store.upsert_campaign(ws, &spec).await.unwrap_err();
        let StoreError::Conflict(message) = &err else {
            panic!("{err:?}")
        };
        assert!(
            message.contains("step 4") && message.contains("2 active lead"),
            "{message}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_unreachable_database_fails_at_connect_without_leaking_the_password() {
        let mut settings =
            DatabaseSettings::for_url("postgres://bob:hunter2@127.0.0.1:1/outreachd");
        settings.acquire_timeout = HumanDuration::from_secs(2);
        let err = PgStore::connect(&settings, test_cipher(), Opened::One)
            .await
            .err()
            .expect("nothing listens on port 1");
        let text = err.to_string();
        assert!(matches!(err, StoreError::Connect { .. }), "{err:?}");
        assert!(!text.contains("hunter2"), "{text}");
        assert!(
            text.contains("postgres://bob:***@127.0.0.1:1/outreachd"),
            "{text}"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn pool_stats_count_open_connections() {
        let ts = test_store(TestBackend::Postgres).await;
        ts.store.list_workspaces().await.unwrap();
        let stats = ts.store.pool_stats();
        assert!(stats.size >= 1, "{stats:?}");
        assert!(stats.idle <= stats.size, "{stats:?}");
    }

    /// Runs a `SELECT count(*)` written in the test.
    async fn count(conn: &mut sqlx::PgConnection, sql: &str) -> i64 {
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_one(conn)
            .await
            .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sends_and_texts_go_with_their_workspace_and_outlive_their_mailbox() {
        // Migration 0005 replaced the foreign keys from sends and texts by delete triggers.
        let now = base();
        let s = Setup::new(
            TestBackend::Postgres,
            &["a@x.example", "b@x.example"],
            now - minutes(1),
        )
        .await;
        let claimed = s.claim(now, 10).await;
        assert_eq!(claimed.len(), 2);
        for c in &claimed {
            s.store()
                .save_generated(
                    &c.send,
                    1,
                    &GeneratedMessage {
                        subject: "Hello".into(),
                        body_text: "Hi".into(),
                        body_html: None,
                        provider: "template".into(),
                        model: None,
                        prompt_tokens: 0,
                        completion_tokens: 0,
                        cost_usd: 0.0,
                    },
                )
                .await
                .unwrap();
            // The mark creates the send row.
            assert!(
                s.store()
                    .mark_sending(&c.send, &message_id(c), now, LEASE)
                    .await
                    .unwrap()
            );
        }
        let mut conn = sqlx::PgConnection::connect(&s.ts.url).await.unwrap();

        sqlx::query("DELETE FROM mailboxes WHERE id = $1")
            .bind(s.mailbox)
            .execute(&mut conn)
            .await
            .unwrap();
        let sends = "SELECT count(*) FROM email_sends";
        let orphaned = "SELECT count(*) FROM email_sends WHERE mailbox_id IS NOT NULL";
        assert_eq!(
            count(&mut conn, sends).await,
            2,
            "sends outlive their mailbox"
        );
        assert_eq!(count(&mut conn, orphaned).await, 0, "and lose its id");

        sqlx::query("DELETE FROM workspaces WHERE id = $1")
            .bind(s.ws)
            .execute(&mut conn)
            .await
            .unwrap();
        assert_eq!(count(&mut conn, sends).await, 0);
        let texts = "SELECT count(*) FROM generated_messages";
        assert_eq!(count(&mut conn, texts).await, 0);
    }
}
