//! Suppressions: by address or by domain, case-insensitive, idempotent.

use crate::fixtures::{email, workspace};
use crate::support::{TestBackend, test_store};

async fn suppressions_match_addresses_and_domains_case_insensitively(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    ts.store
        .add_suppression(ws, "Stop@Example.com", "asked to stop")
        .await
        .unwrap();
    ts.store
        .add_suppression(ws, "stop@example.com", "asked again")
        .await
        .expect("idempotent");
    ts.store
        .add_suppression(ws, "Competitor.IO", "competitor")
        .await
        .unwrap();
    ts.store
        .add_suppression(ws, "competitor.io", "competitor")
        .await
        .expect("idempotent");

    let suppressed = |s: &'static str| {
        let store = ts.store.clone();
        async move { store.is_suppressed(ws, &email(s)).await.unwrap() }
    };
    assert!(suppressed("stop@example.com").await);
    assert!(suppressed("STOP@example.COM").await);
    assert!(
        !suppressed("go@example.com").await,
        "an address suppresses only itself"
    );
    assert!(suppressed("anyone@competitor.io").await);
    assert!(suppressed("CEO@Competitor.io").await);
    assert!(!suppressed("anyone@notcompetitor.io").await);

    let summary = ts
        .store
        .workspace_summary(ws, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(summary.suppressions, 2, "repeats add nothing");
}

crate::on_both_backends!(suppressions_match_addresses_and_domains_case_insensitively);
