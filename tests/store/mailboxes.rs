//! Mailboxes: upsert change detection, credentials at rest, case-insensitive identity.

use outreachd::domain::{Change, HumanDuration, MailboxStatus, ServerInfo, SmtpSecurity, Warmup};

use chrono::NaiveDate;
use secrecy::{ExposeSecret, SecretString};

use crate::fixtures::{email, mailbox_spec, server, workspace};
use crate::sql;
use crate::support::{TestBackend, test_store};

async fn a_mailbox_reads_back_as_specified(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let spec = mailbox_spec("Ada@Example.com");
    let created = ts.store.upsert_mailbox(ws, &spec).await.unwrap();
    assert_eq!(created.change, Change::Created);
    let mb = created.value;
    assert_eq!(mb.workspace_id, ws);
    assert_eq!(mb.address, "Ada@Example.com");
    assert_eq!(mb.from_name, "Ada Sender");
    assert_eq!(mb.signature, "-- \nAda");
    let info = |host: &str, port| ServerInfo {
        host: host.to_owned(),
        port,
        security: SmtpSecurity::Starttls,
        username: "sender".to_owned(),
    };
    assert_eq!(mb.smtp, info("smtp.example.com", 587));
    assert_eq!(mb.imap, Some(info("imap.example.com", 993)));
    assert_eq!(mb.daily_cap, 40);
    assert_eq!(mb.hourly_cap, Some(8));
    assert_eq!(mb.min_gap, HumanDuration::from_secs(60));
    assert_eq!(mb.max_gap, HumanDuration::from_secs(300));
    assert_eq!(
        mb.warmup,
        Some(Warmup {
            start_per_day: 5,
            increment_per_day: 2
        })
    );
    assert_eq!(mb.timezone, "Europe/Berlin");
    assert_eq!(mb.status, MailboxStatus::Active);
    assert_eq!(mb.status_reason, None);

    let listed = ts.store.list_mailboxes(ws).await.unwrap();
    assert_eq!(listed, vec![mb.clone()]);
    let found = ts
        .store
        .mailbox_by_address(ws, &email("ada@example.COM"))
        .await
        .unwrap();
    assert_eq!(found, Some(mb));
    assert!(
        ts.store
            .mailbox_by_address(ws, &email("bob@example.com"))
            .await
            .unwrap()
            .is_none()
    );
}

async fn mailbox_upsert_reports_created_unchanged_and_updated(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let mut spec = mailbox_spec("ada@example.com");
    let created = ts.store.upsert_mailbox(ws, &spec).await.unwrap();
    assert_eq!(created.change, Change::Created);

    let same = ts.store.upsert_mailbox(ws, &spec).await.unwrap();
    assert_eq!(same.change, Change::Unchanged);
    assert_eq!(
        same.value, created.value,
        "an unchanged upsert writes nothing (updated_at too)"
    );

    spec.daily_cap = 60;
    let updated = ts.store.upsert_mailbox(ws, &spec).await.unwrap();
    assert_eq!(updated.change, Change::Updated);
    assert_eq!(updated.value.id, created.value.id);
    assert_eq!(updated.value.daily_cap, 60);
    assert_eq!(updated.value.created_at, created.value.created_at);
    assert!(updated.value.updated_at >= created.value.updated_at);

    spec.smtp.password = SecretString::from("rotated".to_owned());
    let rotated = ts.store.upsert_mailbox(ws, &spec).await.unwrap();
    assert_eq!(
        rotated.change,
        Change::Updated,
        "a password change is a change"
    );
    assert_eq!(
        ts.store.upsert_mailbox(ws, &spec).await.unwrap().change,
        Change::Unchanged,
        "the new password compares equal once stored"
    );

    spec.warmup = None;
    spec.hourly_cap = None;
    assert_eq!(
        ts.store.upsert_mailbox(ws, &spec).await.unwrap().change,
        Change::Updated
    );
    let read = ts.store.list_mailboxes(ws).await.unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].warmup, None);
    assert_eq!(read[0].hourly_cap, None);
}

