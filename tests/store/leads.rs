//! Leads: bulk insert with case-insensitive identity, field round trip, and batch size.

use outreachd::domain::{LeadInsert, NewLead};
use std::time::Instant;

use crate::fixtures::{email, lead, lead_with_custom, workspace};
use crate::support::{TestBackend, test_store};

async fn insert_leads_reports_inserted_and_existing_in_input_order(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let first = ts
        .store
        .insert_leads(ws, &[lead("ann@x.com"), lead("bob@y.com")])
        .await
        .unwrap();
    let (ann, bob) = match first[..] {
        [LeadInsert::Inserted(a), LeadInsert::Inserted(b)] => (a, b),
        ref other => panic!("both are new: {other:?}"),
    };
    assert_ne!(ann, bob);

    let second = ts
        .store
        .insert_leads(
            ws,
            &[
                lead("ANN@x.com"), // exists, other case
                lead("cat@z.com"), // new
                lead("Cat@Z.com"), // duplicate of the previous row
                lead("bob@y.com"), // exists
                lead("cat@z.com"), // duplicate again
            ],
        )
        .await
        .unwrap();
    let cat = match second[1] {
        LeadInsert::Inserted(id) => id,
        other => panic!("cat is new: {other:?}"),
    };
    assert_eq!(
        second,
        vec![
            LeadInsert::Existing(ann),
            LeadInsert::Inserted(cat),
            LeadInsert::Existing(cat),
            LeadInsert::Existing(bob),
            LeadInsert::Existing(cat),
        ]
    );
    assert_eq!(ts.store.lead_ids(ws).await.unwrap().len(), 3);

    let kept = ts
        .store
        .lead_by_email(ws, &email("ann@x.com"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        kept.email, "ann@x.com",
        "an existing lead is left as it was"
    );
    assert!(ts.store.insert_leads(ws, &[]).await.unwrap().is_empty());
}

async fn lead_fields_and_custom_columns_round_trip(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let new = NewLead {
        first_name: Some("Grace".into()),
        last_name: Some("Hopper".into()),
        title: Some("Rear Admiral".into()),
        company: Some("Navy".into()),
        website: Some("https://navy.example".into()),
        linkedin: Some("https://linkedin.example/grace".into()),
        phone: Some("+1 555 0100".into()),
        timezone: Some("America/New_York".into()),
        ..lead_with_custom(
            "Grace@Navy.example",
            &[
                ("Favourite language", "COBOL"),
                ("quote", "\"It's easier to ask forgiveness\" — ünïcødé"),
                ("empty", ""),
            ],
        )
    };
    let id = ts
        .store
        .insert_leads(ws, std::slice::from_ref(&new))
        .await
        .unwrap()[0]
        .id();
    let read = ts
        .store
        .lead_by_email(ws, &email("grace@navy.EXAMPLE"))
        .await
        .unwrap()
        .expect("found case-insensitively");
    assert_eq!(read.id, id);
    assert_eq!(read.workspace_id, ws);
    assert_eq!(read.email, "Grace@Navy.example", "stored as given");
    assert_eq!(read.first_name, new.first_name);
    assert_eq!(read.last_name, new.last_name);
    assert_eq!(read.title, new.title);
    assert_eq!(read.company, new.company);
    assert_eq!(read.website, new.website);
    assert_eq!(read.linkedin, new.linkedin);
    assert_eq!(read.phone, new.phone);
    assert_eq!(read.timezone, new.timezone);
    assert_eq!(read.custom, new.custom);
    assert_eq!(read.persona, None);
    assert_eq!(read.unsubscribed_at, None);

    let bare = ts
        .store
        .insert_leads(ws, &[lead("min@x.com")])
        .await
        .unwrap()[0]
        .id();
    let read = ts
        .store
        .lead_by_email(ws, &email("min@x.com"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.id, bare);
    assert!(read.custom.is_empty());
    assert_eq!(read.first_name, None);
    assert!(
        ts.store
            .lead_by_email(ws, &email("nobody@x.com"))
            .await
            .unwrap()
            .is_none()
    );
}

async fn five_thousand_leads_insert_in_one_call(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let batch: Vec<NewLead> = (0..5_000)
        .map(|i| {
            lead_with_custom(
                &format!("lead{i}@example{}.com", i % 50),
                &[("row", &i.to_string())],
            )
        })
        .collect();
    let started = Instant::now();
    let first = ts.store.insert_leads(ws, &batch).await.unwrap();
    eprintln!(
        "{backend:?}: 5,000 leads inserted in {:?}",
        started.elapsed()
    );
    assert_eq!(first.len(), 5_000);
    assert!(first.iter().all(|r| matches!(r, LeadInsert::Inserted(_))));
    let mut ids: Vec<_> = first.iter().map(LeadInsert::id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 5_000, "every lead has its own id");

    let again = ts.store.insert_leads(ws, &batch).await.unwrap();
    assert!(
        again
            .iter()
            .zip(&first)
            .all(|(a, f)| *a == LeadInsert::Existing(f.id()))
    );
    assert_eq!(ts.store.lead_ids(ws).await.unwrap().len(), 5_000);
    let sample = ts
        .store
        .lead_by_email(ws, &email("lead4321@example21.com"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(sample.id, first[4321].id());
    assert_eq!(sample.custom.get("row").map(String::as_str), Some("4321"));
}

async fn lead_ids_come_oldest_first(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let mut expected = Vec::new();
    for batch in [["b@x.com", "a@x.com"], ["d@x.com", "c@x.com"]] {
        let new: Vec<NewLead> = batch.iter().map(|e| lead(e)).collect();
        expected.extend(
            ts.store
                .insert_leads(ws, &new)
                .await
                .unwrap()
                .iter()
                .map(LeadInsert::id),
        );
    }
    assert_eq!(ts.store.lead_ids(ws).await.unwrap(), expected);
}

async fn a_lead_without_an_email_is_refused(backend: TestBackend) {
    let ts = test_store(backend).await;
    let ws = workspace(&*ts.store, "acme").await;
    let result = ts
        .store
        .insert_leads(ws, &[lead("ok@x.com"), NewLead::default()])
        .await;
    assert!(result.is_err(), "{result:?}");
    assert!(
        ts.store.lead_ids(ws).await.unwrap().is_empty(),
        "nothing of the batch is written"
    );
}

crate::on_both_backends!(
    insert_leads_reports_inserted_and_existing_in_input_order,
    lead_fields_and_custom_columns_round_trip,
    five_thousand_leads_insert_in_one_call,
    lead_ids_come_oldest_first,
    a_lead_without_an_email_is_refused,
);
