//! The suppression list over HTTP: adding an address or a domain stops the enrolments it
//! matches; lists search by value; bulk adds report each bad value by index; removing an entry
//! resumes nothing; viewers read only.

use outreachd::domain::Role;
use reqwest::StatusCode;
use serde_json::json;

use crate::campaign_run::waiting;
use crate::client::signed_in;
use crate::helpers::spawn_app;
use crate::support::TestBackend;

crate::on_both_backends!(
    an_address_is_added_once_found_by_search_and_removed,
    suppressing_an_address_or_a_domain_stops_its_waiting_enrolments_for_good,
    a_bulk_add_reports_bad_values_by_index_and_adds_the_rest,
    a_viewer_reads_the_list_but_cannot_change_it,
);

async fn an_address_is_added_once_found_by_search_and_removed(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;

    let (created, entry) = member
        .post(
            "/api/v1/suppressions",
            json!({"value": " Ann@Example.COM ", "reason": "asked to stop"}),
        )
        .await;
    let (again, same) = member
        .post("/api/v1/suppressions", json!({"value": "ann@example.com"}))
        .await;
    member
        .post("/api/v1/suppressions", json!({"value": "Competitor.io"}))
        .await;

    assert_eq!(created, StatusCode::CREATED, "{entry}");
    assert_eq!(entry["value"], "ann@example.com");
    assert_eq!(entry["kind"], "email");
    assert_eq!(entry["reason"], "asked to stop");
    assert_eq!(entry["erased"], false);
    assert_eq!(again, StatusCode::OK, "{same}");
    assert_eq!(same["id"], entry["id"], "listed once");
    assert_eq!(same["reason"], "asked to stop", "the first reason stays");

    let (_, found) = member.get("/api/v1/suppressions?q=EXAMPLE").await;
    assert_eq!(found["items"].as_array().unwrap().len(), 1, "{found}");
    let (_, all) = member.get("/api/v1/suppressions").await;
    assert_eq!(all["items"][1]["kind"], "domain", "{all}");
    let (_, none) = member.get("/api/v1/suppressions?q=100%25").await;
    assert_eq!(
        none["items"],
        json!([]),
        "a % is a character, not a wildcard"
    );

    let id = entry["id"].as_str().unwrap();
    let (removed, _) = member.delete(&format!("/api/v1/suppressions/{id}")).await;
    let (gone, _) = member.get(&format!("/api/v1/suppressions/{id}")).await;
    let (twice, _) = member.delete(&format!("/api/v1/suppressions/{id}")).await;

    assert_eq!(removed, StatusCode::NO_CONTENT);
    assert_eq!(gone, StatusCode::NOT_FOUND);
    assert_eq!(twice, StatusCode::NOT_FOUND);

    let (status, problem) = member
        .post("/api/v1/suppressions", json!({"value": "not a domain"}))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "value");
}

async fn suppressing_an_address_or_a_domain_stops_its_waiting_enrolments_for_good(
    backend: TestBackend,
) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    let admin = signed_in(&app, "acme", Role::Admin).await;
    waiting(&app, 3).await;
    // Each lead's enrolment status, as a privacy export shows it.
    let statuses = || async {
        let mut out = Vec::new();
        for i in 0..3 {
            let path = format!("/api/v1/privacy/export?email=lead{i}@rcpt.test");
            let (_, export) = admin.get(&path).await;
            out.push(
                export["enrolments"][0]["status"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            );
        }
        out
    };

    let (status, entry) = member
        .post("/api/v1/suppressions", json!({"value": "LEAD0@rcpt.test"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{entry}");
    assert_eq!(statuses().await, ["unsubscribed", "active", "active"]);

    member
        .post("/api/v1/suppressions", json!({"value": "rcpt.test"}))
        .await;
    assert_eq!(statuses().await, ["unsubscribed"; 3]);

    // Removing the entries resumes nobody.
    let (_, list) = member.get("/api/v1/suppressions").await;
    for e in list["items"].as_array().unwrap() {
        let (s, _) = member
            .delete(&format!(
                "/api/v1/suppressions/{}",
                e["id"].as_str().unwrap()
            ))
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
    }
    assert_eq!(statuses().await, ["unsubscribed"; 3]);
}

async fn a_bulk_add_reports_bad_values_by_index_and_adds_the_rest(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    member
        .post("/api/v1/suppressions", json!({"value": "old@x.example"}))
        .await;

    let (status, outcome) = member
        .post(
            "/api/v1/suppressions/bulk",
            json!({
                "values": ["a@x.example", "not valid", "y.example", "A@X.example", "old@x.example", "b@"],
                "reason": "imported list",
            }),
        )
        .await;

    assert_eq!(status, StatusCode::OK, "{outcome}");
    assert_eq!(outcome["added"], 2, "{outcome}");
    assert_eq!(
        outcome["existing"], 2,
        "a repeat and an old entry: {outcome}"
    );
    let rejected = outcome["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 2, "{outcome}");
    assert_eq!(rejected[0]["index"], 1);
    assert_eq!(rejected[0]["value"], "not valid");
    assert_eq!(rejected[1]["index"], 5);
    let (_, all) = member.get("/api/v1/suppressions").await;
    assert_eq!(all["items"].as_array().unwrap().len(), 3, "{all}");
    assert_eq!(all["items"][1]["reason"], "imported list");

    let too_many: Vec<String> = (0..10_001).map(|i| format!("u{i}@x.example")).collect();
    let (status, problem) = member
        .post("/api/v1/suppressions/bulk", json!({ "values": too_many }))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "values");
}

async fn a_viewer_reads_the_list_but_cannot_change_it(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let member = signed_in(&app, "acme", Role::Member).await;
    let viewer = signed_in(&app, "acme", Role::Viewer).await;
    let (_, entry) = member
        .post("/api/v1/suppressions", json!({"value": "ann@example.com"}))
        .await;
    let id = entry["id"].as_str().unwrap();

    let (read, list) = viewer.get("/api/v1/suppressions").await;
    let (add, _) = viewer
        .post("/api/v1/suppressions", json!({"value": "bob@example.com"}))
        .await;
    let (bulk, _) = viewer
        .post(
            "/api/v1/suppressions/bulk",
            json!({"values": ["bob@example.com"]}),
        )
        .await;
    let (remove, _) = viewer.delete(&format!("/api/v1/suppressions/{id}")).await;

    assert_eq!(read, StatusCode::OK, "{list}");
    assert_eq!(add, StatusCode::FORBIDDEN);
    assert_eq!(bulk, StatusCode::FORBIDDEN);
    assert_eq!(remove, StatusCode::FORBIDDEN);
    let (_, after) = viewer.get("/api/v1/suppressions").await;
    assert_eq!(after["items"].as_array().unwrap().len(), 1, "{after}");
}
