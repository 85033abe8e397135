//! The OpenAPI document is generated from the code and served: every route the API answers is
//! in it, with the bearer scheme.

use reqwest::StatusCode;

use crate::helpers::spawn_app;
use crate::support::TestBackend;

crate::on_both_backends!(
    the_openapi_document_is_served_and_lists_the_routes,
    a_known_route_with_another_method_answers_405_with_allow,
);

async fn the_openapi_document_is_served_and_lists_the_routes(backend: TestBackend) {
    let app = spawn_app(backend).await;

    let response = app.get("/api/v1/openapi.json").await;

    assert_eq!(response.status(), StatusCode::OK);
    let doc: serde_json::Value = response.json().await.unwrap();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    for path in [
        "/api/v1/auth/login",
        "/api/v1/tokens/{id}",
        "/api/v1/mailboxes/{id}/pause",
        "/api/v1/mailboxes/{id}/test",
        "/api/v1/products",
        "/api/v1/products/{id}/file",
        "/api/v1/sends",
        "/api/v1/events",
        "/api/v1/campaigns/{id}/stats",
        "/api/v1/stats",
        "/api/v1/stats/mailboxes",
        "/api/v1/suppressions",
        "/api/v1/suppressions/bulk",
        "/api/v1/suppressions/{id}",
        "/api/v1/reviews",
        "/api/v1/reviews/{id}",
        "/api/v1/reviews/{id}/resolve",
        "/api/v1/campaigns/{id}/leads/{lead_id}/explain",
        "/api/v1/mailboxes/{id}/explain",
        "/api/v1/privacy/export",
        "/api/v1/privacy/erase",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} missing");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let mut refs = Vec::new();
    collect_refs(&doc, &mut refs);
    for reference in refs {
        let name = reference.trim_start_matches("#/components/schemas/");
        assert!(
            doc["components"]["schemas"].get(name).is_some(),
            "{reference} is used but not defined"
        );
    }
}

/// Every `$ref` in the document.
fn collect_refs(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v.as_str()) {
                    ("$ref", Some(r)) => out.push(r.to_owned()),
                    _ => collect_refs(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_refs(v, out)),
        _ => {}
    }
}

async fn a_known_route_with_another_method_answers_405_with_allow(backend: TestBackend) {
    let app = spawn_app(backend).await;

    let response = app
        .client
        .put(app.url("/api/v1/tokens"))
        .send()
        .await
        .unwrap();
    let unknown = app.get("/api/v1/no-such-thing").await;

    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "GET, POST");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
}
