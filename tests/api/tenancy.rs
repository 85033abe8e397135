//! One workspace never sees another's: every route that takes an id answers 404 for an id of a
//! second workspace, exactly as for an id that does not exist, and never its data.

use outreachd::domain::Role;
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
        (Method::PATCH, format!("/api/v1/members/{their_user}")),
        (Method::DELETE, format!("/api/v1/members/{their_user}")),
    ];
    for (method, path) in table {
        let body = match method {
            Method::POST => Some(json!({})),
            Method::PATCH => Some(json!({"role": "viewer"})),
            _ => None,
        };
        let (status, answer) = ours.call(method.clone(), &path, body).await;

        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
        assert!(
            !answer.to_string().contains(&mailbox.address),
            "{method} {path}: {answer}"
        );
    }
    let (_, mine) = theirs
        .get(&format!("/api/v1/mailboxes/{}", mailbox.id))
        .await;
    assert_eq!(
        mine["status"], "active",
        "the owner's mailbox was changed: {mine}"
    );
}
