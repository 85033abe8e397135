//! `/members`: who belongs to the workspace, with which role (admin). Only an owner grants,
//! changes or removes the owner role, and the last owner stays.

use crate::api::v1::body::Body;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};
use utoipa::{OpenApi, ToSchema};

use super::caller::Caller;
use super::page::{Page, PageQuery};
use super::problem::{ApiError, Problem};
use crate::api::ApiState;
use crate::domain::{EmailAddress, Member, Role, UserId};
use crate::service::access;

#[derive(Serialize, ToSchema)]
pub struct MemberView {
    pub user_id: UserId,
    pub email: String,
    pub role: Role,
    /// When they joined the workspace.
    pub created_at: DateTime<Utc>,
}

impl From<Member> for MemberView {
    fn from(m: Member) -> Self {
        Self {
            user_id: m.user_id,
            email: m.email.to_string(),
            role: m.role,
            created_at: m.created_at,
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMember {
    #[schema(format = "email", min_length = 3, max_length = 254)]
    pub email: String,
    pub role: Role,
    /// For a user without an account yet: their first password (at least 8 characters).
    #[schema(min_length = 8)]
    pub password: Option<String>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeRole {
    pub role: Role,
}

/// The workspace's members, by user id (admin).
#[utoipa::path(get, path = "/api/v1/members", tag = "members", params(PageQuery),
    responses((status = 200, description = "A page of members", body = Page<MemberView>)))]
pub async fn list(
    state: web::Data<ApiState>,
    caller: Caller,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<MemberView>>, ApiError> {
    caller.require(Role::Admin)?;
    let members = state.store.list_members(caller.workspace()).await?;
    let page = query.paginate(members, |m| m.user_id.0)?;
    Ok(web::Json(page.map(MemberView::from)))
}

/// Adds a user to the workspace (admin): an existing user by email, or a new one with a
/// password.
#[utoipa::path(post, path = "/api/v1/members", tag = "members", request_body = AddMember,
    responses(
        (status = 201, description = "Added", body = MemberView),
        (status = 404, description = "No user with that email, and no password to create one", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already a member", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn add(
    state: web::Data<ApiState>,
    caller: Caller,
    body: Body<AddMember>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    let body = body.into_inner();
    let email =
        EmailAddress::parse(&body.email).map_err(|e| ApiError::invalid("email", e.to_string()))?;
    let member = access::add_member(
        state.store.as_ref(),
        &caller.0,
        &email,
        body.role,
        body.password.map(SecretString::from),
    )
    .await?;
    Ok(HttpResponse::Created().json(MemberView::from(member)))
}

/// Changes a member's role (admin); their sessions in this workspace end.
#[utoipa::path(patch, path = "/api/v1/members/{user_id}", tag = "members",
    params(("user_id" = UserId, Path, description = "The member")),
    request_body = ChangeRole,
    responses(
        (status = 200, description = "The member with the new role", body = MemberView),
        (status = 409, description = "That would leave no owner", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn change(
    state: web::Data<ApiState>,
    caller: Caller,
    user: web::Path<UserId>,
    body: Body<ChangeRole>,
) -> Result<web::Json<MemberView>, ApiError> {
    caller.require(Role::Admin)?;
    let member = access::change_role(
        state.store.as_ref(),
        &caller.0,
        user.into_inner(),
        body.role,
    )
    .await?;
    Ok(web::Json(member.into()))
}

/// Removes a member from the workspace (admin); their sessions here end.
#[utoipa::path(delete, path = "/api/v1/members/{user_id}", tag = "members",
    params(("user_id" = UserId, Path, description = "The member")),
    responses(
        (status = 204, description = "Removed"),
        (status = 409, description = "That would leave no owner", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn remove(
    state: web::Data<ApiState>,
    caller: Caller,
    user: web::Path<UserId>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Admin)?;
    access::remove_member(state.store.as_ref(), &caller.0, user.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(OpenApi)]
#[openapi(paths(list, add, change, remove))]
pub struct Doc;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/members", web::get().to(list))
        .route("/members", web::post().to(add))
        .route("/members/{user_id}", web::patch().to(change))
        .route("/members/{user_id}", web::delete().to(remove));
}
