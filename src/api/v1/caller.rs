//! `Caller`: the authenticated principal of a request, extracted from `Authorization: Bearer`.
//! Every `/api/v1` handler except login takes one, so a route cannot forget authentication,
//! and every store call it makes is scoped to `caller.workspace()`.

use std::future::Future;
use std::num::NonZeroU32;
use std::pin::Pin;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use governor::clock::{Clock, DefaultClock};
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use super::problem::ApiError;
use crate::api::ApiState;
use crate::domain::{Principal, RateSpec, Role, TokenId, WorkspaceId};
use crate::service::access;

/// Requests per token, as `api.rate_limit` says.
pub struct TokenLimiter {
    limiter: RateLimiter<TokenId, DefaultKeyedStateStore<TokenId>, DefaultClock>,
}

impl TokenLimiter {
    pub fn new(rate: RateSpec) -> Self {
        let count = NonZeroU32::new(rate.count()).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::with_period(rate.period() / count.get())
            .unwrap_or_else(|| Quota::per_second(count))
            .allow_burst(count);
        Self {
            limiter: RateLimiter::keyed(quota),
        }
    }

    fn check(&self, token: TokenId) -> Result<(), ApiError> {
        self.limiter.check_key(&token).map_err(|not_until| {
            ApiError::RateLimited(not_until.wait_time_from(DefaultClock::default().now()))
        })
    }
}

/// Who is calling, and the checks a handler asks of them.
#[derive(Clone, Copy, Debug)]
pub struct Caller(pub Principal);

impl Caller {
    pub fn workspace(&self) -> WorkspaceId {
        self.0.workspace
    }

    /// `Forbidden` unless the caller's role is `role` or higher.
    pub fn require(&self, role: Role) -> Result<(), ApiError> {
        if self.0.role >= role {
            Ok(())
        } else {
            Err(ApiError::Forbidden(role))
        }
    }
}

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized("send Authorization: Bearer <token>".into()))?;
    let value = value
        .to_str()
        .map_err(|_| ApiError::Unauthorized("the Authorization header is not text".into()))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => Ok(token.to_owned()),
        _ => Err(ApiError::Unauthorized(
            "the Authorization header must be: Bearer <token>".into(),
        )),
    }
}

impl Caller {
    /// Authenticates the request's bearer token and charges the token's rate limit.
    pub async fn authenticate(req: &HttpRequest) -> Result<Self, ApiError> {
        let state = req
            .app_data::<web::Data<ApiState>>()
            .cloned()
            .ok_or_else(|| ApiError::Internal("no API state".into()))?;
        let token = bearer(req)?;
        let principal = access::authenticate(state.store.as_ref(), &token).await?;
        state.api.limiter.check(principal.token)?;
        Ok(Caller(principal))
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        // A middleware that authenticated already (`Idempotency-Key`) left the caller here.
        let known = req.extensions().get::<Caller>().copied();
        let req = req.clone();
        Box::pin(async move {
            match known {
                Some(caller) => Ok(caller),
                None => Caller::authenticate(&req).await,
            }
        })
    }
}

/// The API's own settings, shared by the handlers.
pub struct ApiConfig {
    pub session_ttl: chrono::TimeDelta,
    pub limiter: TokenLimiter,
}

impl ApiConfig {
    pub fn new(settings: &crate::config::ApiSettings) -> Arc<Self> {
        Arc::new(Self {
            session_ttl: settings.session_ttl.to_chrono(),
            limiter: TokenLimiter::new(settings.rate_limit),
        })
    }
}
