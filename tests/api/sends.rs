//! The email log over HTTP: every send with its state, mailbox, Message-ID, the server's
//! reply, attempts, times and the text that went out; filtered and paged.

use outreachd::domain::Role;
use reqwest::StatusCode;

use crate::campaign_run::ran;
use crate::client::signed_in;
use crate::fixtures::step;
use crate::helpers::spawn_app;
use crate::support::TestBackend;

crate::on_both_backends!(
    the_email_log_shows_each_send_with_its_text_mailbox_and_server_reply,
    sends_are_filtered_by_campaign_lead_and_state_and_paged_by_cursor,
    bad_filters_are_refused_with_a_problem_naming_them,
);

async fn the_email_log_shows_each_send_with_its_text_mailbox_and_server_reply(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    let viewer = signed_in(&app, "acme", Role::Viewer).await;
    let steps = vec![step(
        "0s",
        Some("Hello {{ first_name }}"),
        "Body for {{ first_name }}.",
    )];
    let run = ran(&app, 3, steps, |_, l| l).await;

    let (status, page) = viewer.get("/api/v1/sends").await;

    assert_eq!(status, StatusCode::OK, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 3, "{page}");
    assert!(page["next_cursor"].is_null(), "{page}");
    let lead0 = items
        .iter()
        .find(|s| s["lead"]["email"] == "lead0@rcpt.test")
        .unwrap_or_else(|| panic!("no send to lead0: {page}"));
    assert_eq!(lead0["state"], "sent");
    assert_eq!(lead0["step"], 1);
    assert_eq!(lead0["campaign_id"], run.seeded.campaign.to_string());
    assert_eq!(lead0["mailbox"], "sender0@acme.test");
    assert!(lead0["attempts"].is_u64(), "{lead0}");
    assert!(
        lead0["smtp_reply"].as_str().unwrap().starts_with("250"),
        "{lead0}"
    );
    assert!(
        lead0["message_id"].as_str().unwrap().contains('@'),
        "{lead0}"
    );
    assert!(lead0["sent_at"].is_string(), "{lead0}");
    assert_eq!(lead0["message"]["subject"], "Hello Lead0");
    assert!(
        lead0["message"]["body_text"]
            .as_str()
            .unwrap()
            .contains("Body for Lead0."),
        "{lead0}"
    );
}

async fn sends_are_filtered_by_campaign_lead_and_state_and_paged_by_cursor(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let client = signed_in(&app, "acme", Role::Owner).await;
    let run = ran(&app, 5, vec![step("0s", Some("Hi"), "Hello.")], |_, l| l).await;
    let sends = run.sends(&app).await;
    let campaign = run.seeded.campaign;

    let (_, first) = client
        .get(&format!("/api/v1/sends?campaign_id={campaign}&limit=2"))
        .await;
    let cursor = first["next_cursor"].as_str().unwrap().to_owned();
    let (_, second) = client
        .get(&format!(
            "/api/v1/sends?campaign_id={campaign}&limit=2&cursor={cursor}"
        ))
        .await;
    let cursor = second["next_cursor"].as_str().unwrap().to_owned();
    let (_, third) = client
        .get(&format!(
            "/api/v1/sends?campaign_id={campaign}&limit=2&cursor={cursor}"
        ))
        .await;

    let ids: Vec<String> = [&first, &second, &third]
        .iter()
        .flat_map(|p| p["items"].as_array().unwrap().clone())
        .map(|s| s["id"].as_str().unwrap().to_owned())
        .collect();
    let mut all: Vec<String> = sends.iter().map(|s| s.id.to_string()).collect();
    all.sort();
    assert_eq!(ids, all, "pages in id order, each send once");
    assert!(third["next_cursor"].is_null(), "{third}");

    let lead = sends[2].lead.id;
    let (_, one) = client.get(&format!("/api/v1/sends?lead_id={lead}")).await;
    assert_eq!(one["items"].as_array().unwrap().len(), 1, "{one}");
    assert_eq!(one["items"][0]["lead"]["id"], lead.to_string());

    let (_, failed) = client.get("/api/v1/sends?state=failed").await;
    assert_eq!(failed["items"], serde_json::json!([]), "{failed}");
    let (_, sent) = client.get("/api/v1/sends?state=sent&limit=500").await;
    assert_eq!(sent["items"].as_array().unwrap().len(), 5, "{sent}");
}

async fn bad_filters_are_refused_with_a_problem_naming_them(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let client = signed_in(&app, "acme", Role::Owner).await;
    let unknown = uuid::Uuid::now_v7();

    for (path, want, mentions) in [
        (
            "/api/v1/sends?state=delivered".to_owned(),
            StatusCode::BAD_REQUEST,
            "state",
        ),
        (
            "/api/v1/sends?campaign_id=nope".to_owned(),
            StatusCode::BAD_REQUEST,
            "campaign_id",
        ),
        (
            "/api/v1/sends?limit=501".to_owned(),
            StatusCode::BAD_REQUEST,
            "limit",
        ),
        (
            "/api/v1/sends?cursor=%21%21".to_owned(),
            StatusCode::BAD_REQUEST,
            "cursor",
        ),
        (
            format!("/api/v1/sends?campaign_id={unknown}"),
            StatusCode::NOT_FOUND,
            "campaign",
        ),
        (
            format!("/api/v1/sends?lead_id={unknown}"),
            StatusCode::NOT_FOUND,
            "lead",
        ),
    ] {
        let (status, problem) = client.get(&path).await;

        assert_eq!(status, want, "{path}: {problem}");
        assert!(problem.to_string().contains(mentions), "{path}: {problem}");
    }
}
