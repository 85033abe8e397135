//! The privacy role: the suppression list as a list, bulk suppression that stops what it
//! matches, and erasure: nothing of the address stays but a salted hash that still suppresses
//! it, in its own workspace only, and marks a re-inserted lead unsubscribed.

use chrono::Utc;
use outreachd::domain::{
    CampaignLeadStatus, SuppressionFilter, SuppressionKind, WorkspaceId, erased_value,
};
use outreachd::store::Store;

use crate::fixtures::{campaign, email, leads, mailbox, past, workspace};
use crate::support::{TestBackend, test_store};

crate::on_both_backends!(
    a_bulk_suppression_stops_the_enrolments_its_addresses_and_domains_match,
    an_erased_address_is_suppressed_by_its_hash_in_its_own_workspace_only,
    an_address_with_capitals_beyond_ascii_is_found_and_erased,
    the_suppression_list_pages_by_id_and_searches_by_part_of_the_value,
);

async fn statuses(
    store: &dyn Store,
    ws: WorkspaceId,
    campaign: outreachd::domain::CampaignId,
    addresses: &[&str],
) -> Vec<CampaignLeadStatus> {
    let mut out = Vec::new();
    for a in addresses {
        let lead = store.lead_by_email(ws, &email(a)).await.unwrap().unwrap();
        let state = store.enrolment_state(ws, campaign, lead.id).await.unwrap();
        out.push(state.unwrap().status);
    }
    out
}

async fn a_bulk_suppression_stops_the_enrolments_its_addresses_and_domains_match(
    backend: TestBackend,
) {
    let ts = test_store(backend).await;
    let store = ts.store.as_ref();
    let ws = workspace(store, "acme").await;
    let mb = mailbox(store, ws, "a@example.com").await;
    let id = campaign(store, ws, "Launch", vec![mb]).await;
    let all = [
        "Ann@X.example",
        "bob@x.example",
        "cy@banned.example",
        "Åsa@Bücher.example",
        "dee@fine.example",
    ];
    let ids = leads(store, ws, &all).await;
    store.enroll_leads(ws, id, &ids, past()).await.unwrap();
    store
        .add_suppression(ws, "bob@x.example", "asked before")
        .await
        .unwrap();

    let values: Vec<String> = [
        "ann@x.example",
        "bob@x.example",
        "banned.example",
        "åsa@bücher.example",
    ]
    .map(str::to_owned)
    .to_vec();
    let mut added = store.add_suppressions(ws, &values, "a list").await.unwrap();
    added.sort();

    assert_eq!(
        added,
        ["ann@x.example", "banned.example", "åsa@bücher.example"]
    );
    use CampaignLeadStatus::{Active, Unsubscribed};
    assert_eq!(
        statuses(store, ws, id, &all).await,
        [
            Unsubscribed,
            Unsubscribed,
            Unsubscribed,
            Unsubscribed,
            Active
        ]
    );
    let entry = store
        .suppression_by_value(ws, "banned.example")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(entry.kind, SuppressionKind::Domain);
    assert_eq!(entry.reason, "a list");
}

