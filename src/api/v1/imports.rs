//! `POST /leads/imports` and `GET /imports/{id}`: CSV imports as background jobs.
//!
//! The upload streams from the socket to a spool file (`service::imports::Spool`), part by
//! part, so the daemon's memory stays flat whatever the file's size; a declared or actual size
//! past `api.import_max_megabytes` answers 413. The answer is 202 with the job as soon as the
//! upload is stored; the import runs in the background through the CLI's importer.

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use serde::Serialize;
use utoipa::{OpenApi, ToSchema};

use super::caller::Caller;
use super::problem::{ApiError, Problem};
use crate::api::ApiState;
use crate::domain::{
    CampaignId, ImportJob, ImportJobId, ImportStatus, MappingProposal, RejectedRow, Role,
};
use crate::import::clean_field;
use crate::service::imports::{MAX_REJECTED_LISTED, Spool, StartError};

/// Room for the multipart framing around the file when checking `Content-Length`.
const FRAMING_ALLOWANCE: u64 = 64 * 1024;

/// Longest `campaign_id` part read (a UUID is 36 characters).
const MAX_CAMPAIGN_PART: usize = 128;

#[derive(Serialize, ToSchema)]
pub struct EnrollmentView {
    /// Leads of the file newly enrolled into the campaign.
    pub enrolled: u64,
    pub already_enrolled: u64,
    /// Suppressed or unsubscribed leads, never enrolled.
    pub suppressed: u64,
}

#[derive(Serialize, ToSchema)]
pub struct RejectedRowView {
    /// The line of the file where the row starts (the header is line 1).
    pub line: u64,
    pub email: Option<String>,
    /// `missing_email`, `invalid_email`, `invalid_timezone`, `not_utf8` or `duplicate_in_file`.
    pub code: String,
    pub reason: String,
}

