//! `/leads`: the people a workspace may contact. Lists are keyset pages read from the store
//! with their filters applied there; writes go through `service::leads`, which holds a lead
//! made here to the rules of a lead imported from a file.

use crate::api::v1::body::Body;
use std::collections::BTreeMap;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};

use super::caller::Caller;
use super::page::{Page, PageQuery};
use super::problem::{ApiError, FieldError, Problem};
use crate::api::ApiState;
use crate::domain::{CampaignId, CampaignLeadStatus, LeadFilter, LeadId, LeadRecord, Role};
use crate::service::leads::{self as service, LeadError, LeadInput, LeadPatch};

/// Longest `q` accepted, in characters.
const MAX_SEARCH_CHARS: usize = 200;

#[derive(Serialize, ToSchema)]
pub struct LeadView {
    pub id: LeadId,
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
    pub company: Option<String>,
    pub website: Option<String>,
    pub linkedin: Option<String>,
    pub phone: Option<String>,
    /// IANA time zone.
    pub timezone: Option<String>,
    /// Columns of the import (or fields given here) that are not standard fields.
    pub custom: BTreeMap<String, String>,
    /// What the content generator made of the lead, once it has.
    #[schema(value_type = Option<Object>)]
    pub persona: Option<serde_json::Value>,
    pub persona_generated_at: Option<DateTime<Utc>>,
    /// When the lead used an unsubscribe link; it is never mailed again.
    pub unsubscribed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<LeadRecord> for LeadView {
    fn from(r: LeadRecord) -> Self {
        let l = r.lead;
        Self {
            id: l.id,
            email: l.email,
            first_name: l.first_name,
            last_name: l.last_name,
            title: l.title,
            company: l.company,
            website: l.website,
            linkedin: l.linkedin,
            phone: l.phone,
            timezone: l.timezone,
            custom: l.custom,
            persona: l.persona,
            persona_generated_at: r.persona_generated_at,
            unsubscribed_at: l.unsubscribed_at,
            created_at: l.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// Filters of `GET /leads`; all given must hold. Text matches ignore case.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeadQuery {
    /// This exact email address.
    pub email: Option<String>,
    /// Text found in the email, the name or the company (at most 200 characters).
    pub q: Option<String>,
    /// This exact company.
    pub company: Option<String>,
    /// Leads enrolled in this campaign.
    pub campaign_id: Option<CampaignId>,
    /// Leads with an enrolment in this state (in `campaign_id` when given): `active`,
    /// `paused`, `completed`, `replied`, `bounced`, `unsubscribed` or `failed`.
    pub status: Option<String>,
}

/// A filter value: trimmed, and absent when empty.
pub(crate) fn given(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// The search text of a lead filter, named `field` in a problem when it is too long.
pub(crate) fn search_text(field: &str, q: &Option<String>) -> Result<Option<String>, FieldError> {
    let text = given(q);
    match text.as_ref() {
        Some(q) if q.chars().count() > MAX_SEARCH_CHARS => Err(FieldError::new(
            field,
            format!("longer than {MAX_SEARCH_CHARS} characters"),
        )),
        _ => Ok(text),
    }
}

impl LeadQuery {
    fn filter(&self) -> Result<LeadFilter, ApiError> {
        let mut errors = Vec::new();
        let text = search_text("q", &self.q).unwrap_or_else(|e| {
            errors.push(e);
            None
        });
        let status = match given(&self.status) {
            None => None,
            Some(s) => match s.parse::<CampaignLeadStatus>() {
                Ok(status) => Some(status),
                Err(e) => {
                    errors.push(FieldError::new("status", e.to_string()));
                    None
                }
            },
        };
        if !errors.is_empty() {
            return Err(ApiError::Invalid(errors));
        }
        Ok(LeadFilter {
            email: given(&self.email),
            text,
            company: given(&self.company),
            campaign: self.campaign_id,
            status,
        })
    }
}

/// A new lead. Values are cleaned as an import cleans them (control characters and repeated
/// spaces removed, trimmed); an empty value is no value.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateLead {
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
    pub company: Option<String>,
    pub website: Option<String>,
    pub linkedin: Option<String>,
    pub phone: Option<String>,
    /// IANA time zone, such as `Europe/Paris`.
    pub timezone: Option<String>,
    /// Up to 100 fields of your own, name to text.
    #[serde(default)]
    pub custom: BTreeMap<String, String>,
}

/// `Some(value)` for a field that is present, even as `null`: a patch tells "clear it" from
/// "leave it".
fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A partial edit: a field left out stays as it is, `null` clears it. In `custom`, a name with a
/// text sets that field, a name with `null` removes it, and fields not named are kept.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchLead {
    /// Cannot be cleared.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub first_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub last_name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub title: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub company: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub website: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub linkedin: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub phone: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub timezone: Option<Option<String>>,
    #[serde(default)]
    #[schema(value_type = Option<BTreeMap<String, Option<String>>>)]
    pub custom: Option<BTreeMap<String, Option<String>>>,
}

impl PatchLead {
    fn into_patch(self) -> Result<LeadPatch, ApiError> {
        let email = match self.email {
            None => None,
            Some(Some(email)) => Some(email),
            Some(None) => {
                return Err(ApiError::invalid(
                    "email",
                    "a lead always has an email address",
                ));
            }
        };
        Ok(LeadPatch {
            email,
            first_name: self.first_name,
            last_name: self.last_name,
            title: self.title,
            company: self.company,
            website: self.website,
            linkedin: self.linkedin,
            phone: self.phone,
            timezone: self.timezone,
            custom: self.custom.unwrap_or_default(),
        })
    }
}

impl From<LeadError> for ApiError {
    fn from(e: LeadError) -> Self {
        match e {
            LeadError::Invalid(fields) => Self::Invalid(
                fields
                    .into_iter()
                    .map(|f| FieldError::new(f.field, f.message))
                    .collect(),
            ),
            LeadError::NotFound(id) => Self::NotFound(format!("lead {id}")),
            LeadError::Exists { .. }
            | LeadError::HasSends { .. }
            | LeadError::Busy(_)
            | LeadError::InFlight(_) => Self::Conflict(e.to_string()),
            LeadError::Store(e) => e.into(),
        }
    }
}

/// The workspace's leads by id (oldest first), filtered.
#[utoipa::path(get, path = "/api/v1/leads", tag = "leads", params(PageQuery, LeadQuery),
    responses(
        (status = 200, description = "A page of leads", body = Page<LeadView>),
        (status = 404, description = "`campaign_id` names no campaign of this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad filter, limit or cursor", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list(
    state: web::Data<ApiState>,
    caller: Caller,
    page: web::Query<PageQuery>,
    query: web::Query<LeadQuery>,
) -> Result<web::Json<Page<LeadView>>, ApiError> {
    let filter = query.filter()?;
    let limit = page.limit()?;
    let after = page.after()?.map(LeadId);
    if let Some(campaign) = filter.campaign {
        state
            .store
            .campaign_by_id(caller.workspace(), campaign)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("campaign {campaign}")))?;
    }
    let rows = state
        .store
        .list_leads(caller.workspace(), &filter, after, limit + 1)
        .await?;
    let page = page.page_of(rows, |r| r.lead.id.0)?;
    Ok(web::Json(page.map(LeadView::from)))
}

/// One lead.
#[utoipa::path(get, path = "/api/v1/leads/{id}", tag = "leads",
    params(("id" = LeadId, Path, description = "The lead")),
    responses(
        (status = 200, description = "The lead", body = LeadView),
        (status = 404, description = "No such lead in this workspace", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<LeadId>,
) -> Result<web::Json<LeadView>, ApiError> {
    let id = id.into_inner();
    let record = state
        .store
        .lead_by_id(caller.workspace(), id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("lead {id}")))?;
    Ok(web::Json(record.into()))
}

/// Adds a lead (member).
#[utoipa::path(post, path = "/api/v1/leads", tag = "leads", request_body = CreateLead,
    responses(
        (status = 201, description = "Created; `Location` is its URL", body = LeadView),
        (status = 403, description = "Needs the member role", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A lead with this email exists in the workspace", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    state: web::Data<ApiState>,
    caller: Caller,
    body: Body<CreateLead>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Member)?;
    let body = body.into_inner();
    let input = LeadInput {
        email: body.email,
        first_name: body.first_name,
        last_name: body.last_name,
        title: body.title,
        company: body.company,
        website: body.website,
        linkedin: body.linkedin,
        phone: body.phone,
        timezone: body.timezone,
        custom: body.custom,
    };
    let record = service::create(state.store.as_ref(), caller.workspace(), &input).await?;
    if let Some(queue) = &state.persona_queue {
        queue.enqueue(caller.workspace(), record.lead.id);
    }
    Ok(HttpResponse::Created()
        .insert_header((
            header::LOCATION,
            format!("/api/v1/leads/{}", record.lead.id),
        ))
        .json(LeadView::from(record)))
}

/// Edits a lead (member): only the fields given change.
#[utoipa::path(patch, path = "/api/v1/leads/{id}", tag = "leads", request_body = PatchLead,
    params(("id" = LeadId, Path, description = "The lead")),
    responses(
        (status = 200, description = "The lead as it is now", body = LeadView),
        (status = 403, description = "Needs the member role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such lead in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Another lead has the new email", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid fields, each named", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn update(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<LeadId>,
    body: Body<PatchLead>,
) -> Result<web::Json<LeadView>, ApiError> {
    caller.require(Role::Member)?;
    let patch = body.into_inner().into_patch()?;
    let record = service::update(
        state.store.as_ref(),
        caller.workspace(),
        id.into_inner(),
        &patch,
    )
    .await?;
    Ok(web::Json(record.into()))
}

/// Deletes a lead that was never sent to, with its enrolments (member). A lead with sends is
/// kept (409): its sends are the email log. To remove a person's data, use a privacy erase.
#[utoipa::path(delete, path = "/api/v1/leads/{id}", tag = "leads",
    params(("id" = LeadId, Path, description = "The lead")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 403, description = "Needs the member role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such lead in this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The lead has sends in the email log, or is being sent to right now", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn delete(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<LeadId>,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Member)?;
    service::delete(state.store.as_ref(), caller.workspace(), id.into_inner()).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(OpenApi)]
#[openapi(paths(list, get, create, update, delete))]
pub struct Doc;

/// Only something shaped like a UUID is a lead id, so `/leads/imports` (another module's
/// route) is never taken for one, whatever the order routes are registered in.
const LEAD_PATH: &str = "/leads/{id:[0-9a-fA-F-]{32,36}}";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/leads", web::get().to(list))
        .route("/leads", web::post().to(create))
        .route(LEAD_PATH, web::get().to(get))
        .route(LEAD_PATH, web::patch().to(update))
        .route(LEAD_PATH, web::delete().to(delete));
}
