//! Migrations, readiness and the encryption-key canary.

use outreachd::config::DatabaseSettings;
use outreachd::store::{self, CipherError, OpenMode, SecretCipher, StoreError};
use secrecy::ExposeSecret;

use crate::fixtures::{mailbox, workspace};
use crate::support::{self, TestBackend, test_cipher, test_store};

fn other_cipher() -> SecretCipher {
    SecretCipher::from_bytes(&[42u8; 32]).expect("32-byte key")
}

async fn migrations_run_again_are_a_no_op(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    ts.store.migrate().await.expect("second migrate");
    ts.store.migrate().await.expect("third migrate");
    let readiness = ts.store.readiness().await;
    assert!(readiness.reachable);
    assert_eq!(readiness.migrations_pending, 0);
    let found = ts
        .store
        .workspace_by_name("acme")
        .await
        .unwrap()
        .expect("data survives");
    assert_eq!(found.id, ws);
}

async fn readiness_reports_pending_migrations_until_migrated(backend: TestBackend) {
    let dir = tempfile::tempdir().unwrap();
    let url = support::database_url(backend, &dir).await;
    let store = store::open(
        &DatabaseSettings::for_url(&url),
        test_cipher(),
        OpenMode::Tool,
    )
    .await
    .expect("open an empty database");
    let before = store.readiness().await;
    assert!(before.reachable);
    assert!(before.migrations_pending >= 1, "{before:?}");
    store.migrate().await.unwrap();
    let after = store.readiness().await;
    assert!(after.reachable);
    assert_eq!(after.migrations_pending, 0);
}

async fn a_different_key_is_refused_on_the_same_database(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let mb = mailbox(&*ts.store, ws, "ada@example.com").await;

    let settings = DatabaseSettings::for_url(&ts.url);
    let wrong = store::open(&settings, other_cipher(), OpenMode::Tool)
        .await
        .unwrap();
    let err = wrong.verify_encryption_key().await.unwrap_err();
    assert!(
        matches!(err, StoreError::Cipher(CipherError::Decrypt)),
        "{err:?}"
    );
    let err = wrong.mailbox_credentials(ws, mb).await.unwrap_err();
    assert!(
        matches!(err, StoreError::Cipher(CipherError::Decrypt)),
        "{err:?}"
    );

    let right = store::open(&settings, test_cipher(), OpenMode::Tool)
        .await
        .unwrap();
    right
        .verify_encryption_key()
        .await
        .expect("the original key still verifies");
    let creds = right.mailbox_credentials(ws, mb).await.unwrap();
    assert_eq!(creds.smtp_password.expose_secret(), "smtp-secret");
}

async fn verifying_the_key_twice_is_fine(backend: TestBackend) {
    let ts = test_store(backend).await;
    ts.store
        .verify_encryption_key()
        .await
        .expect("second verification");
}

crate::on_both_backends!(
    migrations_run_again_are_a_no_op,
    readiness_reports_pending_migrations_until_migrated,
    a_different_key_is_refused_on_the_same_database,
    verifying_the_key_twice_is_fine,
);
