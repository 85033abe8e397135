//! Campaign definitions over HTTP: created with their steps and read back whole, checked by
//! the apply file's rules with every defect named by its field, replaced by id, moved through
//! draft → running ⇄ paused → completed, and deleted only as drafts; viewers read only.

use outreachd::domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::campaign_setup::{campaign_json, id, leads, mailboxes, one_step_json, workspace};
use crate::client::{ApiClient, signed_in};
use crate::helpers::spawn_app;
use crate::sink::Sink;
use crate::support::TestBackend;

crate::on_both_backends!(
    a_campaign_created_with_steps_reads_back_with_its_pool_rules_and_counts,
    a_campaign_names_its_ai_provider_and_model,
    every_invalid_field_is_named_in_one_422,
    a_second_campaign_with_the_same_name_conflicts,
    a_replaced_campaign_keeps_its_status_and_may_be_renamed,
    replacing_away_a_step_active_leads_are_on_conflicts,
    the_lifecycle_moves_forward_and_refuses_illegal_moves,
    only_a_draft_without_sends_can_be_deleted,
    a_viewer_reads_campaigns_but_cannot_change_them,
    the_campaign_routes_are_in_the_openapi_document,
);

async fn put(client: &ApiClient<'_>, path: &str, body: Value) -> (StatusCode, Value) {
    client.call(Method::PUT, path, Some(body)).await
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("no field list in {problem}"))
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_campaign_created_with_steps_reads_back_with_its_pool_rules_and_counts(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    let client = signed_in(&app, "acme", Role::Member).await;
    let ws = workspace(&app, "acme").await;
    let pool = mailboxes(&app, ws, 2, 2525).await;

    let (status, created) = client
        .post("/api/v1/campaigns", campaign_json("Q4", &pool))
        .await;

    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["status"], "draft");
    let (status, campaign) = client
        .get(&format!("/api/v1/campaigns/{}", id(&created)))
        .await;
    assert_eq!(status, StatusCode::OK, "{campaign}");
    assert_eq!(campaign["name"], "Q4");
    assert_eq!(campaign["goal"], "Book a call");
    assert_eq!(campaign["mailboxes"][0]["address"], "sender0@acme.test");
    assert_eq!(campaign["mailboxes"][1]["address"], "sender1@acme.test");
    let rules = &campaign["rules"];
    assert_eq!(
        rules["window"],
        json!({"days": "mon,tue,wed,thu,fri", "start": "09:00", "end": "17:00"})
    );
    assert_eq!(rules["timezone"], "Europe/Berlin");
    assert_eq!(rules["timezone_policy"], "lead");
    assert_eq!(rules["daily_new_leads_cap"], 40);
    assert_eq!(rules["stop_on_reply"], true, "left out: the default");
    assert_eq!(rules["stop_on_company_reply"], true);
    let steps = campaign["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3);
    assert_eq!(steps[0]["subject"], "Hi {{ first_name }}");
    assert_eq!(steps[0]["delay_seconds"], 0);
    assert_eq!(steps[1]["subject"], Value::Null, "replies in the thread");
    assert_eq!(steps[1]["delay"], "3d");
    assert_eq!(steps[2]["delay_seconds"], 7 * 86_400);
    assert_eq!(steps[2]["ai_instructions"], "Keep it short");
    assert_eq!(campaign["counts"]["enrolled"], 0);
    assert_eq!(campaign["counts"]["emails_sent"], 0);
    assert_eq!(campaign["counts"]["by_status"]["active"], 0);
    let (_, list) = client.get("/api/v1/campaigns").await;
    assert_eq!(list["items"][0]["name"], "Q4", "{list}");
}