async fn credentials_round_trip_and_imap_can_be_removed(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let mut spec = mailbox_spec("ada@example.com");
    let id = ts.store.upsert_mailbox(ws, &spec).await.unwrap().value.id;
    let creds = ts.store.mailbox_credentials(ws, id).await.unwrap();
    assert_eq!(creds.smtp_password.expose_secret(), "smtp-secret");
    assert_eq!(
        creds
            .imap_password
            .as_ref()
            .map(|p| p.expose_secret().to_owned()),
        Some("imap-secret".to_owned())
    );

    spec.imap.as_mut().unwrap().password = SecretString::from("new-imap".to_owned());
    assert_eq!(
        ts.store.upsert_mailbox(ws, &spec).await.unwrap().change,
        Change::Updated
    );
    let creds = ts.store.mailbox_credentials(ws, id).await.unwrap();
    assert_eq!(creds.imap_password.unwrap().expose_secret(), "new-imap");

    spec.imap = None;
    let updated = ts.store.upsert_mailbox(ws, &spec).await.unwrap();
    assert_eq!(updated.change, Change::Updated);
    assert_eq!(updated.value.imap, None);
    let creds = ts.store.mailbox_credentials(ws, id).await.unwrap();
    assert!(creds.imap_password.is_none());
    assert_eq!(creds.smtp_password.expose_secret(), "smtp-secret");

    spec.imap = Some(server("imap.example.com", 143, "back"));
    assert_eq!(
        ts.store.upsert_mailbox(ws, &spec).await.unwrap().change,
        Change::Updated
    );
    let creds = ts.store.mailbox_credentials(ws, id).await.unwrap();
    assert_eq!(creds.imap_password.unwrap().expose_secret(), "back");
}

async fn mailbox_addresses_are_unique_case_insensitively(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let first = ts
        .store
        .upsert_mailbox(ws, &mailbox_spec("Sales@Example.com"))
        .await
        .unwrap();
    let second = ts
        .store
        .upsert_mailbox(ws, &mailbox_spec("sales@EXAMPLE.com"))
        .await
        .unwrap();
    assert_eq!(
        second.value.id, first.value.id,
        "same mailbox, another spelling"
    );
    assert_eq!(second.change, Change::Updated, "the new spelling is stored");
    assert_eq!(second.value.address, "sales@EXAMPLE.com");
    let all = ts.store.list_mailboxes(ws).await.unwrap();
    assert_eq!(all.len(), 1);
    ts.store
        .upsert_mailbox(ws, &mailbox_spec("other@example.com"))
        .await
        .unwrap();
    assert_eq!(ts.store.list_mailboxes(ws).await.unwrap().len(), 2);
}

async fn an_unknown_mailbox_has_no_credentials(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let err = ts
        .store
        .mailbox_credentials(ws, outreachd::domain::MailboxId::new())
        .await
        .unwrap_err();
    assert!(
        matches!(err, outreachd::store::StoreError::NotFound { .. }),
        "{err:?}"
    );
}

async fn a_new_mailbox_warms_up_from_today_and_apply_can_reset_the_date(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let mut spec = mailbox_spec("ada@example.com");
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Europe::Berlin)
        .date_naive();
    let created = ts.store.upsert_mailbox(ws, &spec).await.unwrap().value;
    assert_eq!(created.warmup_started_on, today);

    let earlier = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
    spec.warmup_started_on = Some(earlier);
    let reset = ts.store.upsert_mailbox(ws, &spec).await.unwrap();
    assert_eq!(reset.change, Change::Updated);
    assert_eq!(reset.value.warmup_started_on, earlier);
    assert_eq!(
        ts.store.upsert_mailbox(ws, &spec).await.unwrap().change,
        Change::Unchanged
    );

    // Without the key the stored date stays, even when something else changes.
    spec.warmup_started_on = None;
    spec.daily_cap += 1;
    let kept = ts.store.upsert_mailbox(ws, &spec).await.unwrap().value;
    assert_eq!(kept.warmup_started_on, earlier);
}

async fn mailboxes_without_a_warmup_date_are_backfilled_from_their_creation(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let mut spec = mailbox_spec("ada@example.com");
    spec.warmup_started_on = NaiveDate::from_ymd_opt(2026, 1, 5);
    let created = ts.store.upsert_mailbox(ws, &spec).await.unwrap().value;
    sql::execute(
        backend,
        &ts,
        "UPDATE mailboxes SET warmup_started_on = NULL",
    )
    .await;
    let backfill = match backend {
        TestBackend::Postgres => {
            include_str!("../../migrations/postgres/0007_warmup_started_on.sql")
        }
        TestBackend::Sqlite => include_str!("../../migrations/sqlite/0007_warmup_started_on.sql"),
    };
    sql::execute(backend, &ts, backfill).await;
    let read = ts
        .store
        .mailbox_by_id(ws, created.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.warmup_started_on, created.created_at.date_naive());
}

crate::on_both_backends!(
    a_new_mailbox_warms_up_from_today_and_apply_can_reset_the_date,
    mailboxes_without_a_warmup_date_are_backfilled_from_their_creation,
    a_mailbox_reads_back_as_specified,
    mailbox_upsert_reports_created_unchanged_and_updated,
    credentials_round_trip_and_imap_can_be_removed,
    mailbox_addresses_are_unique_case_insensitively,
    an_unknown_mailbox_has_no_credentials,
);
