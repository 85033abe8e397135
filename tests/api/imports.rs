//! CSV imports as jobs: the upload answers 202 at once, the job runs the CLI's importer in the
//! background and reports its counts and rejected rows by line; a campaign given enrols the
//! file's leads; refusals are named; a job whose daemon died reads as failed.

use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use outreachd::domain::{ImportJobId, ImportStatus, NewImportJob, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::client::{ApiClient, signed_in};
use crate::helpers::{spawn_app, spawn_app_with};
use crate::leads::draft_campaign;
use crate::support::TestBackend;

crate::on_both_backends!(
    an_import_with_good_and_bad_rows_completes_with_counts_and_rejected_lines,
    an_import_into_a_campaign_enrols_the_files_leads,
    a_file_of_many_batches_is_imported_whole,
    imports_are_refused_with_the_reason_named,
    an_upload_over_the_size_limit_is_413,
    a_job_whose_daemon_stopped_reads_as_failed,
    a_shutdown_stops_a_running_import_and_records_it_failed,
);

const BOUNDARY: &str = "outreachd-test-7MA4YWxkTrZu0gW";

/// A part of a multipart/form-data body: its name, file name and content.
pub(crate) type Part<'a> = (&'a str, Option<&'a str>, &'a [u8]);

fn form(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, file_name, content) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let disposition = match file_name {
            Some(file) => format!("form-data; name=\"{name}\"; filename=\"{file}\""),
            None => format!("form-data; name=\"{name}\""),
        };
        body.extend_from_slice(format!("Content-Disposition: {disposition}\r\n").as_bytes());
        if file_name.is_some() {
            body.extend_from_slice(b"Content-Type: text/csv\r\n");
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// Posts `parts` to `/leads/imports`; the status, the `Location` header and the body.
pub(crate) async fn upload(
    client: &ApiClient<'_>,
    parts: &[Part<'_>],
) -> (StatusCode, Option<String>, Value) {
    let response = client
        .app
        .client
        .post(client.app.url("/api/v1/leads/imports"))
        .bearer_auth(&client.token)
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(form(parts))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    let text = response.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, location, body)
}

/// Polls the job until it is completed or failed.
pub(crate) async fn finished(client: &ApiClient<'_>, path: &str) -> Value {
    let start = Instant::now();
    loop {
        let (status, job) = client.get(path).await;
        assert_eq!(status, StatusCode::OK, "{job}");
        if job["status"] == "completed" || job["status"] == "failed" {
            return job;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the job did not finish: {job}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn import(client: &ApiClient<'_>, csv: &str, campaign: Option<String>) -> Value {
    let mut parts: Vec<Part<'_>> = vec![("file", Some("leads.csv"), csv.as_bytes())];
    if let Some(campaign) = &campaign {
        parts.push(("campaign_id", None, campaign.as_bytes()));
    }
    let (status, location, job) = upload(client, &parts).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let location = location.expect("a Location header");
    assert_eq!(
        location,
        format!("/api/v1/imports/{}", job["id"].as_str().unwrap())
    );
    finished(client, &location).await
}

async fn an_import_with_good_and_bad_rows_completes_with_counts_and_rejected_lines(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    let (status, _) = member
        .post("/api/v1/leads", json!({"email": "dora@acme.example"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let csv = "email,first_name,company,timezone,Fleet Size\n\
               ann@acme.example,Ann,Acme,Europe/Paris,12\n\
               not-an-email,Bob,Acme,,\n\
               carl@acme.example,Carl,Acme,Mars/Base,\n\
               ANN@acme.example,Ann again,Acme,,\n\
               ,Nobody,Acme,,\n\
               dora@acme.example,Dora,Beta,,7\n";

    let job = import(&member, csv, None).await;

    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["file_name"], "leads.csv");
    let counts: Vec<&Value> = ["rows_read", "imported", "existing", "rejected", "invalid"]
        .iter()
        .map(|k| &job[*k])
        .collect();
    assert_eq!(
        counts,
        [&json!(6), &json!(1), &json!(1), &json!(4), &json!(3)]
    );
    assert_eq!(job["duplicates_in_file"], 1);
    assert_eq!(job["enrollment"], Value::Null);
    let rejected: Vec<(u64, &str)> = job["rejected_rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["line"].as_u64().unwrap(), r["code"].as_str().unwrap()))
        .collect();
    assert_eq!(
        rejected,
        [
            (3, "invalid_email"),
            (4, "invalid_timezone"),
            (5, "duplicate_in_file"),
            (6, "missing_email"),
        ]
    );
    assert!(
        job["rejected_rows"][2]["reason"]
            .as_str()
            .unwrap()
            .contains("duplicate of line 2"),
        "{job}"
    );

    let (_, page) = member.get("/api/v1/leads?email=ann@acme.example").await;
    let ann = &page["items"][0];
    assert_eq!(ann["timezone"], "Europe/Paris");
    assert_eq!(ann["custom"], json!({"Fleet Size": "12"}));
    let spool = app.dir.path().join("data").join("imports");
    let left: Vec<_> = walk(&spool);
    assert!(left.is_empty(), "the spooled file is removed: {left:?}");
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.path().is_dir() {
            out.extend(walk(&entry.path()));
        } else {
            out.push(entry.path());
        }
    }
    out
}

async fn an_import_into_a_campaign_enrols_the_files_leads(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    let campaign = draft_campaign(&app, "acme", "Q4").await;
    let (status, _) = member
        .post("/api/v1/leads", json!({"email": "old@acme.example"}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let csv = "email\nann@acme.example\nbob@acme.example\nold@acme.example\nbroken\n";

    let job = import(&member, csv, Some(campaign.to_string())).await;

    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["campaign_id"], campaign.to_string());
    assert_eq!(
        (job["imported"].as_u64(), job["existing"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(
        job["enrollment"],
        json!({"enrolled": 3, "already_enrolled": 0, "suppressed": 0})
    );
    let (_, page) = member
        .get(&format!(
            "/api/v1/leads?campaign_id={campaign}&status=active"
        ))
        .await;
    let mut enrolled: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["email"].as_str().unwrap())
        .collect();
    enrolled.sort();
    assert_eq!(
        enrolled,
        ["ann@acme.example", "bob@acme.example", "old@acme.example"]
    );
}

async fn a_file_of_many_batches_is_imported_whole(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    let mut csv = String::from("email,company\n");
    for i in 0..4_500 {
        csv.push_str(&format!("lead{i}@bulk.example,Bulk {}\n", i % 10));
    }
    csv.push_str("lead7@bulk.example,Repeat\n");

    let job = import(&member, &csv, None).await;

    assert_eq!(job["status"], "completed", "{job}");
    assert_eq!(job["rows_read"], 4_501);
    assert_eq!(job["imported"], 4_500);
    assert_eq!(job["rejected"], 1);
    assert_eq!(job["rejected_rows"][0]["line"], 4_502);
    let (_, page) = member.get("/api/v1/leads?company=bulk%203&limit=500").await;
    assert_eq!(page["items"].as_array().unwrap().len(), 450);
}

async fn imports_are_refused_with_the_reason_named(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    let viewer = signed_in(&app, "acme", Role::Viewer).await;
    signed_in(&app, "other", Role::Owner).await;
    let theirs = draft_campaign(&app, "other", "Theirs").await;
    let csv: &[u8] = b"email\nann@acme.example\n";
    let file: Part<'_> = ("file", Some("leads.csv"), csv);

    let (status, _, problem) = upload(&viewer, &[file]).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{problem}");

    let (status, _, problem) = upload(&member, &[]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "file");

    let their_id = theirs.to_string();
    let (status, _, problem) =
        upload(&member, &[file, ("campaign_id", None, their_id.as_bytes())]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    assert!(!problem.to_string().contains("Theirs"), "{problem}");

    let (status, _, problem) = upload(&member, &[file, ("campaign_id", None, b"not-a-uuid")]).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "campaign_id");

    let response = app
        .client
        .post(app.url("/api/v1/leads/imports"))
        .bearer_auth(&member.token)
        .json(&json!({"file": "email\n"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );

    // Nothing was imported by any of these.
    let (_, page) = member.get("/api/v1/leads").await;
    assert_eq!(page["items"], json!([]));
}

async fn an_upload_over_the_size_limit_is_413(backend: TestBackend) {
    let app = spawn_app_with(backend, &[("OUTREACHD__API__IMPORT_MAX_MEGABYTES", "1")]).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    let mut csv = String::from("email\n");
    while csv.len() < 1_200_000 {
        csv.push_str(&format!("someone{}@big.example\n", csv.len()));
    }

    let (status, _, problem) = upload(&member, &[("file", Some("big.csv"), csv.as_bytes())]).await;

    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{problem}");
    assert_eq!(problem["code"], "payload_too_large");

    // Without a Content-Length (chunked), the limit stops the upload as it streams.
    let status_line = chunked_upload(
        &app,
        &member.token,
        &form(&[("file", Some("big.csv"), csv.as_bytes())]),
    )
    .await;
    assert!(status_line.contains(" 413 "), "{status_line}");

    let (_, page) = member.get("/api/v1/leads?limit=1").await;
    assert_eq!(page["items"], json!([]));
    let left = walk(&app.dir.path().join("data").join("imports"));
    assert!(left.is_empty(), "the refused upload is removed: {left:?}");
}

/// Posts `body` with `Transfer-Encoding: chunked` over a raw connection (the HTTP client always
/// declares a length) and returns the answer's status line.
async fn chunked_upload(app: &crate::helpers::TestApp, token: &str, body: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .unwrap();
    let head = format!(
        "POST /api/v1/leads/imports HTTP/1.1\r\nHost: 127.0.0.1\r\n\
         Authorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    conn.write_all(head.as_bytes()).await.unwrap();
    for chunk in body.chunks(64 * 1024) {
        let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
        framed.extend_from_slice(chunk);
        framed.extend_from_slice(b"\r\n");
        // The server may answer and close before the end: that is the point.
        if conn.write_all(&framed).await.is_err() {
            break;
        }
    }
    let _ = conn.write_all(b"0\r\n\r\n").await;
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), conn.read_to_end(&mut answer)).await;
    String::from_utf8_lossy(&answer)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn a_job_whose_daemon_stopped_reads_as_failed(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    let ws = app
        .store
        .workspace_by_name("acme")
        .await
        .unwrap()
        .unwrap()
        .id;
    let id = ImportJobId::new();
    let long_ago = Utc::now() - TimeDelta::minutes(5);
    app.store
        .create_import_job(&NewImportJob {
            id,
            workspace_id: ws,
            campaign_id: None,
            file_name: Some("lost.csv".into()),
            size_bytes: 10,
            created_at: long_ago,
        })
        .await
        .unwrap();
    app.store.start_import_job(ws, id, long_ago).await.unwrap();

    let (status, job) = member.get(&format!("/api/v1/imports/{id}")).await;

    assert_eq!(status, StatusCode::OK, "{job}");
    assert_eq!(job["status"], "failed", "{job}");
    assert!(
        job["error"]
            .as_str()
            .unwrap()
            .contains("stopped before it finished"),
        "{job}"
    );
    let stored = app.store.import_job(ws, id).await.unwrap().unwrap();
    assert_eq!(stored.status, ImportStatus::Failed);
}

async fn a_shutdown_stops_a_running_import_and_records_it_failed(backend: TestBackend) {
    let mut app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    let ws = app
        .store
        .workspace_by_name("acme")
        .await
        .unwrap()
        .unwrap()
        .id;
    let mut csv = String::from("email\n");
    for i in 0..60_000 {
        csv.push_str(&format!("lead{i}@stop.example\n"));
    }
    let (status, _, job) = upload(&member, &[("file", Some("big.csv"), csv.as_bytes())]).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    let id: ImportJobId = serde_json::from_value(job["id"].clone()).unwrap();

    app.stop().await.unwrap();

    let job = app.store.import_job(ws, id).await.unwrap().unwrap();
    assert_eq!(job.status, ImportStatus::Failed, "{job:?}");
    assert!(
        job.error
            .as_deref()
            .unwrap_or_default()
            .contains("shutting down"),
        "{job:?}"
    );
    assert!(job.counts.imported < 60_000, "{job:?}");
    let left = walk(&app.dir.path().join("data").join("imports"));
    assert!(left.is_empty(), "the spooled file is removed: {left:?}");
}

/// A restart on the same database: the new daemon fails the old one's job as it starts. On
/// PostgreSQL only, where a second daemon can open the database while the first one's store is
/// still held (the SQLite file stays locked by it); both backends start through the same code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_daemon_start_fails_the_jobs_a_stopped_daemon_left_running() {
    let mut first = spawn_app(TestBackend::Postgres).await;
    let ws = first.store.upsert_workspace("acme").await.unwrap().value.id;
    let id = ImportJobId::new();
    let long_ago = Utc::now() - TimeDelta::minutes(5);
    first
        .store
        .create_import_job(&NewImportJob {
            id,
            workspace_id: ws,
            campaign_id: None,
            file_name: None,
            size_bytes: 10,
            created_at: long_ago,
        })
        .await
        .unwrap();
    first
        .store
        .start_import_job(ws, id, long_ago)
        .await
        .unwrap();
    first.stop().await.unwrap();

    let second = spawn_app_with(
        TestBackend::Postgres,
        &[("OUTREACHD__DATABASE__URL", first.database_url.as_str())],
    )
    .await;

    let job = second.store.import_job(ws, id).await.unwrap().unwrap();
    assert_eq!(job.status, ImportStatus::Failed);
    assert!(job.error.unwrap().contains("stopped before it finished"));
}
