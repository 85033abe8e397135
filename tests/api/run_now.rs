//! Run Now over HTTP, inside the running daemon: pending steps go out at once (outside the
//! sending window too, never past a stopped mailbox), the answer is the seed's
//! `{"emails_sent", "total", "results"}` with a line per lead, and a run that outlasts its
//! timeout answers 202 with a run whose report is read later.

use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use outreachd::domain::{MailboxId, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::campaign_setup::{id, leads, mailboxes, one_step_json, paced_mailboxes, workspace};
use crate::client::{ApiClient, signed_in};
use crate::helpers::spawn_app;
use crate::sink::Sink;
use crate::support::TestBackend;

crate::on_both_backends!(
    run_now_sends_every_pending_step_and_reports_each_lead,
    a_run_that_outlasts_its_timeout_answers_202_and_reports_when_done,
    run_now_needs_a_running_campaign,
);

/// A one-hour window twelve hours from now: closed for the whole test.
fn closed_window() -> Value {
    let now = Utc::now();
    let start = (now + TimeDelta::hours(12)).format("%H:00").to_string();
    let end = match (now + TimeDelta::hours(13))
        .format("%H")
        .to_string()
        .as_str()
    {
        "00" => "24:00".to_owned(),
        hour => format!("{hour}:00"),
    };
    json!({"days": "mon-sun", "start": start, "end": end})
}

/// A running campaign over `pool` with `count` leads enrolled; returns its path.
async fn running_campaign(
    client: &ApiClient<'_>,
    pool: &[MailboxId],
    lead_ids: &[outreachd::domain::LeadId],
    window: Option<Value>,
) -> String {
    let (status, created) = client
        .post("/api/v1/campaigns", one_step_json("Q4", pool, window))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let path = format!("/api/v1/campaigns/{}", id(&created));
    let (status, enrolled) = client
        .post(&format!("{path}/leads"), json!({"lead_ids": lead_ids}))
        .await;
    assert_eq!(status, StatusCode::OK, "{enrolled}");
    let (status, running) = client
        .post(&format!("{path}/status"), json!({"status": "running"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{running}");
    path
}

async fn run_now_sends_every_pending_step_and_reports_each_lead(backend: TestBackend) {
    let sink = Sink::start(&[]).await;
    let app = spawn_app(backend).await;
    let client = signed_in(&app, "acme", Role::Member).await;
    let ws = workspace(&app, "acme").await;
    let pool = mailboxes(&app, ws, 2, sink.port).await;
    let ids = leads(&app, ws, "lead", 6).await;
    // A window closed now: only Run Now sends.
    let path = running_campaign(&client, &pool, &ids, Some(closed_window())).await;
    // Half the leads are on the second mailbox; it stops.
    app.store
        .set_mailbox_paused(ws, pool[1], "operator", Utc::now())
        .await
        .unwrap();
    // Past a reconcile pass (the paused mailbox's actor stops) and the run's clock slack.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    assert_eq!(sink.dumps(0).await.len(), 0, "the window holds them");

    let (status, report) = client
        .post(&format!("{path}/run?timeout=8"), json!({}))
        .await;

    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["status"], "done");
    assert_eq!(report["emails_sent"], 3, "{report}");
    assert_eq!(report["total"], 6, "{report}");
    assert_eq!(report["made_due"], 6);
    let results = report["results"].as_array().unwrap();
    let sent: Vec<&Value> = results.iter().filter(|r| r["success"] == true).collect();
    assert_eq!(sent.len(), 3);
    assert!(
        sent.iter()
            .all(|r| r["state"] == "sent" && r["error"].is_null())
    );
    for held in results.iter().filter(|r| r["success"] == false) {
        let error = held["error"].as_str().unwrap();
        assert!(
            error.contains("paused") && error.contains("sender1@acme.test"),
            "{held}"
        );
        assert!(held["lead_id"].as_str().is_some() && held["email"].as_str().is_some());
    }
    assert_eq!(sink.dumps(3).await.len(), 3, "what the server received");
    let (_, campaign) = client.get(&path).await;
    assert_eq!(campaign["counts"]["emails_sent"], 3);
    assert_eq!(campaign["counts"]["by_status"]["completed"], 3);

    // The paused leads stay pending; nothing else is left to send.
    let (status, again) = client
        .post(&format!("{path}/run?timeout=5"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(
        (again["emails_sent"].as_u64(), again["made_due"].as_u64()),
        (Some(0), Some(3))
    );
}

async fn a_run_that_outlasts_its_timeout_answers_202_and_reports_when_done(backend: TestBackend) {
    let sink = Sink::start(&[]).await;
    let app = spawn_app(backend).await;
    let client = signed_in(&app, "acme", Role::Member).await;
    let ws = workspace(&app, "acme").await;
    // One mailbox with a second between sends: three leads take two seconds at least.
    let pool = paced_mailboxes(&app, ws, 1, sink.port, "1s").await;
    let ids = leads(&app, ws, "lead", 3).await;
    let path = running_campaign(&client, &pool, &ids, Some(closed_window())).await;

    let response = app
        .client
        .post(app.url(&format!("{path}/run?timeout=0")))
        .bearer_auth(&client.token)
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let location = response
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let first: Value = response.json().await.unwrap();
    assert_eq!(first["status"], "running", "{first}");
    assert!(
        location.ends_with(first["run_id"].as_str().unwrap()),
        "{location}"
    );
    let started = Instant::now();
    let report = loop {
        let (status, report) = client.get(&location).await;
        assert_eq!(status, StatusCode::OK, "{report}");
        if report["status"] == "done" {
            break report;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "{report}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(report["emails_sent"], 3, "{report}");
    assert_eq!(report["total"], 3);
    assert_eq!(report["pending"], 0);
    assert!(report["finished_at"].is_string());
    assert_eq!(sink.dumps(3).await.len(), 3);
    let (_, later) = client.get(&location).await;
    assert_eq!(
        later["results"], report["results"],
        "a finished report stays"
    );
}

async fn run_now_needs_a_running_campaign(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let client = signed_in(&app, "acme", Role::Member).await;
    let ws = workspace(&app, "acme").await;
    let pool = mailboxes(&app, ws, 1, 2525).await;
    let (_, created) = client
        .post("/api/v1/campaigns", one_step_json("Q4", &pool, None))
        .await;
    let path = format!("/api/v1/campaigns/{}", id(&created));

    let (status, problem) = client.post(&format!("{path}/run"), json!({})).await;

    assert_eq!(status, StatusCode::CONFLICT, "{problem}");
    assert!(
        problem["detail"].as_str().unwrap().contains("draft"),
        "{problem}"
    );
    let (status, problem) = client
        .post(&format!("{path}/run?timeout=9999"), json!({}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    let (status, _) = client
        .get(&format!("{path}/runs/{}", uuid::Uuid::now_v7()))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
