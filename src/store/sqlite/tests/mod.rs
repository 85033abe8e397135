//! Quick checks of what is particular to the SQLite backend (file lock, timestamp text, chunked
//! bulk statements). The conformance suite in `tests/store` is the contract for both backends.

mod dispatch;
mod plans;

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::*;
use crate::domain::*;
use crate::domain::{EmailAddress, HumanDuration, LeadId, MailboxId, SendWindow, SmtpSecurity};
use crate::store::*;

fn cipher() -> SecretCipher {
    SecretCipher::from_bytes(&[7u8; 32]).expect("32-byte key")
}

fn url(dir: &tempfile::TempDir) -> String {
    format!(
        "sqlite://{}",
        dir.path().join("sub/dir/outreachd.db").display()
    )
}

async fn open_store(dir: &tempfile::TempDir, mode: OpenMode) -> Result<SqliteStore, StoreError> {
    SqliteStore::open(&DatabaseSettings::for_url(&url(dir)), cipher(), mode).await
}

pub(super) async fn ready_store(dir: &tempfile::TempDir) -> SqliteStore {
    let store = open_store(dir, OpenMode::Tool).await.expect("open");
    store.migrate().await.expect("migrate");
    store.verify_encryption_key().await.expect("key");
    store
}

pub(super) fn email(s: &str) -> EmailAddress {
    EmailAddress::parse(s).expect("valid email")
}

pub(super) fn mailbox_spec(address: &str) -> MailboxSpec {
    MailboxSpec {
        address: email(address),
        from_name: "Ann".into(),
        signature: String::new(),
        smtp: ServerSpec {
            host: "smtp.example.com".into(),
            port: 587,
            security: SmtpSecurity::Starttls,
            username: address.into(),
            password: SecretString::from("hunter2".to_owned()),
        },
        imap: None,
        daily_cap: 50,
        hourly_cap: None,
        min_gap: HumanDuration::from_secs(60),
        max_gap: HumanDuration::from_secs(120),
        warmup: None,
        warmup_started_on: None,
        timezone: "Europe/Berlin".into(),
    }
}

pub(super) fn campaign_spec(name: &str, pool: Vec<MailboxId>, steps: usize) -> CampaignSpec {
    CampaignSpec {
        name: name.into(),
        goal: "meetings".into(),
        ai: Default::default(),
        product_id: None,
        status: None,
        rules: SendingRules {
            window: SendWindow::ALWAYS,
            ..SendingRules::default()
        },
        mailbox_ids: pool,
        steps: (0..steps)
            .map(|i| StepSpec {
                delay: HumanDuration::from_secs(86_400 * i as u64),
                subject_template: (i == 0).then(|| "Hi {{ first_name }}".to_owned()),
                body_template: format!("body {i}"),
                ai_instructions: None,
            })
            .collect(),
    }
}

pub(super) fn lead(address: &str) -> NewLead {
    NewLead {
        email: Some(email(address)),
        custom: BTreeMap::from([("Source".to_owned(), "fair".to_owned())]),
        ..NewLead::default()
    }
}

#[test]
fn timestamps_are_fixed_width_so_text_order_is_time_order() {
    let whole = Utc.with_ymd_and_hms(2026, 11, 23, 3, 52, 31).unwrap();
    assert_eq!(ts(whole), "2026-11-23T03:52:31.000000Z");
    let later = whole + chrono::TimeDelta::nanoseconds(1_500);
    assert_eq!(ts(later), "2026-11-23T03:52:31.000001Z");
    assert!(ts(whole) < ts(later));
}

#[tokio::test]
async fn a_second_daemon_on_the_same_file_is_refused_but_tools_may_join() {
    let dir = tempfile::tempdir().unwrap();
    let daemon = open_store(&dir, OpenMode::Daemon)
        .await
        .expect("first daemon");
    let second = open_store(&dir, OpenMode::Daemon).await;
    assert!(
        matches!(second, Err(StoreError::Locked(_))),
        "{:?}",
        second.err()
    );
    open_store(&dir, OpenMode::Tool)
        .await
        .expect("a tool opens beside the daemon");
    drop(daemon);
    open_store(&dir, OpenMode::Daemon)
        .await
        .expect("the lock goes with the daemon");
}

#[tokio::test]
async fn readiness_counts_pending_migrations_until_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let store = open_store(&dir, OpenMode::Tool).await.unwrap();
    let before = store.readiness().await;
    assert!(before.reachable);
    assert!(before.migrations_pending >= 1);
    store.migrate().await.unwrap();
    store.migrate().await.expect("migrating twice is a no-op");
    assert_eq!(
        store.readiness().await,
        Readiness {
            reachable: true,
            migrations_pending: 0
        }
    );
}

