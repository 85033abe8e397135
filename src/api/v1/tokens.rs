//! `/tokens`: API tokens for machines. Admins make and revoke them; a secret is shown once.

use crate::api::v1::body::Body;
use actix_web::{HttpResponse, web};
use chrono::Utc as Clock;
use chrono::{DateTime, Utc};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::caller::Caller;
use super::page::{Page, PageQuery};
use super::problem::{ApiError, Problem};
use crate::api::ApiState;
use crate::domain::{Role, TokenId, TokenInfo};
use crate::service::access;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateToken {
    /// What the token is for (1 to 100 characters, not only spaces).
    #[schema(min_length = 1, max_length = 100, pattern = "\\S")]
    pub name: String,
    /// At most the caller's own role.
    pub role: Role,
}

#[derive(Serialize, ToSchema)]
pub struct TokenView {
    pub id: TokenId,
    pub name: String,
    pub role: Role,
    /// The token's first characters, to tell tokens apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<TokenInfo> for TokenView {
    fn from(t: TokenInfo) -> Self {
        Self {
            id: t.id,
            name: t.name,
            role: t.role,
            prefix: t.prefix,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CreatedToken {
    /// The secret, shown this once: store it now.
    pub token: String,
    #[serde(flatten)]
    pub info: TokenView,
}

/// Makes an API token (admin).
#[utoipa::path(post, path = "/api/v1/tokens", tag = "tokens", request_body = CreateToken,
    responses(
        (status = 201, description = "Created; the secret is in `token`", body = CreatedToken),
        (status = 403, description = "Needs admin, or a role above the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid name", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    state: web::Data<ApiState>,
    caller: Caller,
    body: Body<CreateToken>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    caller.require(body.role)?;
    let issued = access::create_token(
        state.store.as_ref(),
        caller.workspace(),
        &body.name,
        body.role,
    )
    .await?;
    Ok(HttpResponse::Created().json(CreatedToken {
        token: issued.secret.expose_secret().to_owned(),
        info: issued.info.into(),
    }))
}

/// The workspace's API tokens, oldest first (admin).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "tokens", params(PageQuery),
    responses(
        (status = 200, description = "A page of tokens", body = Page<TokenView>),
        (status = 403, description = "Needs admin", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    state: web::Data<ApiState>,
    caller: Caller,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<TokenView>>, ApiError> {
    caller.require(Role::Admin)?;
    let tokens = state.store.list_tokens(caller.workspace()).await?;
    let page = query.paginate(tokens, |t| t.id.0)?;
    Ok(web::Json(page.map(TokenView::from)))
}

/// Revokes an API token (admin). Requests with it fail from now on.
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "tokens",
    params(("id" = TokenId, Path, description = "The token")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such token in this workspace", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn revoke(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<TokenId>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let id = id.into_inner();
    if state
        .store
        .revoke_token(caller.workspace(), id, Clock::now())
        .await?
    {
        Ok(HttpResponse::NoContent().finish())
    } else {
        Err(ApiError::NotFound(format!("token {id}")))
    }
}

#[derive(OpenApi)]
#[openapi(paths(create, list, revoke))]
pub struct Doc;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/tokens", web::post().to(create))
        .route("/tokens", web::get().to(list))
        .route("/tokens/{id}", web::delete().to(revoke));
}
