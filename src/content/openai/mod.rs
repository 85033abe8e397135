//! `OpenAiProvider`: any OpenAI-compatible chat completions endpoint personalises the draft.
//!
//! One POST to `{base_url}/chat/completions` per attempt, each bounded by the configured timeout.
//! 429, 408, 5xx, timeouts and network errors are retried with exponential backoff and jitter
//! (honouring `Retry-After` when it is shorter than `backoff_max`); other 4xx are not, they would
//! fail the same way again. The API key is only ever put in the `Authorization` header: it is
//! never logged, and scrubbed from error details in case a server echoes it.

mod wire;

use std::time::Duration;

use async_trait::async_trait;
use rand::Rng;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use super::error::ContentError;
use super::provider::{ContentProvider, Generated, GenerationRequest};
use super::settings::OpenAiSettings;
use wire::{PROVIDER, clip};

pub use wire::SYSTEM_PROMPT;

pub struct OpenAiProvider {
    client: reqwest::Client,
    url: String,
    /// `Bearer <key>`, marked sensitive so reqwest's and http's `Debug` never print it.
    authorization: Option<HeaderValue>,
    api_key: SecretString,
    settings: OpenAiSettings,
}

/// One failed attempt, with the server's requested wait when it gave one.
struct Failure {
    error: ContentError,
    retry_after: Option<Duration>,
}

impl From<ContentError> for Failure {
    fn from(error: ContentError) -> Self {
        Self {
            error,
            retry_after: None,
        }
    }
}

impl OpenAiProvider {
    pub fn new(settings: &OpenAiSettings) -> Result<Self, ContentError> {
        // reqwest is built without a bundled crypto provider and panics when none is installed;
        // `main` installs ring first, this only covers callers that did not (tools, tests).
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let timeout = settings.timeout.as_duration();
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("outreachd/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ContentError::Config(format!("cannot build the HTTP client: {e}")))?;
        let authorization = match settings.api_key() {
            None => None,
            Some(key) => {
                let mut value = HeaderValue::from_str(&format!("Bearer {key}")).map_err(|_| {
                    ContentError::Config(
                        "content.openai.api_key has characters not allowed in an HTTP header"
                            .into(),
                    )
                })?;
                value.set_sensitive(true);
                Some(value)
            }
        };
        Ok(Self {
            client,
            authorization,
            url: format!(
                "{}/chat/completions",
                settings.base_url.trim_end_matches('/')
            ),
            api_key: SecretString::from(settings.api_key().unwrap_or_default()),
            settings: settings.clone(),
        })
    }

    async fn attempt(&self, body: &[u8]) -> Result<Vec<u8>, Failure> {
        let mut request = self
            .client
            .post(&self.url)
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_vec());
        if let Some(authorization) = &self.authorization {
            request = request.header(AUTHORIZATION, authorization.clone());
        }
        let response = request.send().await.map_err(|e| self.transport(&e))?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let bytes = response.bytes().await.map_err(|e| self.transport(&e))?;
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        let detail = self.scrub(&error_detail(status, &bytes));
        Err(Failure {
            error: ContentError::Provider {
                provider: PROVIDER,
                status: status.as_u16(),
                detail,
            },
            retry_after,
        })
    }

    fn transport(&self, e: &reqwest::Error) -> Failure {
        if e.is_timeout() {
            return ContentError::Timeout {
                provider: PROVIDER,
                after: self.settings.timeout.as_duration(),
            }
            .into();
        }
        let mut detail = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(cause) = source {
            detail.push_str(": ");
            detail.push_str(&cause.to_string());
            source = cause.source();
        }
        ContentError::Transport {
            provider: PROVIDER,
            detail: self.scrub(&detail),
        }
        .into()
    }

    fn scrub(&self, text: &str) -> String {
        let key = self.api_key.expose_secret();
        if key.len() >= 4 {
            text.replace(key, "[redacted]")
        } else {
            text.to_owned()
        }
    }

    /// How long to wait before retry number `attempt + 1`, or `None` to stop retrying.
    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Option<Duration> {
        let max = self.settings.backoff_max.as_duration();
        if let Some(wait) = retry_after {
            return (wait <= max).then_some(wait);
        }
        let base = self
            .settings
            .backoff_initial
            .as_duration()
            .saturating_mul(1 << attempt.min(20))
            .min(max);
        // Equal jitter: at least half the backoff, so concurrent generators spread out but still wait.
        let half = base / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        Some(half + Duration::from_millis(rand::rng().random_range(0..=jitter_ms)))
    }
}

#[async_trait]
impl ContentProvider for OpenAiProvider {
    fn name(&self) -> &'static str {
        PROVIDER
    }

    async fn generate(&self, req: &GenerationRequest) -> Result<Generated, ContentError> {
        let body = wire::request_body(&self.settings, req)?;
        let mut attempt = 0;
        loop {
            let failure = match self.attempt(&body).await {
                Ok(raw) => return wire::parse_answer(&raw, req, &self.settings),
                Err(failure) => failure,
            };
            if !failure.error.is_retryable() || attempt >= self.settings.max_retries {
                return Err(failure.error);
            }
            let Some(wait) = self.backoff(attempt, failure.retry_after) else {
                return Err(failure.error);
            };
            tracing::debug!(
                provider = PROVIDER,
                attempt = attempt + 1,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                error = %failure.error,
                "Retrying the content provider."
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }
}

/// `retry-after-ms` (OpenAI's) or `retry-after` in seconds; HTTP dates are ignored.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let number = |name: &str| headers.get(name)?.to_str().ok()?.trim().parse::<f64>().ok();
    let seconds = number("retry-after-ms")
        .map(|ms| ms / 1000.0)
        .or_else(|| number("retry-after"))?;
    Duration::try_from_secs_f64(seconds).ok()
}

/// The server's `error.message` when it sent one, else the start of its body.
fn error_detail(status: StatusCode, body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Envelope {
        error: Inner,
    }
    #[derive(serde::Deserialize)]
    struct Inner {
        message: String,
    }
    match serde_json::from_slice::<Envelope>(body) {
        Ok(envelope) => clip(&envelope.error.message, 300),
        Err(_) if body.is_empty() => status.canonical_reason().unwrap_or("no details").to_owned(),
        Err(_) => clip(String::from_utf8_lossy(body).trim(), 300),
    }
}