async fn a_campaign_names_its_ai_provider_and_model(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let client = signed_in(&app, "acme", Role::Member).await;
    let ws = workspace(&app, "acme").await;
    let pool = mailboxes(&app, ws, 1, 2525).await;
    let mut body = campaign_json("Q4", &pool);
    body["ai_provider"] = json!("gemini");
    body["ai_model"] = json!("gemini-2.5-pro");

    let (status, created) = client.post("/api/v1/campaigns", body.clone()).await;

    assert_eq!(status, StatusCode::CREATED, "{created}");
    let path = format!("/api/v1/campaigns/{}", id(&created));
    let (_, campaign) = client.get(&path).await;
    assert_eq!(
        (&campaign["ai_provider"], &campaign["ai_model"]),
        (&json!("gemini"), &json!("gemini-2.5-pro"))
    );
    body.as_object_mut().unwrap().remove("ai_model");
    body["ai_provider"] = Value::Null;
    let (status, replaced) = put(&client, &path, body.clone()).await;
    assert_eq!(status, StatusCode::OK, "{replaced}");
    let (_, campaign) = client.get(&path).await;
    assert_eq!(
        (&campaign["ai_provider"], &campaign["ai_model"]),
        (&Value::Null, &Value::Null),
        "unset again: the daemon's [content] settings"
    );
    body["ai_provider"] = json!("mistral");
    let (status, problem) = put(&client, &path, body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
}

async fn every_invalid_field_is_named_in_one_422(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let client = signed_in(&app, "acme", Role::Member).await;
    let ws = workspace(&app, "acme").await;
    let pool = mailboxes(&app, ws, 1, 2525).await;
    let mut body = campaign_json("Q4", &pool);
    body["steps"][1]["body"] = json!("Hi {{ first_nme }}");
    body["steps"][2]["delay"] = json!("3 fortnights");
    body["window"]["start"] = json!("25:00");
    body["timezone"] = json!("Mars/Olympus");
    body["mailbox_ids"] = json!([pool[0], pool[0], uuid::Uuid::now_v7()]);

    let (status, problem) = client.post("/api/v1/campaigns", body).await;

    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(
        fields(&problem),
        [
            "mailbox_ids[1]",
            "mailbox_ids[2]",
            "window.start",
            "timezone",
            "steps[1].body",
            "steps[2].delay",
        ]
    );
    let text = problem.to_string();
    assert!(text.contains("first_nme"), "{text}");
    assert!(text.contains("listed twice"), "{text}");
    let (_, list) = client.get("/api/v1/campaigns").await;
    assert_eq!(list["items"], json!([]), "nothing was written");

    let no_subject = json!({"name": "Q5", "steps": [{"body": "Hello"}, {"body": "Again"}]});
    let (status, problem) = client.post("/api/v1/campaigns", no_subject).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["steps[0].subject", "steps[1].delay"]);
    let (status, problem) = client
        .post("/api/v1/campaigns", json!({"name": " ", "steps": []}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(fields(&problem), ["name", "steps"]);
}

async fn a_second_campaign_with_the_same_name_conflicts(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let client = signed_in(&app, "acme", Role::Member).await;
    let ws = workspace(&app, "acme").await;
    let pool = mailboxes(&app, ws, 1, 2525).await;
    let (status, _) = client
        .post("/api/v1/campaigns", campaign_json("Q4", &pool))
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, problem) = client
        .post("/api/v1/campaigns", one_step_json("Q4", &pool, None))
        .await;

    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let (_, list) = client.get("/api/v1/campaigns").await;
    let (_, first) = client
        .get(&format!("/api/v1/campaigns/{}", id(&list["items"][0])))
        .await;
    assert_eq!(
        first["steps"].as_array().unwrap().len(),
        3,
        "the first is untouched"
    );
}

async fn a_replaced_campaign_keeps_its_status_and_may_be_renamed(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let client = signed_in(&app, "acme", Role::Member).await;
    let ws = workspace(&app, "acme").await;
    let pool = mailboxes(&app, ws, 2, 2525).await;
    let (_, created) = client
        .post("/api/v1/campaigns", campaign_json("Q4", &pool))
        .await;
    let path = format!("/api/v1/campaigns/{}", id(&created));
    let (_, _) = client
        .post(&format!("{path}/status"), json!({"status": "running"}))
        .await;
    let (_, other) = client
        .post("/api/v1/campaigns", one_step_json("Other", &pool, None))
        .await;

    let (status, replaced) = put(&client, &path, one_step_json("Q4 v2", &pool[1..], None)).await;

    assert_eq!(status, StatusCode::OK, "{replaced}");
    assert_eq!(replaced["id"], created["id"]);
    assert_eq!(replaced["name"], "Q4 v2");
    assert_eq!(replaced["status"], "running");
    assert_eq!(replaced["steps"].as_array().unwrap().len(), 1);
    assert_eq!(replaced["mailboxes"].as_array().unwrap().len(), 1);
    assert_eq!(
        replaced["rules"]["timezone"], "UTC",
        "left out: the default"
    );
    let (status, problem) = put(&client, &path, one_step_json("Other", &pool, None)).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let (status, problem) = put(&client, &path, json!({"name": "Q4", "steps": []})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (_, other_now) = client
        .get(&format!("/api/v1/campaigns/{}", id(&other)))
        .await;
    assert_eq!(other_now["name"], "Other");
}

async fn replacing_away_a_step_active_leads_are_on_conflicts(backend: TestBackend) {
    let sink = Sink::start(&[]).await;
    let app = spawn_app(backend).await;
    let client = signed_in(&app, "acme", Role::Member).await;
    let ws = workspace(&app, "acme").await;
    let pool = mailboxes(&app, ws, 1, sink.port).await;
    let mut body = campaign_json("Q4", &pool);
    body["window"] = json!(null);
    let (_, created) = client.post("/api/v1/campaigns", body).await;
    let path = format!("/api/v1/campaigns/{}", id(&created));
    let lead = leads(&app, ws, "lead", 1).await;
    client
        .post(&format!("{path}/leads"), json!({"lead_ids": lead}))
        .await;
    client
        .post(&format!("{path}/status"), json!({"status": "running"}))
        .await;
    // Step 1 goes out: the lead waits for step 2 now.
    let (status, run) = client
        .post(&format!("{path}/run?timeout=8"), json!({}))
        .await;
    assert_eq!(
        (status, &run["emails_sent"]),
        (StatusCode::OK, &json!(1)),
        "{run}"
    );

    let (status, problem) = put(&client, &path, one_step_json("Q4", &pool, None)).await;

    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("step 2"),
        "{problem}"
    );
    let (_, campaign) = client.get(&path).await;
    assert_eq!(campaign["steps"].as_array().unwrap().len(), 3);
}

async fn the_lifecycle_moves_forward_and_refuses_illegal_moves(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let client = signed_in(&app, "acme", Role::Member).await;
    let ws = workspace(&app, "acme").await;
    let pool = mailboxes(&app, ws, 1, 2525).await;
    let (_, empty) = client
        .post("/api/v1/campaigns", one_step_json("No pool", &[], None))
        .await;
    let (_, created) = client
        .post("/api/v1/campaigns", one_step_json("Q4", &pool, None))
        .await;
    let status_of = |c: &Value| format!("/api/v1/campaigns/{}/status", id(c));
    let set = |path: String, to: &'static str| {
        let client = &client;
        async move { client.post(&path, json!({"status": to})).await }
    };

    let (status, problem) = set(status_of(&empty), "running").await;
    assert_eq!(status, StatusCode::CONFLICT, "no mailboxes: {problem}");
    assert!(problem["detail"].as_str().unwrap().contains("mailboxes"));
    let (status, problem) = set(status_of(&created), "paused").await;
    assert_eq!(status, StatusCode::CONFLICT, "draft -> paused: {problem}");

    for to in ["running", "paused", "running", "running", "completed"] {
        let (status, campaign) = set(status_of(&created), to).await;
        assert_eq!(status, StatusCode::OK, "-> {to}: {campaign}");
        assert_eq!(campaign["status"], to);
    }

    let (status, problem) = set(status_of(&created), "running").await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "completed -> running: {problem}"
    );
    assert!(
        problem["detail"].as_str().unwrap().contains("final"),
        "{problem}"
    );
    let (status, problem) = set(status_of(&created), "sleeping").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
}

