//! Privacy requests over HTTP: an export holds everything about an address; an erasure leaves
//! no readable trace of it in any table (searched row by row on both backends), keeps it
//! suppressed by a salted hash, and keeps a re-imported copy from ever being mailed.

use chrono::Utc;
use outreachd::domain::{EmailAddress, NewLead, Role};
use reqwest::StatusCode;
use serde_json::json;
use sqlx::Connection;

use crate::campaign_run::ran;
use crate::client::signed_in;
use crate::fixtures::step;
use crate::helpers::{TestApp, spawn_app};
use crate::support::TestBackend;

crate::on_both_backends!(
    an_export_holds_the_lead_its_texts_sends_events_and_inbound_messages,
    an_erasure_leaves_the_address_in_no_table_and_keeps_it_from_being_mailed,
    privacy_requests_need_an_admin_and_a_valid_address,
    an_erasure_scrubs_the_address_from_import_reports,
);

async fn an_erasure_scrubs_the_address_from_import_reports(backend: TestBackend) {
    let app = crate::helpers::spawn_app(backend).await;
    let admin = crate::client::signed_in(&app, "acme", outreachd::domain::Role::Admin).await;
    // The second row repeats the first address: rejected as a duplicate, quoted in the report.
    let csv = "email,first_name\nerin@rcpt.test,Erin\nErin@rcpt.test,Erin again\nx@rcpt.test,X\n";
    let job = crate::walk::import(&admin, csv, None).await;
    assert_eq!(job["rejected_rows"].as_array().unwrap().len(), 1, "{job}");

    let (status, erased) = admin
        .post("/api/v1/privacy/erase", json!({"email": "erin@rcpt.test"}))
        .await;

    assert_eq!(status, StatusCode::OK, "{erased}");
    assert_eq!(erased["removed"]["import_rows"], 1, "{erased}");
    let (_, job) = admin
        .get(&format!("/api/v1/imports/{}", job["id"].as_str().unwrap()))
        .await;
    assert!(!job.to_string().to_lowercase().contains("erin@"), "{job}");
}

const ZELDA: &str = "Zelda.Quintrell@rcpt.test";

/// Lead 0 is Zelda Quintrell, who works at Quintrell Rope; the others are lead<i>@rcpt.test.
fn zelda(i: usize, lead: NewLead) -> NewLead {
    if i > 0 {
        return lead;
    }
    NewLead {
        email: Some(EmailAddress::parse(ZELDA).unwrap()),
        first_name: Some("Zelda".into()),
        last_name: Some("Quintrell".into()),
        company: Some("Quintrell Rope".into()),
        phone: Some("+44 20 7946 0321".into()),
        ..lead
    }
}

async fn an_export_holds_the_lead_its_texts_sends_events_and_inbound_messages(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    let admin = signed_in(&app, "acme", Role::Admin).await;
    let steps = vec![step(
        "0s",
        Some("Hi {{ first_name }}"),
        "Hello {{ first_name }}.",
    )];
    let run = ran(&app, 2, steps, zelda).await;
    run.reply(&app, ZELDA, "<zq-reply@rcpt.test>").await;

    let (status, export) = admin
        .get("/api/v1/privacy/export?email=ZELDA.QUINTRELL@RCPT.TEST")
        .await;

    assert_eq!(status, StatusCode::OK, "{export}");
    assert_eq!(export["email"], "zelda.quintrell@rcpt.test");
    assert_eq!(export["erased"], false);
    assert_eq!(export["lead"]["email"], ZELDA);
    assert_eq!(export["lead"]["phone"], "+44 20 7946 0321");
    assert_eq!(export["enrolments"][0]["campaign"], "Q4");
    assert_eq!(export["enrolments"][0]["status"], "completed");
    assert_eq!(export["messages"][0]["subject"], "Hi Zelda");
    assert_eq!(export["sends"][0]["state"], "sent");
    assert_eq!(export["sends"][0]["message"]["body_text"], "Hello Zelda.");
    assert_eq!(export["events"][0]["type"], "reply");
    assert_eq!(
        export["inbound_messages"][0]["message_id"],
        "<zq-reply@rcpt.test>"
    );
    assert_eq!(export["inbound_messages"][0]["classification"], "reply");
    assert_eq!(export["suppressions"], json!([]));

    let (_, nobody) = admin
        .get("/api/v1/privacy/export?email=nobody@rcpt.test")
        .await;
    assert_eq!(nobody["lead"], serde_json::Value::Null, "{nobody}");
    assert_eq!(nobody["sends"], json!([]));
}

