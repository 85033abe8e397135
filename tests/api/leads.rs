//! Leads over HTTP: a member adds, reads, edits and deletes leads; lists are keyset pages that
//! cover every lead once and filter in the store; bad input is named field by field; a lead
//! that was sent to is never deleted with its email log.

use std::collections::HashSet;

use chrono::{DateTime, TimeDelta, Utc};
use outreachd::domain::{
    CampaignId, CampaignSpec, CampaignStatus, ClaimRequest, EmailAddress, NewLead, Role,
    SendingRules, WorkspaceId,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::client::{ApiClient, signed_in};
use crate::helpers::{TestApp, spawn_app};
use crate::support::TestBackend;

crate::on_both_backends!(
    a_member_adds_reads_edits_and_deletes_a_lead,
    pages_of_250_leads_cover_every_lead_exactly_once,
    filters_find_leads_by_email_text_company_and_enrolment,
    a_search_ignores_case_beyond_ascii_and_takes_wildcards_literally,
    a_taken_email_is_409_and_bad_input_is_422_naming_each_field,
    a_lead_with_sends_is_kept_and_one_never_contacted_goes_with_its_enrolments,
    a_viewer_reads_leads_but_cannot_change_them,
);

/// A draft campaign (nothing is sent) of workspace `ws` with one mailbox, so leads can be
/// enrolled into it. The mailbox points at port 1, where nothing listens.
pub async fn draft_campaign(app: &TestApp, ws: &str, name: &str) -> CampaignId {
    let ws = app.store.upsert_workspace(ws).await.unwrap().value;
    let mailbox = app
        .store
        .upsert_mailbox(ws.id, &crate::fixtures::mailbox_spec(1, 1))
        .await
        .unwrap()
        .value;
    let spec = CampaignSpec {
        name: name.into(),
        goal: "Book a call".into(),
        ai: Default::default(),
        product_id: None,
        status: Some(CampaignStatus::Draft),
        rules: SendingRules::default(),
        mailbox_ids: vec![mailbox.id],
        steps: vec![crate::fixtures::step("0s", Some("Hi"), "Hello")],
    };
    app.store
        .upsert_campaign(ws.id, &spec)
        .await
        .unwrap()
        .value
        .id
}

async fn workspace_id(app: &TestApp, name: &str) -> WorkspaceId {
    app.store.workspace_by_name(name).await.unwrap().unwrap().id
}

/// The emails of a list answer, in order.
fn emails(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap_or_else(|| panic!("not a page: {page}"))
        .iter()
        .map(|l| l["email"].as_str().unwrap().to_owned())
        .collect()
}

async fn add(client: &ApiClient<'_>, body: Value) -> Value {
    let (status, lead) = client.post("/api/v1/leads", body).await;
    assert_eq!(status, StatusCode::CREATED, "{lead}");
    lead
}

async fn a_member_adds_reads_edits_and_deletes_a_lead(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;

    let response = app
        .client
        .post(app.url("/api/v1/leads"))
        .bearer_auth(&member.token)
        .json(&json!({
            "email": "Ann@Acme.example", "first_name": "Ann", "last_name": "Lee",
            "company": "Acme Freight", "title": "COO", "timezone": "europe/berlin",
            "custom": {"Fleet Size": "120", "Region": "North"}
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let created: Value = response.json().await.unwrap();
    assert_eq!(
        location,
        format!("/api/v1/leads/{}", created["id"].as_str().unwrap())
    );
    assert_eq!(created["timezone"], "Europe/Berlin");
    assert_eq!(created["persona"], Value::Null);

    let (status, read) = member.get(&location).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read, created);

    let (status, edited) = member
        .call(
            Method::PATCH,
            &location,
            Some(json!({
                "title": "CEO", "company": null,
                "custom": {"Region": null, "Tier": "A"}
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{edited}");
    assert_eq!(edited["title"], "CEO");
    assert_eq!(edited["company"], Value::Null);
    assert_eq!(edited["first_name"], "Ann", "fields left out are kept");
    assert_eq!(edited["custom"], json!({"Fleet Size": "120", "Tier": "A"}));
    let time = |v: &Value| v.as_str().unwrap().parse::<DateTime<Utc>>().unwrap();
    assert!(time(&edited["updated_at"]) > time(&created["updated_at"]));

    let (status, _) = member.delete(&location).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, gone) = member.get(&location).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{gone}");
}

async fn pages_of_250_leads_cover_every_lead_exactly_once(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    let ws = workspace_id(&app, "acme").await;
    let leads: Vec<NewLead> = (0..250)
        .map(|i| NewLead {
            email: Some(EmailAddress::parse(&format!("lead{i:03}@acme.example")).unwrap()),
            ..NewLead::default()
        })
        .collect();
    app.store.insert_leads(ws, &leads).await.unwrap();

    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut path = "/api/v1/leads?limit=100".to_owned();
    loop {
        let (status, page) = member.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        let batch = emails(&page);
        sizes.push(batch.len());
        seen.extend(batch);
        match page["next_cursor"].as_str() {
            Some(cursor) => path = format!("/api/v1/leads?limit=100&cursor={cursor}"),
            None => break,
        }
    }

    assert_eq!(sizes, [100, 100, 50]);
    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), 250, "no lead twice");
    let expected: HashSet<String> = (0..250)
        .map(|i| format!("lead{i:03}@acme.example"))
        .collect();
    assert_eq!(
        seen.iter().cloned().collect::<HashSet<_>>(),
        expected,
        "none missing"
    );
}

async fn filters_find_leads_by_email_text_company_and_enrolment(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    let ann = add(
        &member,
        json!({"email": "ann@acme.example", "first_name": "Ann", "last_name": "Lee", "company": "Acme"}),
    )
    .await;
    let bob = add(
        &member,
        json!({"email": "bob@beta.example", "first_name": "Bob", "company": "Acme Labs"}),
    )
    .await;
    add(
        &member,
        json!({"email": "cy@gamma.example", "first_name": "Cy", "company": "Gamma"}),
    )
    .await;
    let campaign = draft_campaign(&app, "acme", "Q4").await;
    let ws = workspace_id(&app, "acme").await;
    let id = |lead: &Value| serde_json::from_value(lead["id"].clone()).unwrap();
    app.store
        .enroll_leads(ws, campaign, &[id(&ann), id(&bob)], Utc::now())
        .await
        .unwrap();
    // Suppressing Bob stops his enrolment: it becomes `unsubscribed`.
    app.store
        .add_suppression(ws, "bob@beta.example", "asked")
        .await
        .unwrap();

    let cases: Vec<(String, Vec<&str>)> = vec![
        ("email=ANN@ACME.EXAMPLE".into(), vec!["ann@acme.example"]),
        (
            "q=acme".into(),
            vec!["ann@acme.example", "bob@beta.example"],
        ),
        ("q=n%20le".into(), vec!["ann@acme.example"]),
        ("q=GAMMA".into(), vec!["cy@gamma.example"]),
        ("company=acme".into(), vec!["ann@acme.example"]),
        (
            format!("campaign_id={campaign}"),
            vec!["ann@acme.example", "bob@beta.example"],
        ),
        (
            format!("campaign_id={campaign}&status=active"),
            vec!["ann@acme.example"],
        ),
        (
            format!("campaign_id={campaign}&status=unsubscribed"),
            vec!["bob@beta.example"],
        ),
        (
            "status=unsubscribed&q=beta".into(),
            vec!["bob@beta.example"],
        ),
        ("q=acme&company=gamma".into(), vec![]),
    ];
    for (query, expected) in cases {
        let (status, page) = member.get(&format!("/api/v1/leads?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}: {page}");
        assert_eq!(emails(&page), expected, "{query}");
    }

    let (status, problem) = member.get("/api/v1/leads?status=happy").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(problem["errors"][0]["field"], "status", "{problem}");
    let (status, _) = member
        .get(&format!("/api/v1/leads?campaign_id={}", CampaignId::new()))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn a_search_ignores_case_beyond_ascii_and_takes_wildcards_literally(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    add(
        &member,
        json!({"email": "emile@zola.example", "first_name": "ÉMILE", "company": "Société Générale"}),
    )
    .await;
    add(
        &member,
        json!({"email": "growth@x.example", "company": "100% Growth_Co"}),
    )
    .await;
    add(
        &member,
        json!({"email": "plain@x.example", "company": "1000 GrowthXCo"}),
    )
    .await;

    let cases = [
        ("q=%C3%A9mile", vec!["emile@zola.example"]),
        ("q=G%C3%89N%C3%89RALE", vec!["emile@zola.example"]),
        (
            "company=soci%C3%A9t%C3%A9%20g%C3%A9n%C3%A9rale",
            vec!["emile@zola.example"],
        ),
        ("q=%25", vec!["growth@x.example"]),
        ("q=h_c", vec!["growth@x.example"]),
        ("q=0.G", vec![]),
    ];
    for (query, expected) in cases {
        let (status, page) = member.get(&format!("/api/v1/leads?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}: {page}");
        assert_eq!(emails(&page), expected, "{query}");
    }
}

async fn a_taken_email_is_409_and_bad_input_is_422_naming_each_field(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    add(&member, json!({"email": "ann@acme.example"})).await;
    let bob = add(&member, json!({"email": "bob@acme.example"})).await;
    let bob_path = format!("/api/v1/leads/{}", bob["id"].as_str().unwrap());

    let (status, problem) = member
        .post("/api/v1/leads", json!({"email": "ANN@acme.example"}))
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert_eq!(problem["code"], "conflict");

    let (status, problem) = member
        .post(
            "/api/v1/leads",
            json!({"email": "not an address", "timezone": "Mars/Olympus", "custom": {"": "x"}}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "timezone", "custom."]);

    for body in [
        json!({"email": "c@acme.example", "custom": {"n": 1}}),
        json!({"email": "c@acme.example", "nickname": "C"}),
        json!({"first_name": "no email"}),
    ] {
        let (status, problem) = member.post("/api/v1/leads", body.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {problem}"
        );
    }

    let (status, problem) = member
        .call(
            Method::PATCH,
            &bob_path,
            Some(json!({"email": "Ann@Acme.example"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let (status, problem) = member
        .call(Method::PATCH, &bob_path, Some(json!({"email": null})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "email");
    let (_, unchanged) = member.get(&bob_path).await;
    assert_eq!(unchanged["email"], "bob@acme.example");
}

async fn a_lead_with_sends_is_kept_and_one_never_contacted_goes_with_its_enrolments(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    let ws = workspace_id(&app, "acme").await;
    let contacted = add(&member, json!({"email": "sent@acme.example"})).await;
    let untouched = add(&member, json!({"email": "quiet@acme.example"})).await;
    let id = |lead: &Value| serde_json::from_value(lead["id"].clone()).unwrap();
    let campaign = draft_campaign(&app, "acme", "Q4").await;
    app.store
        .enroll_leads(ws, campaign, &[id(&contacted)], Utc::now())
        .await
        .unwrap();
    // A claim holds the lead for step 1; marking it sending writes its row in the email log.
    app.store
        .set_campaign_status(ws, campaign, CampaignStatus::Running)
        .await
        .unwrap();
    let claimed = app
        .store
        .claim_due(&ClaimRequest {
            workspace_id: ws,
            campaign_id: campaign,
            now: Utc::now(),
            lease_for: TimeDelta::minutes(5),
            max_rows: 10,
            max_new_leads: 10,
            mailboxes: None,
        })
        .await
        .unwrap();
    app.store
        .set_campaign_status(ws, campaign, CampaignStatus::Paused)
        .await
        .unwrap();
    let contacted_path = format!("/api/v1/leads/{}", contacted["id"].as_str().unwrap());
    let (status, problem) = member.delete(&contacted_path).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("right now"),
        "{problem}"
    );
    let send = &claimed.first().expect("the lead is claimed").send;
    let marked = app
        .store
        .mark_sending(send, "<m1@acme.example>", Utc::now(), TimeDelta::minutes(5))
        .await
        .unwrap();
    assert!(marked);
    let other = draft_campaign(&app, "acme", "Q1").await;
    app.store
        .enroll_leads(ws, other, &[id(&untouched)], Utc::now())
        .await
        .unwrap();

    let (status, problem) = member.delete(&contacted_path).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("privacy erase"),
        "{problem}"
    );
    let (status, _) = member.get(&contacted_path).await;
    assert_eq!(status, StatusCode::OK, "the lead and its log stay");

    let untouched_path = format!("/api/v1/leads/{}", untouched["id"].as_str().unwrap());
    let (status, _) = member.delete(&untouched_path).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, enrolled) = member
        .get(&format!("/api/v1/leads?campaign_id={other}"))
        .await;
    assert_eq!(emails(&enrolled), Vec::<String>::new());
}

async fn a_viewer_reads_leads_but_cannot_change_them(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    let viewer = signed_in(&app, "acme", Role::Viewer).await;
    let lead = add(&member, json!({"email": "ann@acme.example"})).await;
    let path = format!("/api/v1/leads/{}", lead["id"].as_str().unwrap());

    let (status, _) = viewer.get("/api/v1/leads").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = viewer.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = viewer
        .post("/api/v1/leads", json!({"email": "bob@acme.example"}))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = viewer
        .call(Method::PATCH, &path, Some(json!({"title": "x"})))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = viewer.delete(&path).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, still) = member.get(&path).await;
    assert_eq!(still["title"], Value::Null);
}