async fn only_a_draft_without_sends_can_be_deleted(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let client = signed_in(&app, "acme", Role::Member).await;
    let ws = workspace(&app, "acme").await;
    let pool = mailboxes(&app, ws, 1, 2525).await;
    let (_, draft) = client
        .post("/api/v1/campaigns", one_step_json("Draft", &pool, None))
        .await;
    let (_, running) = client
        .post("/api/v1/campaigns", one_step_json("Running", &pool, None))
        .await;
    let running_path = format!("/api/v1/campaigns/{}", id(&running));
    client
        .post(
            &format!("{running_path}/status"),
            json!({"status": "running"}),
        )
        .await;
    let lead = leads(&app, ws, "lead", 1).await;
    client
        .post(
            &format!("/api/v1/campaigns/{}/leads", id(&draft)),
            json!({"lead_ids": lead}),
        )
        .await;

    let (status, problem) = client.delete(&running_path).await;
    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    let draft_path = format!("/api/v1/campaigns/{}", id(&draft));
    let (status, _) = client.delete(&draft_path).await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, _) = client.get(&draft_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = client.delete(&draft_path).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

async fn a_viewer_reads_campaigns_but_cannot_change_them(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    crate::client::create_user(&app, "vera@acme.example", "acme", Role::Viewer).await;
    let viewer = crate::client::login(&app, "vera@acme.example").await;
    let ws = workspace(&app, "acme").await;
    let pool = mailboxes(&app, ws, 1, 2525).await;
    let lead = leads(&app, ws, "lead", 1).await;
    let (_, created) = member
        .post("/api/v1/campaigns", one_step_json("Q4", &pool, None))
        .await;
    let path = format!("/api/v1/campaigns/{}", id(&created));

    let writes = [
        (
            Method::POST,
            "/api/v1/campaigns".to_owned(),
            one_step_json("V", &pool, None),
        ),
        (Method::PUT, path.clone(), one_step_json("V", &pool, None)),
        (Method::DELETE, path.clone(), Value::Null),
        (
            Method::POST,
            format!("{path}/status"),
            json!({"status": "running"}),
        ),
        (
            Method::POST,
            format!("{path}/leads"),
            json!({"lead_ids": lead}),
        ),
        (Method::POST, format!("{path}/run"), json!({})),
        (
            Method::POST,
            format!("{path}/leads/{}/preview", lead[0]),
            json!({}),
        ),
    ];
    for (method, route, body) in writes {
        let body = (!body.is_null()).then_some(body);
        let (status, problem) = viewer.call(method.clone(), &route, body).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {route}: {problem}");
    }

    let (status, campaign) = viewer.get(&path).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(campaign["status"], "draft", "nothing changed");
    let (status, _) = viewer.get(&format!("{path}/leads")).await;
    assert_eq!(status, StatusCode::OK);
}

async fn the_campaign_routes_are_in_the_openapi_document(backend: TestBackend) {
    let app = spawn_app(backend).await;

    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();

    for (path, method) in [
        ("/api/v1/campaigns", "get"),
        ("/api/v1/campaigns", "post"),
        ("/api/v1/campaigns/{id}", "put"),
        ("/api/v1/campaigns/{id}", "delete"),
        ("/api/v1/campaigns/{id}/status", "post"),
        ("/api/v1/campaigns/{id}/leads", "post"),
        ("/api/v1/campaigns/{id}/leads", "get"),
        ("/api/v1/campaigns/{id}/run", "post"),
        ("/api/v1/campaigns/{id}/runs/{run_id}", "get"),
        ("/api/v1/campaigns/{id}/leads/{lead_id}/preview", "post"),
    ] {
        assert!(
            doc["paths"][path].get(method).is_some(),
            "{method} {path} missing"
        );
    }
    let run = &doc["paths"]["/api/v1/campaigns/{id}/run"]["post"]["responses"];
    assert!(
        run.get("200").is_some() && run.get("202").is_some(),
        "{run}"
    );
}