async fn an_erasure_leaves_the_address_in_no_table_and_keeps_it_from_being_mailed(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    let admin = signed_in(&app, "acme", Role::Admin).await;
    let run = ran(
        &app,
        2,
        vec![step("0s", Some("Hi"), "Hello {{ first_name }}.")],
        zelda,
    )
    .await;
    run.reply(&app, ZELDA, "<zq-reply@rcpt.test>").await;
    run.hard_bounce(&app, ZELDA, "<zq-dsn@mx.rcpt.test>").await;
    let ws = run.seeded.workspace;
    for needle in ["zelda.quintrell", "Quintrell Rope", "zq-reply"] {
        assert!(
            !tables_containing(&app, needle).await.is_empty(),
            "the setup holds {needle:?}"
        );
    }

    let (status, erased) = admin
        .post(
            "/api/v1/privacy/erase",
            json!({"email": "zelda.QUINTRELL@rcpt.test"}),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{erased}");
    assert_eq!(erased["removed"]["leads"], 1, "{erased}");
    assert_eq!(erased["removed"]["sends"], 1, "{erased}");
    assert_eq!(erased["removed"]["events"], 2, "{erased}");
    assert_eq!(erased["removed"]["inbound_messages"], 2, "{erased}");
    assert_eq!(
        erased["removed"]["suppressions"], 1,
        "the bounce's entry: {erased}"
    );
    for needle in [
        "zelda.quintrell",
        "Zelda",
        "Quintrell",
        "+44 20 7946",
        "zq-reply",
        "zq-dsn",
    ] {
        assert_eq!(
            tables_containing(&app, needle).await,
            Vec::<String>::new(),
            "{needle:?} is still stored"
        );
    }
    let (_, other) = admin
        .get("/api/v1/privacy/export?email=lead1@rcpt.test")
        .await;
    assert_eq!(other["sends"][0]["state"], "sent", "others keep their data");

    // The address stays suppressed, by its hash alone.
    let address = EmailAddress::parse(ZELDA).unwrap();
    assert!(app.store.is_suppressed(ws, &address).await.unwrap());
    let (_, list) = admin.get("/api/v1/suppressions").await;
    let entry = &list["items"][0];
    assert_eq!(entry["erased"], true, "{list}");
    assert_eq!(entry["value"], erased["suppressed_as"]);
    let (removed, problem) = admin
        .delete(&format!(
            "/api/v1/suppressions/{}",
            entry["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(removed, StatusCode::CONFLICT, "{problem}");
    let (_, export) = admin
        .get(&format!("/api/v1/privacy/export?email={ZELDA}"))
        .await;
    assert_eq!(export["erased"], true, "{export}");
    assert_eq!(export["lead"], serde_json::Value::Null);

    // Imported again, the address comes back unsubscribed and is never enrolled.
    let again = NewLead {
        email: Some(EmailAddress::parse("ZELDA.quintrell@rcpt.test").unwrap()),
        ..NewLead::default()
    };
    let id = app.store.insert_leads(ws, &[again]).await.unwrap()[0].id();
    let lead = app
        .store
        .lead_by_email(ws, &address)
        .await
        .unwrap()
        .unwrap();
    assert!(lead.unsubscribed_at.is_some(), "{lead:?}");
    let outcome = app
        .store
        .enroll_leads(ws, run.seeded.campaign, &[id], Utc::now())
        .await
        .unwrap();
    assert_eq!(outcome.suppressed, 1, "{outcome:?}");
    assert_eq!(outcome.enrolled, 0, "{outcome:?}");

    let (twice, again) = admin
        .post("/api/v1/privacy/erase", json!({"email": ZELDA}))
        .await;
    assert_eq!(twice, StatusCode::OK, "{again}");
    assert_eq!(again["suppressed_as"], erased["suppressed_as"]);
}

async fn privacy_requests_need_an_admin_and_a_valid_address(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    let admin = signed_in(&app, "acme", Role::Admin).await;

    let (export, _) = member.get("/api/v1/privacy/export?email=a@rcpt.test").await;
    let (erase, _) = member
        .post("/api/v1/privacy/erase", json!({"email": "a@rcpt.test"}))
        .await;
    let (bad, problem) = admin
        .post("/api/v1/privacy/erase", json!({"email": "not an address"}))
        .await;
    let (missing, _) = admin.get("/api/v1/privacy/export").await;

    assert_eq!(export, StatusCode::FORBIDDEN);
    assert_eq!(erase, StatusCode::FORBIDDEN);
    assert_eq!(bad, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "email");
    assert_eq!(missing, StatusCode::BAD_REQUEST);
}

/// The tables with a row whose text contains `needle` (case-insensitively), searching every
/// column of every table of the app's database.
async fn tables_containing(app: &TestApp, needle: &str) -> Vec<String> {
    let pattern = format!("%{}%", needle.to_lowercase());
    let mut found = Vec::new();
    if app.database_url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(&app.database_url)
            .await
            .unwrap();
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables \
             WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
        )
        .fetch_all(&mut conn)
        .await
        .unwrap();
        for table in tables {
            // A row cast to text holds every column; bytea columns as hex digits, which no
            // needle here is made of.
            let sql = format!("SELECT count(*) FROM \"{table}\" t WHERE lower(t::text) LIKE $1");
            let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(&pattern)
                .fetch_one(&mut conn)
                .await
                .unwrap();
            if n > 0 {
                found.push(table);
            }
        }
    } else {
        let mut conn = sqlx::SqliteConnection::connect(&app.database_url)
            .await
            .unwrap();
        let tables: Vec<String> =
            sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
                .fetch_all(&mut conn)
                .await
                .unwrap();
        for table in tables {
            let columns: Vec<String> = sqlx::query_scalar("SELECT name FROM pragma_table_info(?1)")
                .bind(&table)
                .fetch_all(&mut conn)
                .await
                .unwrap();
            let any = columns
                .iter()
                .map(|c| format!("lower(CAST(\"{c}\" AS TEXT)) LIKE ?1"))
                .collect::<Vec<_>>()
                .join(" OR ");
            let sql = format!("SELECT count(*) FROM \"{table}\" WHERE {any}");
            let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(&pattern)
                .fetch_one(&mut conn)
                .await
                .unwrap();
            if n > 0 {
                found.push(table);
            }
        }
    }
    found
}
