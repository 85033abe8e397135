//! Mailbox state changes and lookups by id (scoped by workspace).

use outreachd::domain::{
    CampaignId, CampaignStatus, MailboxId, MailboxStateChange, MailboxStatus, ProductId,
    ProductSpec,
};
use outreachd::store::StoreError;

use crate::dispatch_fixtures::{Setup, base, minutes};
use crate::fixtures::workspace;
use crate::support::TestBackend;

async fn a_mailbox_state_change_is_read_back(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &[], now).await;
    let change = MailboxStateChange {
        status: MailboxStatus::Cooling,
        reason: Some("421 4.7.0 too many messages".into()),
        cooling_until: Some(now + minutes(15)),
    };
    s.store()
        .set_mailbox_state(s.mailbox, &change)
        .await
        .unwrap();
    let mb = s
        .store()
        .mailbox_by_id(s.ws, s.mailbox)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (mb.status, mb.status_reason.as_deref()),
        (MailboxStatus::Cooling, Some("421 4.7.0 too many messages"))
    );
    assert_eq!(mb.cooling_until, Some(now + minutes(15)));
    let active = MailboxStateChange {
        status: MailboxStatus::Active,
        reason: None,
        cooling_until: None,
    };
    s.store()
        .set_mailbox_state(s.mailbox, &active)
        .await
        .unwrap();
    let mb = s
        .store()
        .mailbox_by_id(s.ws, s.mailbox)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (mb.status, mb.status_reason, mb.cooling_until),
        (MailboxStatus::Active, None, None)
    );
    let err = s
        .store()
        .set_mailbox_state(MailboxId::new(), &active)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
}

async fn lookups_by_id_are_scoped_by_workspace(backend: TestBackend) {
    let now = base();
    let s = Setup::new(backend, &[], now).await;
    let store = s.store();
    let product = ProductSpec {
        name: "Widget".into(),
        description: "It widgets.".into(),
        source_file_name: None,
    };
    let product = store.upsert_product(s.ws, &product).await.unwrap().value;
    let other = workspace(store, "other").await;

    let campaign = store
        .campaign_by_id(s.ws, s.campaign)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (campaign.name.as_str(), campaign.status),
        ("Launch", CampaignStatus::Running)
    );
    assert_eq!(campaign.mailbox_ids, [s.mailbox]);
    assert_eq!(
        store
            .mailbox_by_id(s.ws, s.mailbox)
            .await
            .unwrap()
            .unwrap()
            .address,
        "sender@example.com"
    );
    assert_eq!(
        store.product_by_id(s.ws, product.id).await.unwrap(),
        Some(product.clone())
    );

    assert!(
        store
            .campaign_by_id(other, s.campaign)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .mailbox_by_id(other, s.mailbox)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .product_by_id(other, product.id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .campaign_by_id(s.ws, CampaignId::new())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .product_by_id(s.ws, ProductId::new())
            .await
            .unwrap()
            .is_none()
    );
}

crate::on_both_backends!(
    a_mailbox_state_change_is_read_back,
    lookups_by_id_are_scoped_by_workspace,
);
