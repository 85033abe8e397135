//! `POST /auth/login`, `POST /auth/logout`, `GET /auth/me`.

use crate::api::v1::body::Body;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::caller::Caller;
use super::problem::{ApiError, Problem};
use crate::api::ApiState;
use crate::domain::{Role, TokenId, TokenKind, UserId, WorkspaceId};
use crate::service::access;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// The workspace to sign in to; needed when the user belongs to several.
    pub workspace: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct Session {
    /// The bearer token for `Authorization: Bearer …`. Shown once.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub workspace_id: WorkspaceId,
    pub workspace: String,
    pub role: Role,
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub workspace_id: WorkspaceId,
    pub role: Role,
    pub token_id: TokenId,
    pub token_kind: TokenKind,
    pub user_id: Option<UserId>,
}

/// Signs in with an email and a password and returns a session token.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", request_body = LoginRequest,
    security(()),
    responses(
        (status = 200, description = "Signed in", body = Session),
        (status = 401, description = "Wrong email or password", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Several workspaces and none named", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn login(
    state: web::Data<ApiState>,
    body: Body<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let (issued, membership) = access::login(
        state.store.as_ref(),
        &body.email,
        SecretString::from(body.password),
        body.workspace.as_deref(),
        state.api.session_ttl,
    )
    .await?;
    let expires_at = issued
        .info
        .expires_at
        .ok_or_else(|| ApiError::Internal("a session without an expiry".into()))?;
    Ok(HttpResponse::Ok().json(Session {
        token: issued.secret.expose_secret().to_owned(),
        expires_at,
        workspace_id: membership.workspace_id,
        workspace: membership.workspace,
        role: membership.role,
    }))
}

/// Ends the session (or revokes the API token) the request is made with.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth",
    responses(
        (status = 204, description = "Signed out"),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn logout(state: web::Data<ApiState>, caller: Caller) -> Result<HttpResponse, ApiError> {
    access::logout(state.store.as_ref(), &caller.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Who the token stands for.
#[utoipa::path(get, path = "/api/v1/auth/me", tag = "auth",
    responses(
        (status = 200, description = "The caller", body = Me),
        (status = 401, description = "No valid token", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn me(caller: Caller) -> web::Json<Me> {
    let p = caller.0;
    web::Json(Me {
        workspace_id: p.workspace,
        role: p.role,
        token_id: p.token,
        token_kind: p.kind,
        user_id: p.user,
    })
}

#[derive(OpenApi)]
#[openapi(paths(login, logout, me))]
pub struct Doc;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/login", web::post().to(login))
        .route("/auth/logout", web::post().to(logout))
        .route("/auth/me", web::get().to(me));
}
