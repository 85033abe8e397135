//! The HTTP surface (actix-web): the JSON API under `/api/v1`, health and readiness probes,
//! the Prometheus endpoint, and the RFC 8058 unsubscribe endpoint.
//!
//! Two listeners when `server.admin_port` is set: the main one serves what may face the
//! internet (the API, unsubscribe links), the admin one the probes and metrics. Otherwise one
//! listener serves everything. Handlers translate HTTP to calls on the service layer, the store
//! and the actors; business rules live elsewhere.

mod health;
mod unsubscribe;
pub mod v1;

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::{Next, from_fn};
use actix_web::{App, HttpServer, web};

use crate::actors::SupervisorHandle;
use crate::store::Store;
use crate::telemetry::{HttpMetrics, Metrics};

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
    /// The configured content provider (the campaign actors' own), for previews.
    pub content: Arc<dyn crate::content::ContentProvider>,
    /// Budgets and `api_usage` rows for previews (the campaign actors' own recorder).
    pub usage: Arc<crate::service::usage::UsageRecorder>,
    /// Company insights: previews use them, `/insights` shows and refreshes them.
    pub insights: Arc<crate::service::insights::Insights>,
    /// The language-model registry (the one the content provider was built from).
    pub models: Arc<crate::ai::Models>,
    /// Runs the lead import jobs of `POST /api/v1/leads/imports`.
    pub imports: crate::service::imports::ImportRunner,
    /// Mailbox defaults and mail server access, for mailbox writes and login tests.
    pub mailboxes: Arc<v1::mailboxes::MailboxSettings>,
    /// The dispatch settings the actors run with (reloads included), for `explain`.
    pub dispatch: crate::config::Live<crate::config::DispatchSettings>,
    /// Campaign stats recently counted, shared by the workers.
    pub stats: Arc<crate::service::stats::StatsCache>,
    /// Soft bounces that stop a campaign lead (`imap.soft_bounce_limit`), for resolving a
    /// review as a soft bounce as the poller would count it.
    pub soft_bounce_limit: u32,
    /// The persona generator, or why none is usable (the provider's key or settings).
    pub personas: Result<crate::service::personas::PersonaGenerator, String>,
    /// The background persona queue, with `[personas] enabled`.
    pub persona_queue: Option<crate::actors::PersonaQueue>,
}

/// The listeners the daemon serves on: the main one, and the admin one when configured.
pub struct Listeners {
    pub main: TcpListener,
    pub admin: Option<TcpListener>,
    /// `api.cors_origins`, checked when the settings were loaded.
    pub cors_origins: Vec<String>,
}

/// Records every answered request by route template and status.
async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let start = Instant::now();
    let method = req.method().clone();
    let response = next.call(req).await?;
    let route = response.request().match_pattern();
    HttpMetrics::record(
        method.as_str(),
        route.as_deref(),
        response.status().as_u16(),
        start.elapsed(),
    );
    Ok(response)
}

fn cors(origins: &[String]) -> Cors {
    origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin))
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([header::RETRY_AFTER])
        .max_age(3600)
}

fn probes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(health::healthz))
        .route("/readyz", web::get().to(health::readyz))
        .route("/metrics", web::get().to(health::metrics));
}

/// Builds the servers on already-bound listeners (port 0 works in tests).
pub fn serve(listeners: Listeners, state: ApiState) -> std::io::Result<Vec<Server>> {
    let data = web::Data::new(state);
    let with_probes = listeners.admin.is_none();
    let origins = listeners.cors_origins;
    let main_data = data.clone();
    let main = HttpServer::new(move || {
        let app = App::new()
            .app_data(main_data.clone())
            .wrap(from_fn(record))
            .wrap(actix_web::middleware::Condition::new(
                !origins.is_empty(),
                cors(&origins),
            ))
            .configure(v1::configure)
            .route(
                "/unsubscribe/{send}/{token}",
                web::get().to(unsubscribe::confirm_page),
            )
            .route(
                "/unsubscribe/{send}/{token}",
                web::post().to(unsubscribe::unsubscribe),
            );
        if with_probes {
            app.configure(probes)
        } else {
            app
        }
    })
    .workers(2)
    .disable_signals()
    .listen(listeners.main)?
    .run();
    let mut servers = vec![main];
    if let Some(admin) = listeners.admin {
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .wrap(from_fn(record))
                .configure(probes)
        })
        .workers(1)
        .disable_signals()
        .listen(admin)?
        .run();
        servers.push(server);
    }
    Ok(servers)
}
