//! `/healthz` (the process answers), `/readyz` (it can do its job) and `/metrics`.

use actix_web::{HttpResponse, web};
use serde_json::json;

use super::ApiState;

pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

/// 200 only when the store is reachable, every migration is applied and the supervisor is
/// running; otherwise 503 with the failing checks, so a load balancer drains this daemon.
pub async fn readyz(state: web::Data<ApiState>) -> HttpResponse {
    let store = state.store.readiness().await;
    let supervisor = state.supervisor.is_healthy();
    let ready = store.reachable && store.migrations_pending == 0 && supervisor;
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "checks": {
            "store_reachable": store.reachable,
            "migrations_pending": store.migrations_pending,
            "supervisor_running": supervisor,
        }
    });
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable().json(body)
    }
}

pub async fn metrics(state: web::Data<ApiState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render())
}
