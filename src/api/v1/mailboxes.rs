//! `/mailboxes`: sending identities. Credentials are write-only: no answer carries a password,
//! its length or its ciphertext; a request body holds it as a `SecretString` (which prints as
//! `[REDACTED]`) and is never logged.
//!
//! Reads and pause/resume are here; create, replace and delete in `writes`, their body in
//! `body`, the login test in `check`.

mod body;
mod check;
mod writes;

use actix_web::web;
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::caller::Caller;
use super::page::{Page, PageQuery};
use super::problem::{ApiError, Problem};
use crate::api::ApiState;
use crate::config::MailboxDefaults;
use crate::domain::{Mailbox, MailboxId, MailboxStatus, Role, ServerInfo, SmtpSecurity};
use crate::service::mailbox_check::ServerAccess;
use crate::service::mailboxes as service;

/// What mailbox writes and checks need from the daemon's settings: the defaults a mailbox's
/// left-out limits take (`[mailbox_defaults]`, as the daemon started with them) and how to
/// reach mail servers.
pub struct MailboxSettings {
    pub defaults: MailboxDefaults,
    pub servers: ServerAccess,
}

/// A mailbox's inbound options.
#[derive(Serialize, ToSchema)]
pub struct InboundView {
    /// The provider files every SMTP-sent message in Sent.
    pub sent_folder_is_authoritative: bool,
    /// Our copy of each send is appended to Sent.
    pub append_sent: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ServerView {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: String,
}

impl From<ServerInfo> for ServerView {
    fn from(s: ServerInfo) -> Self {
        Self {
            host: s.host,
            port: s.port,
            security: s.security,
            username: s.username,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct MailboxView {
    pub id: MailboxId,
    pub address: String,
    pub from_name: String,
    pub signature: String,
    pub smtp: ServerView,
    pub imap: Option<ServerView>,
    pub daily_cap: u32,
    pub hourly_cap: Option<u32>,
    /// Milliseconds.
    pub min_gap_ms: u64,
    /// Milliseconds.
    pub max_gap_ms: u64,
    pub warmup_start_per_day: Option<u32>,
    pub warmup_increment_per_day: Option<u32>,
    pub warmup_started_on: NaiveDate,
    pub timezone: String,
    pub inbound: InboundView,
    pub status: MailboxStatus,
    pub status_reason: Option<String>,
    pub cooling_until: Option<DateTime<Utc>>,
    /// Sends counted today (the mailbox's local date).
    pub sent_today: u32,
    /// Today's daily cap, lowered by warm-up while it ramps.
    pub daily_cap_today: u32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl MailboxView {
    async fn of(state: &ApiState, m: Mailbox) -> Result<Self, ApiError> {
        let now = Utc::now();
        let today = service::state_of(state.store.as_ref(), m.clone(), now).await?;
        let inbound = state
            .store
            .inbound_options(m.workspace_id, m.id)
            .await?
            .unwrap_or_default();
        Ok(Self {
            id: m.id,
            address: m.address,
            from_name: m.from_name,
            signature: m.signature,
            smtp: m.smtp.into(),
            imap: m.imap.map(ServerView::from),
            daily_cap: m.daily_cap,
            hourly_cap: m.hourly_cap,
            min_gap_ms: m.min_gap.as_duration().as_millis() as u64,
            max_gap_ms: m.max_gap.as_duration().as_millis() as u64,
            warmup_start_per_day: m.warmup.as_ref().map(|w| w.start_per_day),
            warmup_increment_per_day: m.warmup.as_ref().map(|w| w.increment_per_day),
            warmup_started_on: m.warmup_started_on,
            timezone: m.timezone,
            inbound: InboundView {
                sent_folder_is_authoritative: inbound.sent_folder_is_authoritative,
                append_sent: inbound.append_sent,
            },
            status: m.status,
            status_reason: m.status_reason,
            cooling_until: today.cooling_until,
            sent_today: today.sent_today,
            daily_cap_today: today.daily_cap_today,
            created_at: m.created_at,
            updated_at: m.updated_at,
        })
    }
}

async fn find(state: &ApiState, caller: &Caller, id: MailboxId) -> Result<Mailbox, ApiError> {
    state
        .store
        .mailbox_by_id(caller.workspace(), id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("mailbox {id}")))
}

/// The workspace's mailboxes by address, each with today's count against its cap.
#[utoipa::path(get, path = "/api/v1/mailboxes", tag = "mailboxes", params(PageQuery),
    responses((status = 200, description = "A page of mailboxes", body = Page<MailboxView>)))]
pub async fn list(
    state: web::Data<ApiState>,
    caller: Caller,
    query: web::Query<PageQuery>,
) -> Result<web::Json<Page<MailboxView>>, ApiError> {
    let all = state.store.list_mailboxes(caller.workspace()).await?;
    let page = query.paginate(all, |m| m.id.0)?;
    let mut items = Vec::with_capacity(page.items.len());
    for m in page.items {
        items.push(MailboxView::of(&state, m).await?);
    }
    Ok(web::Json(Page {
        items,
        next_cursor: page.next_cursor,
    }))
}

/// One mailbox.
#[utoipa::path(get, path = "/api/v1/mailboxes/{id}", tag = "mailboxes",
    params(("id" = MailboxId, Path, description = "The mailbox")),
    responses(
        (status = 200, description = "The mailbox", body = MailboxView),
        (status = 404, description = "No such mailbox in this workspace", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<MailboxId>,
) -> Result<web::Json<MailboxView>, ApiError> {
    let m = find(&state, &caller, id.into_inner()).await?;
    Ok(web::Json(MailboxView::of(&state, m).await?))
}

/// Pauses a mailbox (admin): its actor stops at the daemon's next reconcile pass.
#[utoipa::path(post, path = "/api/v1/mailboxes/{id}/pause", tag = "mailboxes",
    params(("id" = MailboxId, Path, description = "The mailbox")),
    responses(
        (status = 200, description = "Paused (or already paused)", body = MailboxView),
        (status = 404, description = "No such mailbox in this workspace", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn pause(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<MailboxId>,
) -> Result<web::Json<MailboxView>, ApiError> {
    caller.require(Role::Admin)?;
    let m = find(&state, &caller, id.into_inner()).await?;
    service::pause_found(state.store.as_ref(), &m, None, Utc::now()).await?;
    let m = find(&state, &caller, m.id).await?;
    Ok(web::Json(MailboxView::of(&state, m).await?))
}

/// Resumes a mailbox (admin): clears a pause or a cooldown; sending restarts at the next pass.
#[utoipa::path(post, path = "/api/v1/mailboxes/{id}/resume", tag = "mailboxes",
    params(("id" = MailboxId, Path, description = "The mailbox")),
    responses(
        (status = 200, description = "Active", body = MailboxView),
        (status = 404, description = "No such mailbox in this workspace", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn resume(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<MailboxId>,
) -> Result<web::Json<MailboxView>, ApiError> {
    caller.require(Role::Admin)?;
    let m = find(&state, &caller, id.into_inner()).await?;
    service::resume_found(state.store.as_ref(), &m, Utc::now()).await?;
    let m = find(&state, &caller, m.id).await?;
    Ok(web::Json(MailboxView::of(&state, m).await?))
}

#[derive(OpenApi)]
#[openapi(paths(
    list,
    get,
    pause,
    resume,
    writes::create,
    writes::replace,
    writes::delete,
    check::test
))]
pub struct Doc;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/mailboxes", web::get().to(list))
        .route("/mailboxes", web::post().to(writes::create))
        .route("/mailboxes/{id}", web::get().to(get))
        .route("/mailboxes/{id}", web::put().to(writes::replace))
        .route("/mailboxes/{id}", web::delete().to(writes::delete))
        .route("/mailboxes/{id}/pause", web::post().to(pause))
        .route("/mailboxes/{id}/resume", web::post().to(resume))
        .route("/mailboxes/{id}/test", web::post().to(check::test));
}