#[tokio::test]
async fn another_key_is_refused_by_the_canary() {
    let dir = tempfile::tempdir().unwrap();
    drop(ready_store(&dir).await);
    let other = SecretCipher::from_bytes(&[8u8; 32]).unwrap();
    let store = SqliteStore::open(
        &DatabaseSettings::for_url(&url(&dir)),
        other,
        OpenMode::Tool,
    )
    .await
    .unwrap();
    let err = store.verify_encryption_key().await.unwrap_err();
    assert!(
        matches!(err, StoreError::Cipher(CipherError::Decrypt)),
        "{err}"
    );
}

#[tokio::test]
async fn an_identical_mailbox_upsert_changes_nothing_and_passwords_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let store = ready_store(&dir).await;
    let ws = store.upsert_workspace("acme").await.unwrap().value.id;
    let first = store
        .upsert_mailbox(ws, &mailbox_spec("Ann@Example.com"))
        .await
        .unwrap();
    assert_eq!(first.change, Change::Created);
    let again = store
        .upsert_mailbox(ws, &mailbox_spec("Ann@Example.com"))
        .await
        .unwrap();
    assert_eq!(again.change, Change::Unchanged);
    assert_eq!(again.value, first.value);
    let mut renamed = mailbox_spec("ann@example.com");
    renamed.from_name = "Ann B".into();
    let updated = store.upsert_mailbox(ws, &renamed).await.unwrap();
    assert_eq!(updated.change, Change::Updated);
    assert_eq!(updated.value.id, first.value.id);
    let creds = store.mailbox_credentials(ws, first.value.id).await.unwrap();
    assert_eq!(creds.smtp_password.expose_secret(), "hunter2");
    assert!(creds.imap_password.is_none());
}

#[tokio::test]
async fn bulk_inserts_report_in_input_order_with_case_insensitive_identity() {
    let dir = tempfile::tempdir().unwrap();
    let store = ready_store(&dir).await;
    let ws = store.upsert_workspace("acme").await.unwrap().value.id;
    let first = store.insert_leads(ws, &[lead("a@x.com")]).await.unwrap();
    let batch = [
        lead("b@x.com"),
        lead("A@X.com"),
        lead("B@x.com"),
        lead("c@x.com"),
    ];
    let got = store.insert_leads(ws, &batch).await.unwrap();
    assert!(matches!(got[0], LeadInsert::Inserted(_)));
    assert_eq!(got[1], LeadInsert::Existing(first[0].id()));
    assert_eq!(got[2], LeadInsert::Existing(got[0].id()));
    assert!(matches!(got[3], LeadInsert::Inserted(_)));
    let stored = store
        .lead_by_email(ws, &email("C@X.COM"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.custom.get("Source").map(String::as_str),
        Some("fair")
    );
    assert_eq!(store.lead_ids(ws).await.unwrap().len(), 3);
}

#[tokio::test]
async fn large_batches_are_chunked_under_the_parameter_limit() {
    let dir = tempfile::tempdir().unwrap();
    let store = ready_store(&dir).await;
    let ws = store.upsert_workspace("acme").await.unwrap().value.id;
    let leads: Vec<NewLead> = (0..5_000).map(|i| lead(&format!("p{i}@x.com"))).collect();
    let got = store.insert_leads(ws, &leads).await.unwrap();
    assert!(got.iter().all(|r| matches!(r, LeadInsert::Inserted(_))));
    let again = store.insert_leads(ws, &leads).await.unwrap();
    assert_eq!(
        again.iter().map(LeadInsert::id).collect::<Vec<_>>(),
        got.iter().map(LeadInsert::id).collect::<Vec<_>>()
    );
    assert!(again.iter().all(|r| matches!(r, LeadInsert::Existing(_))));

    let mb = store
        .upsert_mailbox(ws, &mailbox_spec("ann@example.com"))
        .await
        .unwrap()
        .value
        .id;
    let campaign = store
        .upsert_campaign(ws, &campaign_spec("c", vec![mb], 2))
        .await
        .unwrap()
        .value;
    let ids = store.lead_ids(ws).await.unwrap();
    store
        .add_suppression(ws, "P1@X.com", "asked")
        .await
        .unwrap();
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap();
    let outcome = store
        .enroll_leads(ws, campaign.id, &ids, start)
        .await
        .unwrap();
    assert_eq!(
        outcome,
        EnrollOutcome {
            enrolled: 4_999,
            already_enrolled: 0,
            suppressed: 1
        }
    );
    let later = store.workspace_summary(ws, start).await.unwrap();
    assert_eq!(later.campaigns[0].due_now, 4_999);
    let before = store
        .workspace_summary(ws, start - chrono::TimeDelta::microseconds(1))
        .await
        .unwrap();
    assert_eq!(before.campaigns[0].due_now, 0);
}

#[tokio::test]
async fn the_conflict_names_the_first_step_active_leads_still_wait_for() {
    let dir = tempfile::tempdir().unwrap();
    let store = ready_store(&dir).await;
    let ws = store.upsert_workspace("acme").await.unwrap().value.id;
    let mb = store
        .upsert_mailbox(ws, &mailbox_spec("ann@example.com"))
        .await
        .unwrap()
        .value
        .id;
    let mut spec = campaign_spec("Nurture", vec![mb], 5);
    let campaign = store.upsert_campaign(ws, &spec).await.unwrap().value;
    let new = [
        lead("x@l.example"),
        lead("y@l.example"),
        lead("z@l.example"),
    ];
    let ids: Vec<LeadId> = store
        .insert_leads(ws, &new)
        .await
        .unwrap()
        .iter()
        .map(LeadInsert::id)
        .collect();
    store
        .enroll_leads(ws, campaign.id, &ids, Utc::now())
        .await
        .unwrap();
    for (lead, step, status) in [
        (ids[0], 4, "active"),
        (ids[1], 5, "active"),
        (ids[2], 5, "replied"),
    ] {
        sqlx::query(
            "UPDATE campaign_leads SET current_step_order = ?, status = ? WHERE lead_id = ?",
        )
        .bind(step)
        .bind(status)
        .bind(lead)
        .execute(&store.pool)
        .await
        .unwrap();
    }
    spec.steps.truncate(4);
    let err = store.upsert_campaign(ws, &spec).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m.contains("\"Nurture\"") && m.contains("step 5") && m.contains("1 active lead")),
        "{err}"
    );
    spec.steps.truncate(2);
    let err = store.upsert_campaign(ws, &spec).await.unwrap_err();
    assert!(
        matches!(&err, StoreError::Conflict(m) if m.contains("step 4") && m.contains("2 active lead")),
        "{err}"
    );
    assert_eq!(
        store.campaign_steps(ws, campaign.id).await.unwrap().len(),
        5
    );
}

