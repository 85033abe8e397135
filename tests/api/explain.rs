//! `explain` over HTTP gives the evaluation `outreachd explain` prints: the same checks with
//! the same verdicts and the same binding limit, for a lead of a campaign and for a mailbox.

use std::process::Command;

use chrono::Utc;
use outreachd::domain::{EmailAddress, NewLead, Role};
use reqwest::StatusCode;
use serde_json::Value;

use crate::campaign_run::waiting;
use crate::client::signed_in;
use crate::helpers::{TestApp, spawn_app};
use crate::support::{TEST_KEY_BASE64, TestBackend};

crate::on_both_backends!(
    a_leads_explanation_is_the_clis_and_names_the_paused_campaign,
    a_mailboxs_explanation_is_the_clis_and_names_its_pause,
    a_lead_outside_the_campaign_is_explained_as_not_enrolled,
);

/// `outreachd explain -w acme --json ARGS` against the app's database.
fn cli(app: &TestApp, args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_outreachd"))
        .args(["explain", "-w", "acme", "--json"])
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("OUTREACHD__DATABASE__URL", &app.database_url)
        .env("OUTREACHD__SECURITY__ENCRYPTION_KEY", TEST_KEY_BASE64)
        .env(
            "OUTREACHD__DAEMON__DATA_DIR",
            app.dir.path().join("cli").display().to_string(),
        )
        .output()
        .expect("run outreachd");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("explain --json prints JSON")
}

/// What must agree between two evaluations made a moment apart: each check's name and
/// verdict, and the binding one.
fn verdicts(e: &Value) -> (Vec<(String, String)>, Value) {
    let checks = e["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["verdict"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (checks, e["binding"].clone())
}

async fn a_leads_explanation_is_the_clis_and_names_the_paused_campaign(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let viewer = signed_in(&app, "acme", Role::Viewer).await;
    let seeded = waiting(&app, 2).await;
    let lead = app
        .store
        .lead_by_email(
            seeded.workspace,
            &EmailAddress::parse("lead1@rcpt.test").unwrap(),
        )
        .await
        .unwrap()
        .unwrap();

    let (status, api) = viewer
        .get(&format!(
            "/api/v1/campaigns/{}/leads/{}/explain",
            seeded.campaign, lead.id
        ))
        .await;

    assert_eq!(status, StatusCode::OK, "{api}");
    assert_eq!(api["binding"], "campaign_status", "{api:#}");
    assert_eq!(api["next_eligible"], Value::Null);
    let cli = cli(&app, &["--campaign", "Q4", "--lead", "lead1@rcpt.test"]);
    assert_eq!(verdicts(&api), verdicts(&cli), "API {api:#}\nCLI {cli:#}");
    let names: Vec<String> = verdicts(&api).0.into_iter().map(|(n, _)| n).collect();
    assert_eq!(
        names[..4],
        [
            "suppression",
            "unsubscribed",
            "lead_status",
            "campaign_status"
        ]
    );
}

async fn a_mailboxs_explanation_is_the_clis_and_names_its_pause(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let viewer = signed_in(&app, "acme", Role::Viewer).await;
    let seeded = waiting(&app, 1).await;
    let mailbox = app.store.list_mailboxes(seeded.workspace).await.unwrap()[0].clone();
    app.store
        .set_mailbox_paused(seeded.workspace, mailbox.id, "checking DNS", Utc::now())
        .await
        .unwrap();

    let (status, api) = viewer
        .get(&format!("/api/v1/mailboxes/{}/explain", mailbox.id))
        .await;

    assert_eq!(status, StatusCode::OK, "{api}");
    assert_eq!(api["binding"], "mailbox_state", "{api:#}");
    assert!(
        api["checks"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("checking DNS"),
        "{api:#}"
    );
    let cli = cli(&app, &["--mailbox", "sender0@acme.test"]);
    assert_eq!(verdicts(&api), verdicts(&cli), "API {api:#}\nCLI {cli:#}");
}

async fn a_lead_outside_the_campaign_is_explained_as_not_enrolled(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let viewer = signed_in(&app, "acme", Role::Viewer).await;
    let seeded = waiting(&app, 1).await;
    let outsider = app
        .store
        .insert_leads(
            seeded.workspace,
            &[NewLead {
                email: Some(EmailAddress::parse("new@rcpt.test").unwrap()),
                ..NewLead::default()
            }],
        )
        .await
        .unwrap()[0]
        .id();

    let (status, api) = viewer
        .get(&format!(
            "/api/v1/campaigns/{}/leads/{outsider}/explain",
            seeded.campaign
        ))
        .await;
    let unknown = uuid::Uuid::now_v7();
    let (missing, problem) = viewer
        .get(&format!(
            "/api/v1/campaigns/{}/leads/{unknown}/explain",
            seeded.campaign
        ))
        .await;

    assert_eq!(status, StatusCode::OK, "{api}");
    let lead_status = api["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "lead_status")
        .unwrap();
    assert_eq!(lead_status["verdict"], "blocked");
    assert!(
        lead_status["detail"]
            .as_str()
            .unwrap()
            .contains("not enrolled"),
        "{api:#}"
    );
    assert_eq!(missing, StatusCode::NOT_FOUND, "{problem}");
}
