//! Engagement events over HTTP: what the inbound half recorded (replies, bounces, opt-outs),
//! with the lead, campaign and step each concerns; filtered by campaign, lead and type.

use outreachd::domain::Role;
use reqwest::StatusCode;

use crate::campaign_run::ran;
use crate::client::signed_in;
use crate::fixtures::step;
use crate::helpers::spawn_app;
use crate::support::TestBackend;

crate::on_both_backends!(
    a_reply_and_a_bounce_are_listed_with_their_lead_campaign_and_step,
    events_are_filtered_by_type_lead_and_campaign,
);

async fn a_reply_and_a_bounce_are_listed_with_their_lead_campaign_and_step(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let viewer = signed_in(&app, "acme", Role::Viewer).await;
    let run = ran(&app, 2, vec![step("0s", Some("Hi"), "Hello.")], |_, l| l).await;
    run.reply(&app, "lead0@rcpt.test", "<reply-1@rcpt.test>")
        .await;
    run.hard_bounce(&app, "lead1@rcpt.test", "<dsn-1@mx.rcpt.test>")
        .await;

    let (status, page) = viewer.get("/api/v1/events").await;

    assert_eq!(status, StatusCode::OK, "{page}");
    let items = page["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{page}");
    let reply = &items[0];
    assert_eq!(reply["type"], "reply");
    assert_eq!(reply["lead"]["email"], "lead0@rcpt.test");
    assert_eq!(reply["campaign_id"], run.seeded.campaign.to_string());
    assert_eq!(reply["step"], 1);
    assert_eq!(
        reply["send_id"],
        run.send_to(&app, "lead0@rcpt.test").await.to_string()
    );
    assert_eq!(reply["detail"]["message_id"], "<reply-1@rcpt.test>");
    let bounce = &items[1];
    assert_eq!(bounce["type"], "bounce_hard");
    assert_eq!(bounce["lead"]["email"], "lead1@rcpt.test");
    assert_eq!(bounce["detail"]["status"], "5.1.1");
}

async fn events_are_filtered_by_type_lead_and_campaign(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let client = signed_in(&app, "acme", Role::Owner).await;
    let run = ran(&app, 3, vec![step("0s", Some("Hi"), "Hello.")], |_, l| l).await;
    run.reply(&app, "lead0@rcpt.test", "<r0@rcpt.test>").await;
    run.reply(&app, "lead1@rcpt.test", "<r1@rcpt.test>").await;
    run.unsubscribe(&app, "lead2@rcpt.test", "<u2@rcpt.test>")
        .await;
    let lead1 = run.sends(&app).await[1].lead.id;
    let campaign = run.seeded.campaign;

    let count = |path: String| {
        let client = &client;
        async move {
            let (status, page) = client.get(&path).await;
            assert_eq!(status, StatusCode::OK, "{path}: {page}");
            page["items"].as_array().unwrap().len()
        }
    };

    assert_eq!(count("/api/v1/events?type=reply".into()).await, 2);
    assert_eq!(count("/api/v1/events?type=unsubscribe".into()).await, 1);
    assert_eq!(count("/api/v1/events?type=complaint".into()).await, 0);
    assert_eq!(count(format!("/api/v1/events?lead_id={lead1}")).await, 1);
    assert_eq!(
        count(format!(
            "/api/v1/events?campaign_id={campaign}&type=reply&limit=1"
        ))
        .await,
        1,
        "a page of one"
    );
    let (status, problem) = client.get("/api/v1/events?type=bounce").await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "type", "{problem}");
}
