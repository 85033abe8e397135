//! `POST /mailboxes/{id}/test`: logs in to the mailbox's servers with its stored credentials
//! and reports each step. A failed step (a wrong password, a closed port) is part of a 200
//! answer: the check worked, the mailbox does not.

use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use super::find;
use crate::api::ApiState;
use crate::api::v1::caller::Caller;
use crate::api::v1::problem::{ApiError, Problem};
use crate::domain::{CheckStep, MailboxId, Role};
use crate::service::mailbox_check;

#[derive(Serialize, ToSchema)]
pub struct CheckStepView {
    /// `smtp_connect`, `smtp_tls`, `smtp_greeting`, `smtp_ehlo`, `smtp_starttls`, `smtp_auth`,
    /// `imap_connect`, `imap_tls`, `imap_greeting`, `imap_starttls`, `imap_login` (or
    /// `smtp_outbox` for a mailbox that writes to the outbox folder).
    pub step: String,
    pub ok: bool,
    /// What the server answered, or why the step failed. Never a credential.
    pub detail: String,
    /// How long the step took, in milliseconds.
    pub ms: u64,
}

impl From<CheckStep> for CheckStepView {
    fn from(s: CheckStep) -> Self {
        Self {
            step: s.step.to_owned(),
            ok: s.ok,
            detail: s.detail,
            ms: u64::try_from(s.elapsed.as_millis()).unwrap_or(u64::MAX),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CheckView {
    /// Every step passed.
    pub ok: bool,
    /// SMTP's steps, then IMAP's (when the mailbox has IMAP); each server's stop at its first
    /// failure.
    pub steps: Vec<CheckStepView>,
}

/// Tests a mailbox's logins (admin): EHLO, STARTTLS when configured and AUTH against its SMTP
/// server, and IMAP LOGIN when it has IMAP, with the stored credentials. Nothing is sent.
#[utoipa::path(post, path = "/api/v1/mailboxes/{id}/test", tag = "mailboxes",
    params(("id" = MailboxId, Path, description = "The mailbox")),
    responses(
        (status = 200, description = "The steps and whether each passed", body = CheckView),
        (status = 403, description = "Needs admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such mailbox in this workspace", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn test(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<MailboxId>,
) -> Result<web::Json<CheckView>, ApiError> {
    caller.require(Role::Admin)?;
    let mailbox = find(&state, &caller, id.into_inner()).await?;
    let access = &state.mailboxes.servers;
    let steps = mailbox_check::check(state.store.as_ref(), access, &mailbox).await?;
    Ok(web::Json(CheckView {
        ok: steps.iter().all(|s| s.ok),
        steps: steps.into_iter().map(CheckStepView::from).collect(),
    }))
}
