//! Stats over HTTP: a campaign's numbers per step and per day, each mailbox's day against its
//! cap, and the workspace summary.

use outreachd::domain::Role;
use reqwest::StatusCode;

use crate::campaign_run::ran;
use crate::client::signed_in;
use crate::fixtures::step;
use crate::helpers::spawn_app;
use crate::support::TestBackend;

crate::on_both_backends!(
    campaign_stats_count_sends_replies_bounces_and_opt_outs_per_step_and_per_day,
    campaign_stats_are_counted_again_a_few_seconds_after_a_change,
    mailbox_stats_show_todays_sends_against_the_cap,
    the_workspace_summary_counts_leads_and_campaigns,
);

async fn campaign_stats_count_sends_replies_bounces_and_opt_outs_per_step_and_per_day(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    let viewer = signed_in(&app, "acme", Role::Viewer).await;
    let steps = vec![
        step("0s", Some("Hi"), "One."),
        step("7d", None, "Two."),
        step("7d", None, "Three."),
    ];
    let run = ran(&app, 4, steps, |_, l| l).await;
    run.reply(&app, "lead0@rcpt.test", "<r0@rcpt.test>").await;
    run.hard_bounce(&app, "lead1@rcpt.test", "<b1@rcpt.test>")
        .await;
    run.unsubscribe(&app, "lead2@rcpt.test", "<u2@rcpt.test>")
        .await;
    let path = format!("/api/v1/campaigns/{}/stats?days=7", run.seeded.campaign);

    let (status, stats) = viewer.get(&path).await;

    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!(stats["enrolled"], 4, "{stats}");
    assert_eq!(stats["contacted"], 4, "{stats}");
    assert_eq!(stats["sent"], 4, "{stats}");
    assert_eq!(stats["replied"], 1, "{stats}");
    assert_eq!(stats["bounced"], 1, "{stats}");
    assert_eq!(stats["unsubscribed"], 1, "{stats}");
    assert_eq!(stats["failed"], 0, "{stats}");
    assert_eq!(stats["reply_rate"], 0.25, "{stats}");
    assert_eq!(stats["bounce_rate"], 0.25, "{stats}");
    assert_eq!(stats["leads"]["active"], 1, "{stats}");
    let steps = stats["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 3, "every step, sent or not: {stats}");
    assert_eq!(steps[0]["sent"], 4);
    assert_eq!(steps[0]["replied"], 1);
    assert_eq!(steps[0]["bounced"], 1);
    assert_eq!(steps[0]["unsubscribed"], 1);
    assert_eq!(steps[0]["reply_rate"], 0.25);
    assert_eq!(steps[1]["waiting"], 1, "lead3 waits for step 2: {stats}");
    assert_eq!(steps[1]["sent"], 0);
    assert_eq!(steps[2]["sent"], 0);
    let daily = stats["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 7, "{stats}");
    let today = &daily[6];
    assert_eq!(
        today["date"],
        chrono::Utc::now().date_naive().to_string(),
        "{stats}"
    );
    assert_eq!(today["sends"], 4);
    assert_eq!(today["replies"], 1);
    assert_eq!(today["bounces"], 1);
    assert_eq!(daily[0]["sends"], 0);

    let (status, problem) = viewer
        .get(&format!(
            "/api/v1/campaigns/{}/stats?days=0",
            run.seeded.campaign
        ))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "days");
    let (_, default) = viewer
        .get(&format!("/api/v1/campaigns/{}/stats", run.seeded.campaign))
        .await;
    assert_eq!(default["daily"].as_array().unwrap().len(), 30);
}

async fn campaign_stats_are_counted_again_a_few_seconds_after_a_change(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let viewer = signed_in(&app, "acme", Role::Viewer).await;
    let run = ran(&app, 2, vec![step("0s", Some("Hi"), "One.")], |_, l| l).await;
    let path = format!("/api/v1/campaigns/{}/stats", run.seeded.campaign);
    let (_, before) = viewer.get(&path).await;
    assert_eq!(before["replied"], 0, "{before}");

    run.reply(&app, "lead0@rcpt.test", "<r0@rcpt.test>").await;
    let (_, cached) = viewer.get(&path).await;
    let start = std::time::Instant::now();
    let after = loop {
        let (_, now) = viewer.get(&path).await;
        if now["replied"] == 1 {
            break now;
        }
        assert!(
            start.elapsed() < std::time::Duration::from_secs(10),
            "never counted again: {now}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };

    assert_eq!(
        cached["as_of"], before["as_of"],
        "answered from memory: {cached}"
    );
    assert_eq!(cached["replied"], 0);
    assert!(
        after["as_of"].as_str().unwrap() > before["as_of"].as_str().unwrap(),
        "{after}"
    );
}

async fn mailbox_stats_show_todays_sends_against_the_cap(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let viewer = signed_in(&app, "acme", Role::Viewer).await;
    let run = ran(&app, 3, vec![step("0s", Some("Hi"), "One.")], |_, l| l).await;

    let (status, page) = viewer.get("/api/v1/stats/mailboxes").await;

    assert_eq!(status, StatusCode::OK, "{page}");
    let m = &page["items"][0];
    assert_eq!(m["id"], run.mailbox.to_string());
    assert_eq!(m["address"], "sender0@acme.test");
    assert_eq!(m["status"], "active");
    assert_eq!(m["sent_today"], 3);
    assert_eq!(m["daily_cap"], 100_000);
    assert_eq!(m["daily_cap_today"], 100_000);
    assert_eq!(m["remaining_today"], 99_997);
}

async fn the_workspace_summary_counts_leads_and_campaigns(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let viewer = signed_in(&app, "acme", Role::Viewer).await;
    ran(&app, 2, vec![step("0s", Some("Hi"), "One.")], |_, l| l).await;

    let (status, summary) = viewer.get("/api/v1/stats").await;

    assert_eq!(status, StatusCode::OK, "{summary}");
    assert_eq!(summary["workspace"], "acme");
    assert_eq!(summary["leads"], 2);
    assert_eq!(summary["mailboxes"][0]["sent_today"], 2);
    assert_eq!(summary["campaigns"][0]["name"], "Q4");
    assert_eq!(summary["campaigns"][0]["emails_sent"], 2);
    assert_eq!(summary["campaigns"][0]["leads"]["completed"], 2);
}
