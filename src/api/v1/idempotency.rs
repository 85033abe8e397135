//! `Idempotency-Key` on POST requests: a client that retries a create or a send after a timeout
//! gets the first answer back (with `Idempotent-Replayed: true`) and nothing is done twice.
//!
//! The key is claimed in the store before the handler runs, so two concurrent requests with one
//! key cannot both do the work: the second gets 409. A key belongs to one route (method and
//! path): the same key on another route is another request. The same key on the same route
//! with a different body is a client bug: 422 (draft-ietf-httpapi-idempotency-key-header). An
//! answer is kept a day; a 5xx is not kept (the request may be retried). Bodies up to
//! [`JSON_LIMIT`](super::JSON_LIMIT) are compared by their SHA-256; larger ones (uploads) by key
//! and route alone, so the upload streams on.

use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody, to_bytes};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError, web};
use chrono::{TimeDelta, Utc};
use futures_util::StreamExt;
use sha2::{Digest, Sha256};

use super::JSON_LIMIT;
use super::caller::Caller;
use super::problem::ApiError;
use crate::api::ApiState;
use crate::store::idempotency::{IdempotentRequest, KeyClaim, StoredAnswer};

pub const HEADER: &str = "idempotency-key";

/// How long an answer is replayed.
const KEEP: TimeDelta = TimeDelta::hours(24);

/// A claim whose request never finished (its daemon died) is given up after this long.
const STALE: TimeDelta = TimeDelta::minutes(10);

/// Longest key accepted (Stripe's limit).
const MAX_KEY: usize = 255;

fn answer(req: ServiceRequest, error: ApiError) -> ServiceResponse<BoxBody> {
    req.into_response(error.error_response())
}

/// Reads the whole body when it is small enough to compare, and puts it back for the handler.
async fn hash_body(req: &mut ServiceRequest) -> Result<Option<[u8; 32]>, ApiError> {
    let length = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if length.is_none_or(|n| n > JSON_LIMIT) {
        return Ok(None);
    }
    let mut payload = req.take_payload();
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("reading the body: {e}")))?;
        if body.len() + chunk.len() > JSON_LIMIT {
            return Err(ApiError::TooLarge(JSON_LIMIT));
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    let hash = Sha256::digest(&body).into();
    req.set_payload(Payload::from(body));
    Ok(Some(hash))
}

/// The middleware, on the `/api/v1` scope.
pub async fn idempotent(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let key = match req.headers().get(HEADER) {
        Some(key) if req.method() == Method::POST => key.to_str().map(str::to_owned),
        _ => return Ok(next.call(req).await?.map_into_boxed_body()),
    };
    let key = match key {
        Ok(key)
            if (1..=MAX_KEY).contains(&key.len()) && key.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            key
        }
        _ => {
            let error = ApiError::invalid(
                "Idempotency-Key",
                format!("must be 1 to {MAX_KEY} visible ASCII characters"),
            );
            return Ok(answer(req, error));
        }
    };
    let caller = match Caller::authenticate(req.request()).await {
        Ok(caller) => caller,
        Err(error) => return Ok(answer(req, error)),
    };
    req.extensions_mut().insert(caller);
    let sha256 = match hash_body(&mut req).await {
        Ok(hash) => hash,
        Err(error) => return Ok(answer(req, error)),
    };
    let Some(state) = req.app_data::<web::Data<ApiState>>().cloned() else {
        return Ok(answer(req, ApiError::Internal("no API state".into())));
    };
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let request = IdempotentRequest {
        workspace: caller.workspace(),
        key: &key,
        method: &method,
        path: &path,
        sha256,
    };
    let now = Utc::now();
    let claim = state
        .store
        .claim_key(&request, now, now - KEEP, now - STALE)
        .await;
    match claim {
        Err(e) => Ok(answer(req, e.into())),
        Ok(KeyClaim::Answered(stored)) => {
            let mut replay = HttpResponse::build(
                actix_web::http::StatusCode::from_u16(stored.status)
                    .unwrap_or(actix_web::http::StatusCode::OK),
            );
            if let Some(content_type) = stored.content_type {
                replay.content_type(content_type);
            }
            replay.insert_header(("Idempotent-Replayed", "true"));
            Ok(req.into_response(replay.body(stored.body)))
        }
        Ok(KeyClaim::InProgress) => Ok(answer(
            req,
            ApiError::Conflict(
                "a request with this Idempotency-Key is still being handled; retry later".into(),
            ),
        )),
        Ok(KeyClaim::Mismatch) => Ok(answer(
            req,
            ApiError::invalid(
                "Idempotency-Key",
                "was used before with a different request (method, path or body)",
            ),
        )),
        Ok(KeyClaim::Claimed) => {
            let response = next.call(req).await;
            let response = match response {
                Ok(response) => response,
                Err(e) => {
                    release(&state, &request).await;
                    return Err(e);
                }
            };
            let (http_req, res) = response.into_parts();
            let (res, body) = res.into_parts();
            let status = res.status();
            let bytes = match to_bytes(body).await {
                Ok(bytes) => bytes,
                Err(_) => {
                    release(&state, &request).await;
                    let res = ApiError::Internal("reading a response body".into()).error_response();
                    return Ok(ServiceResponse::new(http_req, res));
                }
            };
            if status.is_server_error() {
                release(&state, &request).await;
            } else {
                let stored = StoredAnswer {
                    status: status.as_u16(),
                    content_type: res
                        .headers()
                        .get(header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned),
                    body: bytes.to_vec(),
                };
                if let Err(e) = state.store.finish_key(&request, &stored).await {
                    tracing::warn!(error = %e, "Could not store an idempotent answer; a retry will run the request again.");
                    release(&state, &request).await;
                }
            }
            let res = res.set_body(BoxBody::new(bytes));
            Ok(ServiceResponse::new(http_req, res))
        }
    }
}

async fn release(state: &ApiState, request: &IdempotentRequest<'_>) {
    if let Err(e) = state.store.release_key(request).await {
        tracing::warn!(error = %e, "Could not release an idempotency key; it frees itself within 10 minutes.");
    }
}

/// Purges expired answers every hour, for as long as the daemon runs.
pub async fn purge_expired(
    store: std::sync::Arc<dyn crate::store::Store>,
    cancel: tokio_util::sync::CancellationToken,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tokio::select! {
            () = cancel.cancelled() => return,
            _ = tick.tick() => {
                match store.purge_keys(Utc::now() - KEEP).await {
                    Ok(0) => {}
                    Ok(purged) => tracing::debug!(purged, "Expired idempotency keys purged."),
                    Err(e) => tracing::warn!(error = %e, "Could not purge expired idempotency keys."),
                }
            }
        }
    }
}
