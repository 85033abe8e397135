//! `/api/v1`: the JSON API. Every route but login takes a [`caller::Caller`], which
//! authenticates the bearer token and scopes the request to the token's workspace; an id from
//! another workspace answers 404 exactly as an id that does not exist. Handlers translate HTTP
//! to calls on `service` and the store's role traits; they hold no business rule.
//!
//! The OpenAPI 3.1 document is generated from the handlers' annotations ([`ApiDoc`]) and served
//! at `/api/v1/openapi.json`.

pub mod auth;
pub mod caller;
pub mod events;
pub mod explain;
pub mod mailboxes;
pub mod page;
pub mod privacy;
pub mod problem;
pub mod sends;
pub mod stats;
pub mod suppressions;
pub mod tokens;

use actix_web::{HttpResponse, web};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// Largest JSON body accepted (413 beyond).
pub const JSON_LIMIT: usize = 1024 * 1024;

/// The document's frame: info, error schemas and the bearer scheme. Each area of the API adds
/// its own paths from its module's `Doc` (see [`openapi`]).
#[derive(OpenApi)]
#[openapi(
    info(title = "outreachd API", description = "Workspaces, mailboxes, leads and campaigns of an outreachd daemon."),
    components(schemas(problem::Problem, problem::FieldError)),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

/// The whole OpenAPI document: the frame and every area's paths.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for area in [
        auth::Doc::openapi(),
        tokens::Doc::openapi(),
        mailboxes::Doc::openapi(),
        sends::Doc::openapi(),
        events::Doc::openapi(),
        stats::Doc::openapi(),
        suppressions::Doc::openapi(),
        explain::Doc::openapi(),
        privacy::Doc::openapi(),
    ] {
        doc.merge(area);
    }
    doc
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

async fn serve_openapi() -> HttpResponse {
    HttpResponse::Ok().json(openapi())
}

/// Registers the `/api/v1` routes and their extractor settings.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .app_data(
                web::JsonConfig::default()
                    .limit(JSON_LIMIT)
                    .error_handler(|e, _| problem::json_error(e).into()),
            )
            .app_data(
                web::QueryConfig::default().error_handler(|e, _| problem::query_error(e).into()),
            )
            .app_data(
                web::PathConfig::default().error_handler(|e, _| problem::path_error(e).into()),
            )
            .route("/openapi.json", web::get().to(serve_openapi))
            .configure(auth::routes)
            .configure(tokens::routes)
            .configure(mailboxes::routes)
            .configure(sends::routes)
            .configure(events::routes)
            .configure(stats::routes)
            .configure(suppressions::routes)
            .configure(explain::routes)
            .configure(privacy::routes)
            .default_service(web::to(|| async {
                Err::<HttpResponse, _>(problem::ApiError::NotFound("no such route".into()))
            })),
    );
}
