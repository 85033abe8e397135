//! The whole product over HTTP alone, as a user meets it: an owner signs in, adds two mailboxes
//! (outbox transport), a product from a PDF, imports a CSV into a new 3-step campaign, previews
//! a lead's first email, runs the campaign and reads per-lead results, then lists sends, events
//! and stats. The preview is exactly what the lead receives.

use std::time::{Duration, Instant};

use outreachd::domain::Role;
use reqwest::StatusCode;
use reqwest::header::CONTENT_TYPE;
use serde_json::{Value, json};

use crate::client::{ApiClient, signed_in};
use crate::helpers::spawn_app;
use crate::support::TestBackend;
use crate::support::documents;

crate::on_both_backends!(an_owner_runs_a_campaign_end_to_end_with_only_http_calls);

fn mailbox(address: &str) -> Value {
    json!({
        "address": address,
        "from_name": "Ann Example",
        "smtp": {"host": "outbox", "port": 25, "security": "plain", "password": "unused"},
        "min_gap": "0s",
        "max_gap": "0s",
    })
}

/// Uploads `csv` as a lead import (into `campaign`, if given) and waits for the job to finish.
pub async fn import(client: &ApiClient<'_>, csv: &str, campaign: Option<&str>) -> Value {
    let boundary = "outreachd-walk-boundary";
    let campaign_part = campaign
        .map(|c| {
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"campaign_id\"\r\n\r\n{c}\r\n"
            )
        })
        .unwrap_or_default();
    let body = format!(
        "{campaign_part}--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; \
         filename=\"leads.csv\"\r\nContent-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
    );
    let response = client
        .app
        .client
        .post(client.app.url("/api/v1/leads/imports"))
        .bearer_auth(&client.token)
        .header(
            CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::ACCEPTED);
    let job: Value = response.json().await.unwrap();
    let path = format!("/api/v1/imports/{}", job["id"].as_str().unwrap());
    let start = Instant::now();
    loop {
        let (_, job) = client.get(&path).await;
        if job["status"] == "completed" || job["status"] == "failed" {
            return job;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "import stuck: {job}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn an_owner_runs_a_campaign_end_to_end_with_only_http_calls(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let owner = signed_in(&app, "acme", Role::Owner).await;

    // Two mailboxes and a product described by a PDF.
    let mut mailbox_ids = Vec::new();
    for address in ["ann@acme.example", "bob@acme.example"] {
        let (status, created) = owner.post("/api/v1/mailboxes", mailbox(address)).await;
        assert_eq!(status, StatusCode::CREATED, "{created}");
        mailbox_ids.push(created["id"].as_str().unwrap().to_owned());
    }
    let (status, product) = owner
        .post("/api/v1/products", json!({"name": "Widget Pro"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{product}");
    let product_path = format!("/api/v1/products/{}", product["id"].as_str().unwrap());
    let pdf = documents::pdf("Widget Pro saves ten hours a week", "5 0 R");
    let (status, described) =
        crate::products::upload(&owner, &product_path, "brochure.pdf", &pdf).await;
    assert_eq!(status, StatusCode::OK, "{described}");
    assert!(
        described["description"]
            .as_str()
            .unwrap()
            .contains("saves ten hours"),
        "{described}"
    );

    // A 3-step campaign, its leads imported from a CSV.
    let (status, campaign) = owner
        .post(
            "/api/v1/campaigns",
            json!({
                "name": "Q4 outreach",
                "goal": "Book a demo",
                "product_id": product["id"],
                "mailbox_ids": mailbox_ids,
                "steps": [
                    {"subject": "Hello {{ first_name }}", "body": "Hi {{ first_name }}, a word about {{ product.name }}."},
                    {"delay": "3d", "body": "Any thoughts, {{ first_name }}?"},
                    {"delay": "5d", "body": "Last note from me."},
                ],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{campaign}");
    let campaign_id = campaign["id"].as_str().unwrap().to_owned();
    let campaign_path = format!("/api/v1/campaigns/{campaign_id}");
    let csv = "email,first_name,company\nada@rcpt.example,Ada,Analytical\n\
               grace@rcpt.example,Grace,Navy\nnot-an-email,Bad,Row\nalan@rcpt.example,Alan,Bletchley\n";
    let job = import(&owner, csv, Some(&campaign_id)).await;
    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(
        (job["imported"].as_u64(), job["rejected"].as_u64()),
        (Some(3), Some(1)),
        "{job}"
    );
    assert_eq!(job["rejected_rows"][0]["line"], 4, "{job}");
    let (status, _) = owner
        .post(
            &format!("{campaign_path}/status"),
            json!({"status": "running"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    // Preview Ada's first email: it is stored as the text she will receive.
    let (_, enrolled) = owner.get(&format!("{campaign_path}/leads")).await;
    let ada = enrolled["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["email"] == "ada@rcpt.example")
        .unwrap_or_else(|| panic!("Ada is enrolled: {enrolled}"))
        .clone();
    let ada_id = ada["lead_id"].as_str().unwrap();
    let (status, preview) = owner
        .post(
            &format!("{campaign_path}/leads/{ada_id}/preview"),
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{preview}");
    assert_eq!(preview["subject"], "Hello Ada");

    // Run it: every lead's first step goes out now, and the answer says so per lead.
    let (status, run) = owner
        .post(&format!("{campaign_path}/run?timeout=30"), json!({}))
        .await;
    assert_eq!(status, StatusCode::OK, "{run}");
    assert_eq!(
        (run["emails_sent"].as_u64(), run["total"].as_u64()),
        (Some(3), Some(3)),
        "{run}"
    );
    assert!(
        run["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["success"] == true),
        "{run}"
    );

    // The email log holds what was sent, the preview's text included.
    let (_, sends) = owner
        .get(&format!("/api/v1/sends?campaign_id={campaign_id}"))
        .await;
    let sends = sends["items"].as_array().unwrap().clone();
    assert_eq!(sends.len(), 3, "{sends:?}");
    let adas = sends
        .iter()
        .find(|s| s["lead"]["email"] == "ada@rcpt.example")
        .unwrap();
    assert_eq!(adas["state"], "sent", "{adas}");
    assert_eq!(adas["message"]["subject"], preview["subject"], "{adas}");
    assert_eq!(adas["message"]["body_text"], preview["body"], "{adas}");
    let (status, events) = owner
        .get(&format!("/api/v1/events?campaign_id={campaign_id}"))
        .await;
    assert_eq!(status, StatusCode::OK, "{events}");
    let (status, stats) = owner.get(&format!("{campaign_path}/stats")).await;
    assert_eq!(status, StatusCode::OK, "{stats}");
    assert_eq!(stats["steps"][0]["sent"], 3, "{stats}");
    let (status, summary) = owner.get("/api/v1/stats").await;
    assert_eq!(status, StatusCode::OK, "{summary}");
}