#[tokio::test]
async fn sent_today_is_read_for_each_mailboxs_local_date() {
    let dir = tempfile::tempdir().unwrap();
    let store = ready_store(&dir).await;
    let ws = store.upsert_workspace("acme").await.unwrap().value.id;
    let mut auckland = mailbox_spec("nz@example.com");
    auckland.timezone = "Pacific/Auckland".into();
    let mut los_angeles = mailbox_spec("la@example.com");
    los_angeles.timezone = "America/Los_Angeles".into();
    let nz = store.upsert_mailbox(ws, &auckland).await.unwrap().value.id;
    let la = store
        .upsert_mailbox(ws, &los_angeles)
        .await
        .unwrap()
        .value
        .id;
    // 2024-03-10 20:00 UTC is 2024-03-11 09:00 in Auckland and 2024-03-10 13:00 in LA.
    let now = Utc.with_ymd_and_hms(2024, 3, 10, 20, 0, 0).unwrap();
    for (mailbox, date, sent) in [
        (nz, "2024-03-10", 7),
        (nz, "2024-03-11", 3),
        (la, "2024-03-10", 11),
        (la, "2024-03-11", 1),
    ] {
        sqlx::query(
            "INSERT INTO mailbox_daily_counts (mailbox_id, local_date, sent) VALUES (?, ?, ?)",
        )
        .bind(mailbox)
        .bind(date)
        .bind(sent)
        .execute(&store.pool)
        .await
        .unwrap();
    }
    let summary = store.workspace_summary(ws, now).await.unwrap();
    let sent: Vec<(&str, u64)> = summary
        .mailboxes
        .iter()
        .map(|m| (m.address.as_str(), m.sent_today))
        .collect();
    assert_eq!(sent, [("la@example.com", 11), ("nz@example.com", 3)]);
}

#[tokio::test]
async fn an_unusable_path_fails_at_open_and_pool_stats_count_connections() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("file"), b"").unwrap();
    let bad = format!(
        "sqlite://{}",
        dir.path().join("file/outreachd.db").display()
    );
    let err = SqliteStore::open(&DatabaseSettings::for_url(&bad), cipher(), OpenMode::Tool)
        .await
        .err()
        .expect("a file is not a directory");
    assert!(matches!(err, StoreError::Connect { .. }), "{err:?}");

    let store = ready_store(&dir).await;
    store.list_workspaces().await.unwrap();
    let stats = store.pool_stats();
    assert!(stats.size >= 1 && stats.idle <= stats.size, "{stats:?}");
}
