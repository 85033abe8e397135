//! `/api/v1`: the JSON API. Every route but login takes a [`caller::Caller`], which
//! authenticates the bearer token and scopes the request to the token's workspace; an id from
//! another workspace answers 404 exactly as an id that does not exist. Handlers translate HTTP
//! to calls on `service` and the store's role traits; they hold no business rule.
//!
//! The OpenAPI 3.1 document is generated from the handlers' annotations ([`ApiDoc`]) and served
//! at `/api/v1/openapi.json`.

pub mod auth;
pub mod body;
pub mod caller;
pub mod campaigns;
mod conventions;
pub mod events;
pub mod explain;
pub mod idempotency;
pub mod imports;
pub mod insights;
pub mod leads;
pub mod mailboxes;
pub mod members;
pub mod page;
pub mod personas;
pub mod privacy;
pub mod problem;
pub mod products;
pub mod replies;
pub mod reviews;
pub mod sends;
pub mod stats;
pub mod suppressions;
pub mod tokens;

use actix_web::{HttpResponse, web};
use utoipa::{Modify, OpenApi};

/// Largest JSON body accepted (413 beyond).
pub const JSON_LIMIT: usize = 1024 * 1024;

/// The document's frame: info, error schemas and the bearer scheme. Each area of the API adds
/// its own paths from its module's `Doc` (see [`openapi`]).
#[derive(OpenApi)]
#[openapi(
    info(title = "outreachd API", description = "Workspaces, mailboxes, leads and campaigns of an outreachd daemon."),
    components(schemas(problem::Problem, problem::FieldError)),
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
        members::Doc::openapi(),
        campaigns::Doc::openapi(),
        leads::Doc::openapi(),
        personas::Doc::openapi(),
        imports::Doc::openapi(),
        insights::Doc::openapi(),
        products::Doc::openapi(),
        sends::Doc::openapi(),
        events::Doc::openapi(),
        stats::Doc::openapi(),
        suppressions::Doc::openapi(),
        reviews::Doc::openapi(),
        replies::Doc::openapi(),
        explain::Doc::openapi(),
        privacy::Doc::openapi(),
    ] {
        doc.merge(area);
    }
    // After the merge, so that every area's operations get them.
    conventions::Conventions.modify(&mut doc);
    doc
}

/// The methods of every route, by path template, read from the OpenAPI document once.
static ROUTES: std::sync::LazyLock<Vec<(Vec<String>, Vec<&'static str>)>> =
    std::sync::LazyLock::new(|| {
        let doc = openapi();
        doc.paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path.split('/').map(str::to_owned).collect();
                let mut methods = Vec::new();
                for (method, op) in [
                    ("GET", &item.get),
                    ("POST", &item.post),
                    ("PUT", &item.put),
                    ("PATCH", &item.patch),
                    ("DELETE", &item.delete),
                ] {
                    if op.is_some() {
                        methods.push(method);
                    }
                }
                (segments, methods)
            })
            .collect()
    });

/// A request no route took: 405 with `Allow` when the path exists with other methods (the
/// OpenAPI document is the list of routes), else 404.
async fn unrouted(req: actix_web::HttpRequest) -> Result<HttpResponse, problem::ApiError> {
    let segments: Vec<&str> = req.path().split('/').collect();
    let allowed = ROUTES.iter().find(|(template, _)| {
        template.len() == segments.len()
            && template
                .iter()
                .zip(&segments)
                .all(|(t, s)| t == s || (t.starts_with('{') && !s.is_empty()))
    });
    match allowed {
        // The path has the shape of a route of this method, but a segment did not fit (an id
        // that is not a UUID): nothing of that name exists.
        Some((_, methods)) if methods.contains(&req.method().as_str()) => {
            Err(problem::ApiError::NotFound("no such resource".into()))
        }
        Some((_, methods)) => {
            let error = problem::ApiError::MethodNotAllowed(methods.join(", "));
            Ok(actix_web::ResponseError::error_response(&error))
        }
        None => Err(problem::ApiError::NotFound("no such route".into())),
    }
}

async fn serve_openapi() -> HttpResponse {
    HttpResponse::Ok().json(openapi())
}

/// Registers the `/api/v1` routes and their extractor settings.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/api/v1")
            .wrap(actix_web::middleware::from_fn(idempotency::idempotent))
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
            .configure(members::routes)
            .configure(campaigns::routes)
            .configure(leads::routes)
            .configure(personas::routes)
            .configure(imports::routes)
            .configure(insights::routes)
            .configure(products::routes)
            .configure(sends::routes)
            .configure(events::routes)
            .configure(stats::routes)
            .configure(suppressions::routes)
            .configure(reviews::routes)
            .configure(replies::routes)
            .configure(explain::routes)
            .configure(privacy::routes)
            .default_service(web::to(unrouted)),
    );
}
