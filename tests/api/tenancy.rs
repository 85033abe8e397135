//! One workspace never sees another's: every route that takes an id answers 404 for an id of a
//! second workspace, exactly as for an id that does not exist, and never its data.

use chrono::Utc;
use outreachd::domain::{
    CampaignRun, CampaignSpec, EmailAddress, ImportJobId, NewImportJob, NewLead, Role, RunId,
    SendingRules,
};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::client::signed_in;
use crate::helpers::spawn_app;
use crate::support::TestBackend;

crate::on_both_backends!(every_route_answers_404_for_another_workspaces_ids);

async fn every_route_answers_404_for_another_workspaces_ids(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let ours = signed_in(&app, "ours", Role::Owner).await;
    let theirs = signed_in(&app, "theirs", Role::Owner).await;
    let their_ws = app
        .store
        .workspace_by_name("theirs")
        .await
        .unwrap()
        .unwrap();
    let mailbox = app
        .store
        .upsert_mailbox(their_ws.id, &crate::fixtures::mailbox_spec(1, 2525))
        .await
        .unwrap()
        .value;
    let (_, token) = theirs
        .post(
            "/api/v1/tokens",
            json!({"name": "theirs", "role": "viewer"}),
        )
        .await;
    let token = token["id"].as_str().unwrap().to_owned();
    let (_, their_me) = theirs.get("/api/v1/auth/me").await;
    let their_user = their_me["user_id"].as_str().unwrap().to_owned();
    let their_campaign = app
        .store
        .upsert_campaign(
            their_ws.id,
            &CampaignSpec {
                name: "Their secret campaign".into(),
                goal: String::new(),
                ai: Default::default(),
                product_id: None,
                status: None,
                rules: SendingRules::default(),
                mailbox_ids: vec![mailbox.id],
                steps: vec![crate::fixtures::step("0s", Some("Hi"), "Their words")],
            },
        )
        .await
        .unwrap()
        .value;
    let their_lead = app
        .store
        .insert_leads(
            their_ws.id,
            &[NewLead {
                email: Some(EmailAddress::parse("their-lead@theirs.example").unwrap()),
                ..NewLead::default()
            }],
        )
        .await
        .unwrap()[0]
        .id();
    app.store
        .enroll_leads(their_ws.id, their_campaign.id, &[their_lead], Utc::now())
        .await
        .unwrap();
    let their_run = CampaignRun {
        id: RunId::new(),
        workspace_id: their_ws.id,
        campaign_id: their_campaign.id,
        started_at: Utc::now(),
        made_due: 1,
        finished_at: None,
    };
    app.store.insert_run(&their_run).await.unwrap();
    let our_ws = app.store.workspace_by_name("ours").await.unwrap().unwrap();
    let our_campaign = app
        .store
        .upsert_campaign(
            our_ws.id,
            &CampaignSpec {
                name: "Ours".into(),
                goal: String::new(),
                ai: Default::default(),
                product_id: None,
                status: None,
                rules: SendingRules::default(),
                mailbox_ids: Vec::new(),
                steps: vec![crate::fixtures::step("0s", Some("Hi"), "Our words")],
            },
        )
        .await
        .unwrap()
        .value;
    let (theirs_c, ours_c) = (their_campaign.id, our_campaign.id);
    let (_, lead) = theirs
        .post(
            "/api/v1/leads",
            json!({"email": "their.lead@theirs.example"}),
        )
        .await;
    let lead = lead["id"].as_str().unwrap().to_owned();
    let campaign = crate::leads::draft_campaign(&app, "theirs", "Theirs").await;
    let job = ImportJobId::new();
    app.store
        .create_import_job(&NewImportJob {
            id: job,
            workspace_id: their_ws.id,
            campaign_id: None,
            file_name: Some("theirs.csv".into()),
            size_bytes: 0,
            created_at: Utc::now(),
        })
        .await
        .unwrap();
    let (_, product) = theirs
        .post(
            "/api/v1/products",
            json!({"name": "Their widget", "description": "Theirs."}),
        )
        .await;
    let product = product["id"].as_str().unwrap().to_owned();
    // A body each write route accepts, so only the id can make it fail.
    let mailbox_body = json!({
        "address": mailbox.address,
        "from_name": "Ours now",
        "smtp": {"host": "127.0.0.1", "port": 2525, "security": "plain", "password": "x"},
    });

    // Every route with an id in its path, called with the other workspace's id.
    let m = mailbox.id;
    let table: Vec<(Method, String, Option<serde_json::Value>)> = vec![
        (Method::GET, format!("/api/v1/mailboxes/{m}"), None),
        (
            Method::PUT,
            format!("/api/v1/mailboxes/{m}"),
            Some(mailbox_body),
        ),
        (Method::DELETE, format!("/api/v1/mailboxes/{m}"), None),
        (
            Method::POST,
            format!("/api/v1/mailboxes/{m}/pause"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/api/v1/mailboxes/{m}/resume"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/api/v1/mailboxes/{m}/test"),
            Some(json!({})),
        ),
        (Method::DELETE, format!("/api/v1/tokens/{token}"), None),
        (Method::GET, format!("/api/v1/products/{product}"), None),
        (
            Method::PUT,
            format!("/api/v1/products/{product}"),
            Some(json!({"name": "Ours now"})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/products/{product}"),
            Some(json!({"name": "Ours now"})),
        ),
        (Method::DELETE, format!("/api/v1/products/{product}"), None),
        (
            Method::POST,
            format!("/api/v1/products/{product}/file"),
            Some(json!({})),
        ),
        (
            Method::PATCH,
            format!("/api/v1/members/{their_user}"),
            Some(json!({"role": "viewer"})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/members/{their_user}"),
            None,
        ),
        (Method::GET, format!("/api/v1/campaigns/{theirs_c}"), None),
        (
            Method::PUT,
            format!("/api/v1/campaigns/{theirs_c}"),
            Some(json!({})),
        ),
        (
            Method::DELETE,
            format!("/api/v1/campaigns/{theirs_c}"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/campaigns/{theirs_c}/status"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/api/v1/campaigns/{theirs_c}/leads"),
            Some(json!({})),
        ),
        (
            Method::GET,
            format!("/api/v1/campaigns/{theirs_c}/leads"),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/campaigns/{theirs_c}/run"),
            Some(json!({})),
        ),
        (
            Method::GET,
            format!("/api/v1/campaigns/{theirs_c}/runs/{}", their_run.id),
            None,
        ),
        (
            Method::GET,
            format!("/api/v1/campaigns/{ours_c}/runs/{}", their_run.id),
            None,
        ),
        (
            Method::POST,
            format!("/api/v1/campaigns/{theirs_c}/leads/{their_lead}/preview"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/api/v1/campaigns/{ours_c}/leads/{their_lead}/preview"),
            Some(json!({})),
        ),
        (Method::GET, format!("/api/v1/leads/{lead}"), None),
        (
            Method::PATCH,
            format!("/api/v1/leads/{lead}"),
            Some(json!({})),
        ),
        (Method::DELETE, format!("/api/v1/leads/{lead}"), None),
        (
            Method::GET,
            format!("/api/v1/leads?campaign_id={campaign}"),
            None,
        ),
        (Method::GET, format!("/api/v1/imports/{job}"), None),
    ];
    for (method, path, body) in table {
        let (status, answer) = ours.call(method.clone(), &path, body).await;

        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
        for secret in [
            mailbox.address.as_str(),
            "Their widget",
            "Their secret campaign",
            "their-lead@",
            "their.lead",
            "theirs.csv",
            "Theirs",
        ] {
            assert!(
                !answer.to_string().contains(secret),
                "{method} {path}: {answer}"
            );
        }
    }
    let (_, their_view) = theirs.get(&format!("/api/v1/campaigns/{theirs_c}")).await;
    assert_eq!(
        (&their_view["status"], &their_view["counts"]["enrolled"]),
        (&json!("draft"), &json!(1)),
        "the other workspace's campaign was changed: {their_view}"
    );
    let (_, mine) = theirs
        .get(&format!("/api/v1/mailboxes/{}", mailbox.id))
        .await;
    assert_eq!(
        mine["status"], "active",
        "the owner's mailbox was changed: {mine}"
    );
    let (status, still) = theirs.get(&format!("/api/v1/leads/{lead}")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the owner's lead was deleted: {still}"
    );
    assert_eq!(mine["from_name"], "Sender 1");
    let (status, mine) = theirs.get(&format!("/api/v1/products/{product}")).await;
    assert_eq!(status, StatusCode::OK, "the owner's product was deleted");
    assert_eq!(mine["name"], "Their widget");
}