impl From<RejectedRow> for RejectedRowView {
    fn from(r: RejectedRow) -> Self {
        Self {
            line: r.line,
            email: r.email,
            code: r.code,
            reason: r.reason,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ImportJobView {
    pub id: ImportJobId,
    pub status: ImportStatus,
    /// Why a failed job stopped. Leads imported before that stay.
    pub error: Option<String>,
    pub file_name: Option<String>,
    pub size_bytes: u64,
    pub campaign_id: Option<CampaignId>,
    /// Data rows read so far (blank lines aside).
    pub rows_read: u64,
    /// New leads.
    pub imported: u64,
    /// Rows whose email the workspace had already: left as they were.
    pub existing: u64,
    /// Rows not imported: `invalid` plus `duplicates_in_file`.
    pub rejected: u64,
    pub invalid: u64,
    /// Rows repeating an email of an earlier line of the file.
    pub duplicates_in_file: u64,
    /// When a campaign was given: what enrolling the file's leads did.
    pub enrollment: Option<EnrollmentView>,
    /// The first 1,000 rejected rows, by line; `rejected` counts them all.
    pub rejected_rows: Vec<RejectedRowView>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The model's proposal for the columns no header alias placed (`imports.propose_mapping`),
    /// and whether this import used it.
    pub mapping_proposal: Option<MappingProposal>,
}

impl From<ImportJob> for ImportJobView {
    fn from(j: ImportJob) -> Self {
        Self {
            id: j.id,
            status: j.status,
            error: j.error,
            file_name: j.file_name,
            size_bytes: j.size_bytes,
            campaign_id: j.campaign_id,
            rows_read: j.counts.rows_read,
            imported: j.counts.imported,
            existing: j.counts.already_existed,
            rejected: j.counts.rejected(),
            invalid: j.counts.invalid,
            duplicates_in_file: j.counts.duplicates_in_file,
            enrollment: j.enrollment.map(|e| EnrollmentView {
                enrolled: e.enrolled,
                already_enrolled: e.already_enrolled,
                suppressed: e.suppressed,
            }),
            rejected_rows: j
                .rejected
                .into_iter()
                .take(MAX_REJECTED_LISTED)
                .map(RejectedRowView::from)
                .collect(),
            created_at: j.created_at,
            started_at: j.started_at,
            finished_at: j.finished_at,
            mapping_proposal: j.mapping_proposal,
        }
    }
}

/// The form of `POST /leads/imports` (for the OpenAPI document).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImportForm {
    /// The CSV: a header line with an email column, then one lead per line.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    /// Enrol every lead of the file (new or existing) into this campaign.
    pub campaign_id: Option<CampaignId>,
    /// `true`: columns the model maps (see `mapping_proposal`) fill those lead fields instead
    /// of custom fields. Without it a proposal is only reported.
    pub accept_mapping: Option<bool>,
}

impl From<StartError> for ApiError {
    fn from(e: StartError) -> Self {
        match e {
            StartError::NoSuchCampaign(id) => Self::NotFound(format!("campaign {id}")),
            StartError::NotEnrollable(e) => Self::Conflict(e.to_string()),
            StartError::TooLarge(limit) => {
                Self::TooLarge(usize::try_from(limit).unwrap_or(usize::MAX))
            }
            StartError::Spool(e) => Self::Internal(format!("cannot spool an upload: {e}")),
            StartError::Store(e) => e.into(),
        }
    }
}

fn malformed(e: actix_multipart::MultipartError) -> ApiError {
    use actix_multipart::MultipartError as E;
    match e {
        E::ContentTypeMissing | E::ContentTypeParse | E::ContentTypeIncompatible => {
            ApiError::BadRequest(
                "send the CSV as multipart/form-data with a part named file".into(),
            )
        }
        other => ApiError::BadRequest(format!("the multipart body is unreadable: {other}")),
    }
}

fn declared_length(req: &HttpRequest) -> Option<u64> {
    req.headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// The upload, read part by part.
struct Upload {
    spool: Option<Spool>,
    file_name: Option<String>,
    campaign: Option<CampaignId>,
    accept_mapping: bool,
}

async fn read_upload(
    state: &ApiState,
    caller: &Caller,
    mut form: Multipart,
) -> Result<Upload, ApiError> {
    let mut upload = Upload {
        spool: None,
        file_name: None,
        campaign: None,
        accept_mapping: false,
    };
    while let Some(part) = form.next().await {
        let mut part = part.map_err(malformed)?;
        match part.name() {
            Some("file") => {
                if upload.spool.is_some() {
                    return Err(ApiError::invalid("file", "send one file per import"));
                }
                upload.file_name = part
                    .content_disposition()
                    .and_then(|d| d.get_filename())
                    .map(clean_field)
                    .filter(|name| !name.is_empty());
                let mut spool = state.imports.spool(caller.workspace()).await?;
                while let Some(chunk) = part.next().await {
                    spool.write(&chunk.map_err(malformed)?).await?;
                }
                upload.spool = Some(spool);
            }
            Some("campaign_id") => {
                let bytes = part
                    .bytes(MAX_CAMPAIGN_PART)
                    .await
                    .map_err(|_| ApiError::invalid("campaign_id", "not a campaign id"))?
                    .map_err(malformed)?;
                let id = std::str::from_utf8(&bytes)
                    .ok()
                    .and_then(|text| text.trim().parse::<uuid::Uuid>().ok())
                    .ok_or_else(|| ApiError::invalid("campaign_id", "not a campaign id"))?;
                upload.campaign = Some(CampaignId(id));
            }
            Some("accept_mapping") => {
                let bad = || ApiError::invalid("accept_mapping", "true or false");
                let bytes = part
                    .bytes(MAX_CAMPAIGN_PART)
                    .await
                    .map_err(|_| bad())?
                    .map_err(malformed)?;
                upload.accept_mapping = match std::str::from_utf8(&bytes).map(str::trim) {
                    Ok("true") => true,
                    Ok("false") => false,
                    _ => return Err(bad()),
                };
            }
            other => {
                return Err(ApiError::invalid(
                    other.unwrap_or("(unnamed)"),
                    "unknown part; send file and, optionally, campaign_id and accept_mapping",
                ));
            }
        }
    }
    Ok(upload)
}

/// Starts importing a CSV of leads (member). Answers as soon as the file is stored; poll
/// `GET /api/v1/imports/{id}` (the `Location`) for the outcome.
#[utoipa::path(post, path = "/api/v1/leads/imports", tag = "imports",
    request_body(content = ImportForm, content_type = "multipart/form-data"),
    responses(
        (status = 202, description = "Stored and queued; `Location` is the job", body = ImportJobView),
        (status = 400, description = "Not a multipart/form-data body", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Needs the member role", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`campaign_id` names no campaign of this workspace", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The campaign has no mailboxes to enrol leads with", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file is larger than `api.import_max_megabytes`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No file part, or a bad `campaign_id`", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create(
    state: web::Data<ApiState>,
    caller: Caller,
    req: HttpRequest,
    form: Multipart,
) -> Result<HttpResponse, ApiError> {
    caller.require(Role::Member)?;
    let limit = state.imports.max_bytes();
    // Refuse what is declared too large before reading a byte of it.
    if declared_length(&req).is_some_and(|len| len > limit.saturating_add(FRAMING_ALLOWANCE)) {
        return Err(StartError::TooLarge(limit).into());
    }
    let upload = read_upload(&state, &caller, form).await?;
    let spool = upload
        .spool
        .ok_or_else(|| ApiError::invalid("file", "send the CSV as a multipart part named file"))?;
    let campaign = match upload.campaign {
        Some(id) => Some(state.imports.campaign(caller.workspace(), id).await?.id),
        None => None,
    };
    let job = state
        .imports
        .submit(spool, campaign, upload.file_name, upload.accept_mapping)
        .await?;
    Ok(HttpResponse::Accepted()
        .insert_header((header::LOCATION, format!("/api/v1/imports/{}", job.id)))
        .json(ImportJobView::from(job)))
}

/// An import job: its status, counts and the first rejected rows by line.
#[utoipa::path(get, path = "/api/v1/imports/{id}", tag = "imports",
    params(("id" = ImportJobId, Path, description = "The job")),
    responses(
        (status = 200, description = "The job", body = ImportJobView),
        (status = 404, description = "No such job in this workspace", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get(
    state: web::Data<ApiState>,
    caller: Caller,
    id: web::Path<ImportJobId>,
) -> Result<web::Json<ImportJobView>, ApiError> {
    let id = id.into_inner();
    let job = state
        .imports
        .job(caller.workspace(), id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("import job {id}")))?;
    Ok(web::Json(job.into()))
}

#[derive(OpenApi)]
#[openapi(paths(create, get))]
pub struct Doc;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/leads/imports", web::post().to(create))
        .route("/imports/{id}", web::get().to(get));
}