async fn an_erased_address_is_suppressed_by_its_hash_in_its_own_workspace_only(
    backend: TestBackend,
) {
    let ts = test_store(backend).await;
    let store = ts.store.as_ref();
    let ws = workspace(store, "acme").await;
    let other = workspace(store, "other").await;
    let mb = mailbox(store, ws, "a@example.com").await;
    let id = campaign(store, ws, "Launch", vec![mb]).await;
    let ids = leads(store, ws, &["Gone@X.example", "kept@x.example"]).await;
    store.enroll_leads(ws, id, &ids, past()).await.unwrap();
    leads(store, other, &["gone@x.example"]).await;
    assert_eq!(store.privacy_salt(ws, false).await.unwrap(), None);

    let salt = store.privacy_salt(ws, true).await.unwrap().unwrap();
    let again = store.privacy_salt(ws, true).await.unwrap().unwrap();
    let value = erased_value(&salt, &email("gone@x.example"));
    let report = store
        .erase_subject(ws, &email("GONE@x.example"), &value, Utc::now())
        .await
        .unwrap();

    assert_eq!(salt, again, "one salt per workspace");
    assert_eq!((report.leads, report.enrolments), (1, 1), "{report:?}");
    assert!(
        store
            .lead_by_email(ws, &email("gone@x.example"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .is_suppressed(ws, &email("Gone@x.example"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .is_suppressed(ws, &email("kept@x.example"))
            .await
            .unwrap()
    );
    assert!(
        !store
            .is_suppressed(other, &email("gone@x.example"))
            .await
            .unwrap(),
        "another workspace's lead is not erased"
    );
    assert!(
        store
            .lead_by_email(other, &email("gone@x.example"))
            .await
            .unwrap()
            .is_some()
    );

    leads(store, ws, &["gone@X.example", "new@x.example"]).await;
    let back = store
        .lead_by_email(ws, &email("gone@x.example"))
        .await
        .unwrap()
        .unwrap();
    let new = store
        .lead_by_email(ws, &email("new@x.example"))
        .await
        .unwrap()
        .unwrap();
    assert!(back.unsubscribed_at.is_some(), "{back:?}");
    assert!(new.unsubscribed_at.is_none(), "{new:?}");
    let export = store
        .export_subject(ws, &email("gone@x.example"), Some(&value), Utc::now())
        .await
        .unwrap();
    assert!(export.erased);
    assert_eq!(export.suppressions.len(), 1);
}

async fn an_address_with_capitals_beyond_ascii_is_found_and_erased(backend: TestBackend) {
    let ts = test_store(backend).await;
    let store = ts.store.as_ref();
    let ws = workspace(store, "acme").await;
    leads(store, ws, &["Émile@Bücher.example", "emile@bucher.example"]).await;
    let salt = store.privacy_salt(ws, true).await.unwrap().unwrap();
    let address = email("émile@bücher.example");

    let export = store
        .export_subject(ws, &address, None, Utc::now())
        .await
        .unwrap();
    let report = store
        .erase_subject(ws, &address, &erased_value(&salt, &address), Utc::now())
        .await
        .unwrap();

    assert_eq!(export.lead.unwrap().email, "Émile@Bücher.example");
    assert_eq!(report.leads, 1, "only that address: {report:?}");
    assert!(
        store
            .lead_by_email(ws, &email("emile@bucher.example"))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .is_suppressed(ws, &email("ÉMILE@BÜCHER.example"))
            .await
            .unwrap()
    );
}

async fn the_suppression_list_pages_by_id_and_searches_by_part_of_the_value(backend: TestBackend) {
    let ts = test_store(backend).await;
    let store = ts.store.as_ref();
    let ws = workspace(store, "acme").await;
    let other = workspace(store, "other").await;
    for v in [
        "a@one.example",
        "b@two.example",
        "one.example",
        "c_d@three.example",
    ] {
        store.add_suppression(ws, v, "test").await.unwrap();
    }
    store
        .add_suppression(other, "z@one.example", "theirs")
        .await
        .unwrap();
    let list = |q: Option<&str>, after, limit| SuppressionFilter {
        q: q.map(str::to_owned),
        after,
        limit,
    };

    let first = store
        .list_suppressions(ws, &list(None, None, 2))
        .await
        .unwrap();
    let rest = store
        .list_suppressions(ws, &list(None, Some(first[1].id), 10))
        .await
        .unwrap();
    let one = store
        .list_suppressions(ws, &list(Some("ONE"), None, 10))
        .await
        .unwrap();
    let underscore = store
        .list_suppressions(ws, &list(Some("c_d"), None, 10))
        .await
        .unwrap();
    let no_wildcard = store
        .list_suppressions(ws, &list(Some("c%d"), None, 10))
        .await
        .unwrap();

    let values = |v: &[outreachd::domain::Suppression]| -> Vec<String> {
        v.iter().map(|s| s.value.clone()).collect()
    };
    assert_eq!(values(&first), ["a@one.example", "b@two.example"]);
    assert_eq!(values(&rest), ["one.example", "c_d@three.example"]);
    assert_eq!(values(&one), ["a@one.example", "one.example"]);
    assert_eq!(values(&underscore), ["c_d@three.example"]);
    assert!(no_wildcard.is_empty());
}
