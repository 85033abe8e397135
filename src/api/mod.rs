//! The HTTP surface (actix-web): the JSON API under `/api/v1`, health and readiness probes,
//! the Prometheus endpoint, and the RFC 8058 unsubscribe endpoint.
//!
//! Handlers translate HTTP to calls on the store and actors; business rules live elsewhere.

mod health;
mod unsubscribe;
pub mod v1;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};

use crate::actors::SupervisorHandle;
use crate::store::Store;
use crate::telemetry::Metrics;

/// Shared state every handler can reach.
#[derive(Clone)]
pub struct ApiState {
    pub store: Arc<dyn Store>,
    pub metrics: Metrics,
    pub supervisor: SupervisorHandle,
    /// Verifies unsubscribe tokens (the same key the mailbox actors sign with).
    pub signer: Arc<crate::smtp::UnsubscribeSigner>,
    /// Session lifetime and the per-token rate limiter of `/api/v1`.
    pub api: Arc<v1::caller::ApiConfig>,
    /// The dispatch settings the actors run with (reloads included), for `explain`.
    pub dispatch: crate::config::Live<crate::config::DispatchSettings>,
    /// Campaign stats recently counted, shared by the workers.
    pub stats: Arc<crate::service::stats::StatsCache>,
}

/// Builds the server on an already-bound listener (port 0 works in tests).
pub fn serve(listener: TcpListener, state: ApiState) -> std::io::Result<Server> {
    let data = web::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .configure(v1::configure)
            .route("/healthz", web::get().to(health::healthz))
            .route("/readyz", web::get().to(health::readyz))
            .route("/metrics", web::get().to(health::metrics))
            .route(
                "/unsubscribe/{send}/{token}",
                web::get().to(unsubscribe::confirm_page),
            )
            .route(
                "/unsubscribe/{send}/{token}",
                web::post().to(unsubscribe::unsubscribe),
            )
    })
    .workers(2)
    .disable_signals()
    .listen(listener)?
    .run();
    Ok(server)
}
