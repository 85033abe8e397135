//! Products: upsert change detection and lookup by name.

use crate::fixtures::workspace;
use crate::support::{TestBackend, test_store};
use outreachd::domain::{Change, ProductSpec};

async fn product_upsert_reports_created_unchanged_and_updated(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let mut spec = ProductSpec {
        name: "Widget".to_owned(),
        description: "A widget that saves time.".to_owned(),
        source_file_name: Some("widget.md".to_owned()),
    };
    let created = ts.store.upsert_product(ws, &spec).await.unwrap();
    assert_eq!(created.change, Change::Created);
    assert_eq!(created.value.name, "Widget");
    assert_eq!(created.value.source_file_name.as_deref(), Some("widget.md"));

    let same = ts.store.upsert_product(ws, &spec).await.unwrap();
    assert_eq!(same.change, Change::Unchanged);
    assert_eq!(same.value, created.value);

    spec.description = "A widget that saves more time.".to_owned();
    spec.source_file_name = None;
    let updated = ts.store.upsert_product(ws, &spec).await.unwrap();
    assert_eq!(updated.change, Change::Updated);
    assert_eq!(updated.value.id, created.value.id);

    let found = ts
        .store
        .product_by_name(ws, "Widget")
        .await
        .unwrap()
        .expect("found");
    assert_eq!(found, updated.value);
    assert_eq!(found.source_file_name, None);
    assert!(
        ts.store
            .product_by_name(ws, "Gadget")
            .await
            .unwrap()
            .is_none()
    );
}

crate::on_both_backends!(product_upsert_reports_created_unchanged_and_updated);
