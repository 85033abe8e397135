//! Catalog edits (the API's): deleting a mailbox only when no campaign needs it, paging,
//! creating, renaming and soft-deleting products.

use chrono::Utc;
use outreachd::domain::{CampaignStatus, ProductSpec};
use outreachd::store::{Removal, StoreError};

use crate::fixtures::{campaign, campaign_spec, leads, mailbox, past, workspace};
use crate::support::{TestBackend, test_store};

fn product(name: &str) -> ProductSpec {
    ProductSpec {
        name: name.to_owned(),
        description: format!("{name} saves time."),
        source_file_name: None,
    }
}

async fn a_mailbox_no_campaign_needs_is_deleted_but_not_from_another_workspace(
    backend: TestBackend,
) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let other = workspace(&*ts.store, "globex").await;
    let id = mailbox(&*ts.store, ws, "ada@acme.test").await;

    assert_eq!(
        ts.store.delete_mailbox(other, id).await.unwrap(),
        Removal::NotFound
    );
    assert!(ts.store.mailbox_by_id(ws, id).await.unwrap().is_some());

    assert_eq!(
        ts.store.delete_mailbox(ws, id).await.unwrap(),
        Removal::Removed
    );
    assert!(ts.store.mailbox_by_id(ws, id).await.unwrap().is_none());
    assert_eq!(
        ts.store.delete_mailbox(ws, id).await.unwrap(),
        Removal::NotFound
    );
}

async fn a_mailbox_in_a_pool_or_sending_to_enrolled_leads_is_kept(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let ada = mailbox(&*ts.store, ws, "ada@acme.test").await;
    let bob = mailbox(&*ts.store, ws, "bob@acme.test").await;
    campaign(&*ts.store, ws, "Spring", vec![ada]).await;
    let autumn = campaign(&*ts.store, ws, "Autumn", vec![ada]).await;
    let lead_ids = leads(&*ts.store, ws, &["x@rcpt.test"]).await;
    ts.store
        .enroll_leads(ws, autumn, &lead_ids, past())
        .await
        .unwrap();

    let kept = ts.store.delete_mailbox(ws, ada).await.unwrap();
    assert_eq!(
        kept,
        Removal::InUse {
            campaigns: vec!["Autumn".to_owned(), "Spring".to_owned()]
        }
    );

    // Out of Autumn's pool, Ada still has Autumn's enrolled lead to write to.
    let mut spec = campaign_spec("Autumn", vec![bob], 2);
    spec.status = None;
    ts.store.upsert_campaign(ws, &spec).await.unwrap();
    let spring = campaign_spec("Spring", vec![bob], 2);
    ts.store.upsert_campaign(ws, &spring).await.unwrap();
    assert_eq!(
        ts.store.delete_mailbox(ws, ada).await.unwrap(),
        Removal::InUse {
            campaigns: vec!["Autumn".to_owned()]
        }
    );
    assert!(ts.store.mailbox_by_id(ws, ada).await.unwrap().is_some());
}

async fn products_are_paged_by_id_without_deleted_ones(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let other = workspace(&*ts.store, "globex").await;
    let now = Utc::now();
    let mut ids = Vec::new();
    for name in ["A", "B", "C"] {
        ids.push(
            ts.store
                .create_product(ws, &product(name), now)
                .await
                .unwrap()
                .id,
        );
    }
    ts.store
        .create_product(other, &product("X"), now)
        .await
        .unwrap();
    ts.store.delete_product(ws, ids[1], now).await.unwrap();

    let first = ts.store.list_products(ws, None, 1).await.unwrap();
    let rest = ts
        .store
        .list_products(ws, Some(first[0].id), 10)
        .await
        .unwrap();

    let names =
        |ps: &[outreachd::domain::Product]| ps.iter().map(|p| p.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&first), ["A"]);
    assert_eq!(names(&rest), ["C"]);
}

async fn a_taken_name_conflicts_and_a_deleted_ones_comes_back_with_its_id(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let now = Utc::now();
    let widget = ts
        .store
        .create_product(ws, &product("Widget"), now)
        .await
        .unwrap();
    let gadget = ts
        .store
        .create_product(ws, &product("Gadget"), now)
        .await
        .unwrap();

    let again = ts.store.create_product(ws, &product("Widget"), now).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let renamed = ts
        .store
        .update_product(ws, gadget.id, &product("Widget"), now)
        .await;
    assert!(
        matches!(renamed, Err(StoreError::Conflict(_))),
        "{renamed:?}"
    );

    assert_eq!(
        ts.store.delete_product(ws, widget.id, now).await.unwrap(),
        Removal::Removed
    );
    assert!(
        ts.store
            .product_by_id(ws, widget.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        ts.store
            .update_product(ws, widget.id, &product("Widget"), now)
            .await
            .unwrap()
            .is_none()
    );
    let mut fresh = product("Widget");
    fresh.description = "Now faster.".to_owned();
    let back = ts.store.create_product(ws, &fresh, now).await.unwrap();
    assert_eq!(back.id, widget.id);
    assert_eq!(back.description, "Now faster.");
}

async fn a_product_an_unfinished_campaign_uses_is_kept(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let now = Utc::now();
    let widget = ts
        .store
        .create_product(ws, &product("Widget"), now)
        .await
        .unwrap();
    let ada = mailbox(&*ts.store, ws, "ada@acme.test").await;
    let mut spec = campaign_spec("Spring", vec![ada], 1);
    spec.product_id = Some(widget.id);
    let spring = ts.store.upsert_campaign(ws, &spec).await.unwrap().value.id;

    assert_eq!(
        ts.store.delete_product(ws, widget.id, now).await.unwrap(),
        Removal::InUse {
            campaigns: vec!["Spring".to_owned()]
        }
    );

    ts.store
        .set_campaign_status(ws, spring, CampaignStatus::Completed)
        .await
        .unwrap();
    assert_eq!(
        ts.store.delete_product(ws, widget.id, now).await.unwrap(),
        Removal::Removed
    );
}

crate::on_both_backends!(
    a_mailbox_no_campaign_needs_is_deleted_but_not_from_another_workspace,
    a_mailbox_in_a_pool_or_sending_to_enrolled_leads_is_kept,
    products_are_paged_by_id_without_deleted_ones,
    a_taken_name_conflicts_and_a_deleted_ones_comes_back_with_its_id,
    a_product_an_unfinished_campaign_uses_is_kept,
);
