//! The cross-workspace 404 table, continued for the reporting routes (sends, events, stats,
//! suppressions, explain): each answers 404 for a second workspace's ids, and never its data.

use outreachd::domain::{
    CampaignId, CampaignSpec, CampaignStatus, EmailAddress, MailboxId, NewLead, Role, SendingRules,
    WorkspaceId,
};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::client::signed_in;
use crate::helpers::spawn_app;
use crate::support::TestBackend;

crate::on_both_backends!(every_report_route_answers_404_for_another_workspaces_ids);

async fn every_report_route_answers_404_for_another_workspaces_ids(backend: TestBackend) {
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
    let campaign = their_campaign(&app, their_ws.id, mailbox.id).await;
    let lead = app
        .store
        .insert_leads(
            their_ws.id,
            &[NewLead {
                email: Some(EmailAddress::parse("their.lead@rcpt.test").unwrap()),
                ..NewLead::default()
            }],
        )
        .await
        .unwrap()[0]
        .id();
    app.store
        .enroll_leads(their_ws.id, campaign, &[lead], chrono::Utc::now())
        .await
        .unwrap();
    app.store
        .add_suppression(their_ws.id, "their.blocked@rcpt.test", "theirs")
        .await
        .unwrap();
    let suppression = app
        .store
        .suppression_by_value(their_ws.id, "their.blocked@rcpt.test")
        .await
        .unwrap()
        .unwrap()
        .id;
    crate::reviews::unsure_reply(&app, their_ws.id, mailbox.id, "r0", "their.lead@rcpt.test").await;
    let review = app
        .store
        .list_reviews(
            their_ws.id,
            &outreachd::domain::ReviewFilter {
                limit: 10,
                ..Default::default()
            },
        )
        .await
        .unwrap()[0]
        .id;

    // Every route with an id in its path, called with the other workspace's id.
    let table: Vec<(Method, String)> = vec![
        // The mailbox and token rows are in tenancy.rs; these are the reporting routes.
        (Method::GET, format!("/api/v1/sends?campaign_id={campaign}")),
        (Method::GET, format!("/api/v1/sends?lead_id={lead}")),
        (
            Method::GET,
            format!("/api/v1/events?campaign_id={campaign}"),
        ),
        (Method::GET, format!("/api/v1/events?lead_id={lead}")),
        (Method::GET, format!("/api/v1/campaigns/{campaign}/stats")),
        (
            Method::GET,
            format!("/api/v1/campaigns/{campaign}/leads/{lead}/explain"),
        ),
        (
            Method::GET,
            format!("/api/v1/mailboxes/{}/explain", mailbox.id),
        ),
        (Method::GET, format!("/api/v1/suppressions/{suppression}")),
        (
            Method::DELETE,
            format!("/api/v1/suppressions/{suppression}"),
        ),
        (Method::GET, format!("/api/v1/reviews/{review}")),
        (Method::POST, format!("/api/v1/reviews/{review}/resolve")),
    ];
    for (method, path) in table {
        let body = (method == Method::POST).then(|| json!({"as": "dismiss"}));
        let (status, answer) = ours.call(method.clone(), &path, body).await;

        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {answer}");
        for theirs in [&mailbox.address, "their.lead", "their.blocked"] {
            assert!(
                !answer.to_string().contains(theirs),
                "{method} {path}: {answer}"
            );
        }
    }
    // Our own campaign with their lead is as unknown as their campaign.
    let ours_ws = app.store.workspace_by_name("ours").await.unwrap().unwrap();
    let our_mailbox = app
        .store
        .upsert_mailbox(ours_ws.id, &crate::fixtures::mailbox_spec(2, 2525))
        .await
        .unwrap()
        .value;
    let our_campaign = their_campaign(&app, ours_ws.id, our_mailbox.id).await;
    let path = format!("/api/v1/campaigns/{our_campaign}/leads/{lead}/explain");
    let (status, answer) = ours.get(&path).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {answer}");
    let (_, still) = theirs
        .get(&format!("/api/v1/suppressions/{suppression}"))
        .await;
    assert_eq!(still["value"], "their.blocked@rcpt.test", "{still}");
    let (_, listed) = ours.get("/api/v1/reviews").await;
    assert_eq!(listed["items"], json!([]), "{listed}");
    let (_, open) = theirs.get(&format!("/api/v1/reviews/{review}")).await;
    assert_eq!(open["status"], "open", "{open}");
    let (_, mine) = theirs
        .get(&format!("/api/v1/mailboxes/{}", mailbox.id))
        .await;
    assert_eq!(
        mine["status"], "active",
        "the owner's mailbox was changed: {mine}"
    );
}

/// A paused one-step campaign of `ws` sending from `mailbox`.
async fn their_campaign(
    app: &crate::helpers::TestApp,
    ws: WorkspaceId,
    mailbox: MailboxId,
) -> CampaignId {
    let spec = CampaignSpec {
        name: "Theirs".into(),
        goal: String::new(),
        ai: Default::default(),
        product_id: None,
        status: Some(CampaignStatus::Paused),
        rules: SendingRules::default(),
        mailbox_ids: vec![mailbox],
        steps: vec![crate::fixtures::step("0s", Some("Hi"), "Hello.")],
    };
    app.store.upsert_campaign(ws, &spec).await.unwrap().value.id
}
