//! The personas role on both backends: a stored persona with its origin, the background path
//! that never replaces one, failures with and without a retry time, profile texts scoped to
//! their workspace, and the sweep for leads that still need a persona.

use chrono::{TimeDelta, Utc};
use outreachd::domain::{NewLead, PersonaOrigin};
use outreachd::store::Store;
use serde_json::json;

use crate::fixtures::{lead, workspace};
use crate::support::{TestBackend, test_store};

crate::on_both_backends!(
    a_stored_persona_is_read_back_with_its_origin,
    the_background_path_never_replaces_a_persona,
    the_sweep_finds_leads_with_inputs_and_no_persona,
    a_failure_keeps_a_lead_from_the_sweep_until_its_retry_time,
    profile_text_is_set_only_within_the_workspace,
);

fn origin() -> PersonaOrigin {
    PersonaOrigin {
        provider: "openai".into(),
        model: "gpt-4o-mini-2024-07-18".into(),
        cost_usd: 0.00042,
    }
}

async fn insert(
    store: &dyn Store,
    ws: outreachd::domain::WorkspaceId,
    leads: &[NewLead],
) -> Vec<outreachd::domain::LeadId> {
    store
        .insert_leads(ws, leads)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id())
        .collect()
}

fn with_website(address: &str) -> NewLead {
    NewLead {
        website: Some("acme.test".into()),
        ..lead(address)
    }
}

async fn a_stored_persona_is_read_back_with_its_origin(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let id = insert(&*ts.store, ws, &[with_website("ann@x.com")]).await[0];
    let persona = json!({"title": "VP Operations", "painPoints": ["late trucks"]});

    let stored = ts
        .store
        .store_persona(ws, id, &persona, &origin(), false, Utc::now())
        .await
        .unwrap();

    assert!(stored);
    let read = ts.store.lead_persona(ws, id).await.unwrap().unwrap();
    assert_eq!(read.lead.persona, Some(persona));
    assert_eq!(read.provider.as_deref(), Some("openai"));
    assert_eq!(read.model.as_deref(), Some("gpt-4o-mini-2024-07-18"));
    assert_eq!(read.cost_usd, Some(0.00042));
    assert!(read.generated_at.is_some());
    assert_eq!(read.error, None);
}

async fn the_background_path_never_replaces_a_persona(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let id = insert(&*ts.store, ws, &[with_website("ann@x.com")]).await[0];
    let first = json!({"title": "first"});
    let second = json!({"title": "second"});
    let now = Utc::now();
    ts.store
        .store_persona(ws, id, &first, &origin(), false, now)
        .await
        .unwrap();

    let kept = ts
        .store
        .store_persona(ws, id, &second, &origin(), false, now)
        .await
        .unwrap();
    assert!(!kept);
    let read = ts.store.lead_persona(ws, id).await.unwrap().unwrap();
    assert_eq!(read.lead.persona, Some(first));

    let replaced = ts
        .store
        .store_persona(ws, id, &second, &origin(), true, now)
        .await
        .unwrap();
    assert!(replaced);
    let read = ts.store.lead_persona(ws, id).await.unwrap().unwrap();
    assert_eq!(read.lead.persona, Some(second));
}

async fn the_sweep_finds_leads_with_inputs_and_no_persona(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let other = workspace(&*ts.store, "globex").await;
    let linkedin = NewLead {
        linkedin: Some("https://www.linkedin.com/in/bo".into()),
        ..lead("bo@x.com")
    };
    let ids = insert(
        &*ts.store,
        ws,
        &[with_website("ann@x.com"), linkedin, lead("nothing@x.com")],
    )
    .await;
    let theirs = insert(&*ts.store, other, &[with_website("cy@y.com")]).await[0];
    let profile_only = insert(&*ts.store, ws, &[lead("dee@x.com")]).await[0];
    ts.store
        .set_profile_text(ws, profile_only, Some("Runs dispatch."), Utc::now())
        .await
        .unwrap();
    ts.store
        .store_persona(
            ws,
            ids[0],
            &json!({"title": "done"}),
            &origin(),
            false,
            Utc::now(),
        )
        .await
        .unwrap();

    let mut found = ts
        .store
        .leads_needing_persona(Utc::now(), 100)
        .await
        .unwrap();
    found.sort();

    let mut wanted = vec![(ws, ids[1]), (other, theirs), (ws, profile_only)];
    wanted.sort();
    assert_eq!(found, wanted);
    assert_eq!(
        ts.store
            .leads_needing_persona(Utc::now(), 1)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn a_failure_keeps_a_lead_from_the_sweep_until_its_retry_time(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let ids = insert(
        &*ts.store,
        ws,
        &[with_website("ann@x.com"), with_website("bo@x.com")],
    )
    .await;
    let now = Utc::now();
    let retry_at = now + TimeDelta::hours(1);
    ts.store
        .store_persona_error(ws, ids[0], "the model failed: timed out", Some(retry_at))
        .await
        .unwrap();
    ts.store
        .store_persona_error(ws, ids[1], "the model's answer is not a persona", None)
        .await
        .unwrap();

    assert!(
        ts.store
            .leads_needing_persona(now, 10)
            .await
            .unwrap()
            .is_empty()
    );
    let later = ts
        .store
        .leads_needing_persona(retry_at + TimeDelta::seconds(1), 10)
        .await
        .unwrap();
    assert_eq!(later, vec![(ws, ids[0])]);
    let read = ts.store.lead_persona(ws, ids[1]).await.unwrap().unwrap();
    assert_eq!(
        read.error.as_deref(),
        Some("the model's answer is not a persona")
    );

    ts.store
        .store_persona(ws, ids[1], &json!({"title": "ok"}), &origin(), true, now)
        .await
        .unwrap();
    let read = ts.store.lead_persona(ws, ids[1]).await.unwrap().unwrap();
    assert_eq!(read.error, None, "a success clears the failure");
}

async fn profile_text_is_set_only_within_the_workspace(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let other = workspace(&*ts.store, "globex").await;
    let id = insert(&*ts.store, ws, &[lead("ann@x.com")]).await[0];

    let foreign = ts
        .store
        .set_profile_text(other, id, Some("not yours"), Utc::now())
        .await
        .unwrap();
    let own = ts
        .store
        .set_profile_text(ws, id, Some("Runs dispatch."), Utc::now())
        .await
        .unwrap();

    assert!(!foreign);
    assert!(own);
    assert!(ts.store.lead_persona(other, id).await.unwrap().is_none());
    let read = ts.store.lead_persona(ws, id).await.unwrap().unwrap();
    assert_eq!(read.profile_text.as_deref(), Some("Runs dispatch."));
}
