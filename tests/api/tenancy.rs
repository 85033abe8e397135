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
    ];
    for (method, path, body) in table {
        let (status, answer) = ours.call(method.clone(), &path, body).await;

        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
        for theirs in [mailbox.address.as_str(), "Their widget"] {
            assert!(
                !answer.to_string().contains(theirs),
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
    assert_eq!(mine["from_name"], "Sender 1");
    let (status, mine) = theirs.get(&format!("/api/v1/products/{product}")).await;
    assert_eq!(status, StatusCode::OK, "the owner's product was deleted");
    assert_eq!(mine["name"], "Their widget");
}
