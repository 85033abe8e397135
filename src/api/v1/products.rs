//! `/products`: what campaigns sell, described for the content generator. Members write them;
//! viewers read. A deleted product is soft-deleted: absent from lists and lookups, kept for the
//! completed campaigns that used it, and brought back by creating a product of its name.

mod upload;

use crate::api::v1::body::Body;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::caller::Caller;
use super::page::{Page, PageQuery};
use super::problem::{ApiError, Problem};
use crate::api::ApiState;
use crate::domain::{Product, ProductId, Role};
use crate::service::products::{self as service, ProductPatch};

#[derive(Serialize, ToSchema)]
pub struct ProductView {
    pub id: ProductId,
    pub name: String,
    /// What the content generator is told about the product.
    pub description: String,
    /// The uploaded file the description was read from; absent when written by hand.
    pub source_file_name: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl From<Product> for ProductView {
    fn from(p: Product) -> Self {
        Self {
            id: p.id,
            name: p.name,
            description: p.description,
            source_file_name: p.source_file_name,
            created_at: p.created_at,
        }
    }
}

/// A product's fields as `POST` and `PUT` give them.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductBody {
    /// Unique in the workspace; one line.
    pub name: String,
    /// At most 100,000 characters. Default: empty (upload a file to fill it).
    #[serde(default)]
    pub description: String,
}

/// `PATCH`: the fields to change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProductPatchBody {
    pub name: Option<String>,
    pub description: Option<String>,
}

/// The workspace's products, oldest first.
#[utoipa::path(get, path = "/api/v1/products", tag = "products", params(PageQuery),
    responses(
        (status = 200, description = "A page of products", body = Page<ProductView>),
        (status = 422, description = "Invalid limit or cursor", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    state: web::Data<ApiState>,
    caller: Caller,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<ProductView>>, ApiError> {
    let limit = query.limit()?;
    let after = query.after()?.map(ProductId);
    let rows = state
        .store
        .list_products(caller.workspace(), after, limit + 1)
        .await?;
    let page = query.page_of(rows, |p| p.id.0)?;
    Ok(web::Json(page.map(ProductView::from)))
}

/// One product.
#[utoipa::path(get, path = "/api/v1/products/{id}", tag = "products",
    params(("id" = ProductId, Path, description = "The product")),
    responses(
        (status = 200, description = "The product", body = ProductView),
        (status = 404, description = "No such product in this workspace (or deleted)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<ProductId>,
) -> Result<web::Json<ProductView>, ApiError> {
    let product = service::get(state.store.as_ref(), caller.workspace(), id.into_inner()).await?;
    Ok(web::Json(product.into()))
}

/// Creates a product (member). A deleted product of that name comes back, with its id.
#[utoipa::path(post, path = "/api/v1/products", tag = "products", request_body = ProductBody,
    responses(
        (status = 201, description = "Created", body = ProductView,
            headers(("Location" = String, description = "The product's URL"))),
        (status = 403, description = "Needs member", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A product of this name exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    state: web::Data<ApiState>,
    caller: Caller,
    body: Body<ProductBody>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Member)?;
    let ProductBody { name, description } = body.into_inner();
    let created =
        service::create(state.store.as_ref(), caller.workspace(), name, description).await?;
    Ok(HttpResponse::Created()
        .insert_header((header::LOCATION, format!("/api/v1/products/{}", created.id)))
        .json(ProductView::from(created)))
}

async fn update(
    state: &ApiState,
    caller: &Caller,
    id: ProductId,
    patch: ProductPatch,
) -> Result<web::Json<ProductView>, ApiError> {
    caller.require(Role::Member)?;
    let ws = caller.workspace();
    let product = service::update(state.store.as_ref(), ws, id, patch).await?;
    Ok(web::Json(product.into()))
}

/// Replaces a product's name and description (member). A new description clears the source
/// file name.
#[utoipa::path(put, path = "/api/v1/products/{id}", tag = "products", request_body = ProductBody,
    params(("id" = ProductId, Path, description = "The product")),
    responses(
        (status = 200, description = "Replaced", body = ProductView),
        (status = 403, description = "Needs member", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another product has this name", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn replace(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<ProductId>,
    body: Body<ProductBody>,
) -> Result<web::Json<ProductView>, ApiError> {
    let ProductBody { name, description } = body.into_inner();
    let patch = ProductPatch {
        name: Some(name),
        description: Some(description),
    };
    update(&state, &caller, id.into_inner(), patch).await
}

/// Changes some of a product's fields (member).
#[utoipa::path(patch, path = "/api/v1/products/{id}", tag = "products", request_body = ProductPatchBody,
    params(("id" = ProductId, Path, description = "The product")),
    responses(
        (status = 200, description = "Changed", body = ProductView),
        (status = 403, description = "Needs member", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another product has this name", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn patch(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<ProductId>,
    body: Body<ProductPatchBody>,
) -> Result<web::Json<ProductView>, ApiError> {
    let ProductPatchBody { name, description } = body.into_inner();
    let patch = ProductPatch { name, description };
    update(&state, &caller, id.into_inner(), patch).await
}

/// Deletes a product (member): it leaves lists and lookups. Refused with 409, naming them,
/// while campaigns that are not completed use it; completed ones keep their reference.
#[utoipa::path(delete, path = "/api/v1/products/{id}", tag = "products",
    params(("id" = ProductId, Path, description = "The product")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Needs member", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such product in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Campaigns still use it (named)", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<ProductId>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Member)?;
    service::delete(state.store.as_ref(), caller.workspace(), id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(OpenApi)]
#[openapi(paths(list, get, create, replace, patch, delete, upload::upload))]
pub struct Doc;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/products", web::get().to(list))
        .route("/products", web::post().to(create))
        .route("/products/{id}", web::get().to(get))
        .route("/products/{id}", web::put().to(replace))
        .route("/products/{id}", web::patch().to(patch))
        .route("/products/{id}", web::delete().to(delete))
        .route("/products/{id}/file", web::post().to(upload::upload));
}
