//! One workspace never sees another's: every route that takes an id answers 404 for an id of a
//! second workspace, exactly as for an id that does not exist, and never its data.

use chrono::Utc;
use outreachd::domain::{ImportJobId, NewImportJob, Role};
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

    // Every route with an id in its path, called with the other workspace's id.
    let table: Vec<(Method, String)> = vec![
        (Method::GET, format!("/api/v1/mailboxes/{}", mailbox.id)),
        (
            Method::POST,
            format!("/api/v1/mailboxes/{}/pause", mailbox.id),
        ),
        (
            Method::POST,
            format!("/api/v1/mailboxes/{}/resume", mailbox.id),
        ),
        (Method::DELETE, format!("/api/v1/tokens/{token}")),
        (Method::GET, format!("/api/v1/leads/{lead}")),
        (Method::PATCH, format!("/api/v1/leads/{lead}")),
        (Method::DELETE, format!("/api/v1/leads/{lead}")),
        (Method::GET, format!("/api/v1/leads?campaign_id={campaign}")),
        (Method::GET, format!("/api/v1/imports/{job}")),
    ];
    for (method, path) in table {
        let body = (method == Method::POST || method == Method::PATCH).then(|| json!({}));
        let (status, answer) = ours.call(method.clone(), &path, body).await;

        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
        for secret in [
            mailbox.address.as_str(),
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
}
