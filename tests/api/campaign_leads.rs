//! Enrolment over HTTP, through the code `outreachd enroll` runs: by ids, all leads or a filter, with
//! what it did; a list naming a lead the workspace does not have enrols nobody; the campaign's
//! leads are listed a page at a time with where each stands.

use std::collections::BTreeSet;

use chrono::Utc;
use outreachd::domain::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::campaign_setup::{id, leads, mailboxes, one_step_json, workspace};
use crate::client::signed_in;
use crate::helpers::spawn_app;
use crate::support::TestBackend;

crate::on_both_backends!(
    enrolling_by_ids_and_then_all_reports_what_each_did,
    a_list_with_a_lead_of_another_workspace_enrols_nobody,
    the_campaigns_leads_are_listed_a_page_at_a_time,
    a_completed_campaign_takes_no_new_leads,
    a_filter_enrols_the_leads_the_lead_list_finds,
);

async fn a_filter_enrols_the_leads_the_lead_list_finds(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let client = signed_in(&app, "acme", Role::Member).await;
    let ws = workspace(&app, "acme").await;
    let pool = mailboxes(&app, ws, 1, 2525).await;
    let (_, created) = client
        .post("/api/v1/campaigns", one_step_json("Q4", &pool, None))
        .await;
    let path = format!("/api/v1/campaigns/{}/leads", id(&created));
    for (email, company) in [
        ("a@rcpt.test", "Acme"),
        ("b@rcpt.test", "acme"),
        ("c@rcpt.test", "Globex"),
    ] {
        let (status, lead) = client
            .post("/api/v1/leads", json!({"email": email, "company": company}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{lead}");
    }

    let (status, outcome) = client
        .post(&path, json!({"filter": {"company": "Acme"}}))
        .await;
    let (empty, problem) = client.post(&path, json!({"filter": {}})).await;

    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(outcome["enrolled"], 2, "{outcome}");
    assert_eq!(empty, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (_, listed) = client.get(&path).await;
    let emails: BTreeSet<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["email"].as_str().unwrap())
        .collect();
    assert_eq!(emails, BTreeSet::from(["a@rcpt.test", "b@rcpt.test"]));
}

async fn enrolling_by_ids_and_then_all_reports_what_each_did(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let client = signed_in(&app, "acme", Role::Member).await;
    let ws = workspace(&app, "acme").await;
    let pool = mailboxes(&app, ws, 2, 2525).await;
    let (_, created) = client
        .post("/api/v1/campaigns", one_step_json("Q4", &pool, None))
        .await;
    let path = format!("/api/v1/campaigns/{}/leads", id(&created));
    let ids = leads(&app, ws, "lead", 5).await;
    app.store
        .add_suppression(ws, "lead4@rcpt.test", "asked us not to write")
        .await
        .unwrap();

    let (status, first) = client
        .post(&path, json!({"lead_ids": [ids[0], ids[1], ids[0]]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(
        first,
        json!({"enrolled": 2, "already_enrolled": 0, "suppressed": 0})
    );

    let (status, all) = client.post(&path, json!({"all": true})).await;

    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(
        all,
        json!({"enrolled": 2, "already_enrolled": 2, "suppressed": 1})
    );
    let (_, campaign) = client
        .get(&format!("/api/v1/campaigns/{}", id(&created)))
        .await;
    assert_eq!(campaign["counts"]["enrolled"], 4);
    assert_eq!(campaign["counts"]["by_status"]["active"], 4);
    for body in [json!({}), json!({"all": true, "lead_ids": [ids[0]]})] {
        let (status, problem) = client.post(&path, body).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    }
}

async fn a_list_with_a_lead_of_another_workspace_enrols_nobody(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let client = signed_in(&app, "acme", Role::Member).await;
    signed_in(&app, "other", Role::Member).await;
    let ws = workspace(&app, "acme").await;
    let other = workspace(&app, "other").await;
    let pool = mailboxes(&app, ws, 1, 2525).await;
    let (_, created) = client
        .post("/api/v1/campaigns", one_step_json("Q4", &pool, None))
        .await;
    let ours = leads(&app, ws, "ours", 1).await;
    let theirs = leads(&app, other, "theirs", 1).await;

    let (status, problem) = client
        .post(
            &format!("/api/v1/campaigns/{}/leads", id(&created)),
            json!({"lead_ids": [ours[0], theirs[0]]}),
        )
        .await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "lead_ids[1]");
    assert!(!problem.to_string().contains("theirs0@"), "{problem}");
    let (_, listed) = client
        .get(&format!("/api/v1/campaigns/{}/leads", id(&created)))
        .await;
    assert_eq!(listed["items"], json!([]), "all or nothing");
}

async fn the_campaigns_leads_are_listed_a_page_at_a_time(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let client = signed_in(&app, "acme", Role::Member).await;
    let ws = workspace(&app, "acme").await;
    let pool = mailboxes(&app, ws, 2, 2525).await;
    let (_, created) = client
        .post("/api/v1/campaigns", one_step_json("Q4", &pool, None))
        .await;
    let path = format!("/api/v1/campaigns/{}/leads", id(&created));
    let ids = leads(&app, ws, "lead", 7).await;
    client.post(&path, json!({"lead_ids": ids})).await;
    app.store
        .add_suppression(ws, "lead6@rcpt.test", "bounced elsewhere")
        .await
        .unwrap();

    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}?limit=3&cursor={c}"),
            None => format!("{path}?limit=3"),
        };
        let (status, page) = client.get(&url).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        pages += 1;
        seen.extend(page["items"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }

    assert_eq!(pages, 3);
    assert_eq!(seen.len(), 7);
    let emails: BTreeSet<&str> = seen.iter().map(|l| l["email"].as_str().unwrap()).collect();
    assert_eq!(emails.len(), 7, "no lead twice");
    let first: &Value = &seen[0];
    assert_eq!(first["email"], "lead0@rcpt.test", "enrolment order");
    assert_eq!(first["status"], "active");
    assert_eq!(first["current_step"], 1);
    assert!(
        first["mailbox_address"]
            .as_str()
            .unwrap()
            .ends_with("@acme.test")
    );
    let due: chrono::DateTime<Utc> = first["next_scheduled_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(due <= Utc::now());
    let stopped = seen
        .iter()
        .find(|l| l["email"] == "lead6@rcpt.test")
        .unwrap();
    assert_eq!(stopped["status"], "unsubscribed");
    assert!(
        stopped["stop_reason"]
            .as_str()
            .unwrap()
            .contains("bounced elsewhere")
    );

    let (_, active) = client.get(&format!("{path}?status=active")).await;
    assert_eq!(active["items"].as_array().unwrap().len(), 6);
    let (status, problem) = client.get(&format!("{path}?limit=0")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    let (status, problem) = client.get(&format!("{path}?cursor=nonsense")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
}

async fn a_completed_campaign_takes_no_new_leads(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let client = signed_in(&app, "acme", Role::Member).await;
    let ws = workspace(&app, "acme").await;
    let pool = mailboxes(&app, ws, 1, 2525).await;
    let (_, created) = client
        .post("/api/v1/campaigns", one_step_json("Q4", &pool, None))
        .await;
    let path = format!("/api/v1/campaigns/{}", id(&created));
    for to in ["running", "completed"] {
        client
            .post(&format!("{path}/status"), json!({"status": to}))
            .await;
    }
    let ids = leads(&app, ws, "lead", 1).await;

    let (status, problem) = client
        .post(&format!("{path}/leads"), json!({"lead_ids": ids}))
        .await;

    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
}
