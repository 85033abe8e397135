//! Errors as RFC 9457 problem details (`application/problem+json`): a status, a title, a
//! `detail` a person can act on, a stable `code` for machines, and for validation errors the
//! list of fields at fault. A 500 never carries the cause: that goes to the log, with the
//! request's route, and the body says only that something failed on our side.

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::Role;
use crate::service::ServiceError;
use crate::service::access::AccessError;
use crate::service::catalog_error::CatalogError;
use crate::store::StoreError;

/// One field at fault in a request body or query.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// Where: `email`, `steps[1].delay`.
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// The body of every error answer.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the status and `code` say what kind of problem it is.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable for machines: `not_found`, `validation_failed`, `rate_limited`…
    pub code: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    /// A query parameter out of its documented range: 400, with the parameters at fault.
    #[error("the query string has invalid parameters")]
    BadQuery(Vec<FieldError>),
    #[error("{0}")]
    Unauthorized(String),
    #[error("this needs the {0} role or higher")]
    Forbidden(Role),
    #[error("{0}")]
    ForbiddenBecause(String),
    #[error("{0} not found")]
    NotFound(String),
    /// A 404 whose detail is a whole sentence.
    #[error("{0}")]
    Missing(String),
    /// The path exists, with these methods only.
    #[error("this route answers only {0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    #[error("the request body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("the request has invalid fields")]
    Invalid(Vec<FieldError>),
    #[error("{0}")]
    Unprocessable(String),
    #[error("too many requests for this token; retry in {} s", .0.as_secs().max(1))]
    RateLimited(Duration),
    /// A service we depend on (the content provider) failed; trying again may work.
    #[error("{0}")]
    Upstream(String),
    /// The cause is logged, never sent.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, message)])
    }

    pub fn bad_query(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::BadQuery(vec![FieldError::new(field, message)])
    }

    fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) | Self::BadQuery(_) => "bad_request",
            Self::Unauthorized(_) => "unauthorized",
            Self::Forbidden(_) | Self::ForbiddenBecause(_) => "forbidden",
            Self::NotFound(_) | Self::Missing(_) => "not_found",
            Self::MethodNotAllowed(_) => "method_not_allowed",
            Self::Conflict(_) => "conflict",
            Self::TooLarge(_) => "payload_too_large",
            Self::Invalid(_) => "validation_failed",
            Self::Unprocessable(_) => "unprocessable",
            Self::RateLimited(_) => "rate_limited",
            Self::Upstream(_) => "upstream_failed",
            Self::Internal(_) => "internal",
        }
    }

    pub fn problem(&self) -> Problem {
        let status = self.status_code();
        let detail = match self {
            Self::Internal(_) => {
                "something failed on our side; the daemon's log has the cause".to_owned()
            }
            other => other.to_string(),
        };
        Problem {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            code: self.code(),
            errors: match self {
                Self::Invalid(fields) | Self::BadQuery(fields) => fields.clone(),
                _ => Vec::new(),
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) | Self::BadQuery(_) => StatusCode::BAD_REQUEST,
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) | Self::ForbiddenBecause(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) | Self::Missing(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::Invalid(_) | Self::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Upstream(_) => StatusCode::BAD_GATEWAY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(cause) = self {
            tracing::error!(error = %cause, "An API request failed.");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.content_type("application/problem+json");
        match self {
            Self::RateLimited(wait) => {
                response.insert_header((header::RETRY_AFTER, wait.as_secs().max(1).to_string()));
            }
            Self::MethodNotAllowed(methods) => {
                if let Ok(value) = HeaderValue::from_str(methods) {
                    response.insert_header((header::ALLOW, value));
                }
            }
            Self::Unauthorized(_) => {
                response.insert_header((
                    header::WWW_AUTHENTICATE,
                    HeaderValue::from_static("Bearer realm=\"outreachd\""),
                ));
            }
            _ => {}
        }
        response.json(self.problem())
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { kind, name } => Self::NotFound(format!("{kind} {name}")),
            StoreError::Conflict(detail) => Self::Conflict(detail),
            StoreError::Invalid(detail) => Self::Unprocessable(detail),
            other => Self::Internal(other.to_string()),
        }
    }
}

impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Store(e) => e.into(),
            ServiceError::NotFound { kind, name, .. } => Self::NotFound(format!("{kind} {name}")),
            other => Self::BadRequest(other.to_string()),
        }
    }
}

impl From<CatalogError> for ApiError {
    fn from(e: CatalogError) -> Self {
        match e {
            CatalogError::Invalid(problems) => Self::Invalid(
                problems
                    .into_iter()
                    .map(|p| FieldError::new(p.key, p.message))
                    .collect(),
            ),
            CatalogError::NotFound { kind, id } => Self::NotFound(format!("{kind} {id}")),
            CatalogError::Conflict(detail) => Self::Conflict(detail),
            CatalogError::Store(e) => e.into(),
        }
    }
}

impl From<AccessError> for ApiError {
    fn from(e: AccessError) -> Self {
        match e {
            AccessError::BadCredentials | AccessError::BadToken => {
                Self::Unauthorized(e.to_string())
            }
            AccessError::NoMembership | AccessError::NotMember(_) => {
                Self::Unauthorized(e.to_string())
            }
            AccessError::WorkspaceRequired(_) => Self::invalid("workspace", e.to_string()),
            AccessError::Invalid(detail) => Self::Unprocessable(detail),
            AccessError::Forbidden(detail) => Self::ForbiddenBecause(detail),
            AccessError::Conflict(detail) => Self::Conflict(detail),
            AccessError::NoSuchMember(user) => Self::NotFound(format!("member {user}")),
            AccessError::NoSuchUser(_) => Self::Missing(e.to_string()),
            AccessError::Store(e) => e.into(),
            AccessError::Hash(cause) => Self::Internal(cause),
        }
    }
}

/// Bodies that do not parse, queries and paths that do not fit: a 400 (413 for size) naming the
/// defect in the words serde gives (which say the field and the line).
pub fn json_error(err: actix_web::error::JsonPayloadError) -> ApiError {
    use actix_web::error::JsonPayloadError as E;
    match err {
        E::OverflowKnownLength { limit, .. } | E::Overflow { limit } => ApiError::TooLarge(limit),
        E::ContentType => {
            ApiError::BadRequest("the body must be JSON (Content-Type: application/json)".into())
        }
        E::Deserialize(e) if e.is_data() => ApiError::Unprocessable(format!("invalid body: {e}")),
        other => ApiError::BadRequest(format!("invalid JSON body: {other}")),
    }
}

pub fn query_error(err: actix_web::error::QueryPayloadError) -> ApiError {
    ApiError::BadRequest(format!("invalid query string: {err}"))
}

/// A path that does not parse (an id that is not a UUID) names nothing that exists.
pub fn path_error(err: actix_web::error::PathError) -> ApiError {
    ApiError::NotFound(format!("no such resource ({err})"))
}
