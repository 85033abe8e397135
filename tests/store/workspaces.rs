//! Workspaces: created once, then found unchanged.

use crate::support::{TestBackend, test_store};
use outreachd::domain::Change;

async fn workspace_upsert_is_idempotent(backend: TestBackend) {
    let ts = test_store(backend).await;
    let first = ts.store.upsert_workspace("acme").await.unwrap();
    assert_eq!(first.change, Change::Created);
    assert_eq!(first.value.name, "acme");
    let again = ts.store.upsert_workspace("acme").await.unwrap();
    assert_eq!(again.change, Change::Unchanged);
    assert_eq!(again.value, first.value);

    ts.store.upsert_workspace("globex").await.unwrap();
    let found = ts
        .store
        .workspace_by_name("acme")
        .await
        .unwrap()
        .expect("found by name");
    assert_eq!(found, first.value);
    assert!(
        ts.store
            .workspace_by_name("initech")
            .await
            .unwrap()
            .is_none()
    );
    let mut names: Vec<String> = ts
        .store
        .list_workspaces()
        .await
        .unwrap()
        .into_iter()
        .map(|w| w.name)
        .collect();
    names.sort();
    assert_eq!(names, ["acme", "globex"]);
}

crate::on_both_backends!(workspace_upsert_is_idempotent);
