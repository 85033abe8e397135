//! The HTTP layer every provider shares: one client per provider key, the per-key limits, and
//! the retry loop.
//!
//! One POST per attempt, each bounded by the configured timeout. 408, 429, 5xx (Anthropic's 529
//! "overloaded" included), timeouts and network errors are retried with exponential backoff and
//! equal jitter, honouring `retry-after-ms` / `retry-after` when the server sends one and it is
//! not longer than `backoff_max`; other 4xx are not retried, they would fail the same way again.
//! API keys only travel in headers marked sensitive (so `Debug` never prints them) and are
//! scrubbed from error details in case a server echoes them.

use std::time::Duration;

use rand::Rng;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use super::limits::Limits;
use super::settings::{ProviderName, ProviderSettings};
use crate::content::ContentError;

/// A provider's endpoint: client, auth headers, retry policy and limits, shared by every model
/// of that provider.
pub(crate) struct Endpoint {
    pub(crate) provider: &'static str,
    client: reqwest::Client,
    /// Auth (and version) headers, sensitive values marked so.
    headers: HeaderMap,
    /// The key, only to scrub it from error details.
    key: SecretString,
    pub(crate) settings: ProviderSettings,
    limits: Limits,
}

/// The header a key goes in, and how its value is written from the key.
pub(crate) type AuthHeader = (HeaderName, fn(&str) -> String);

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

impl Endpoint {
    /// `auth` names the header the key goes in and how its value is written
    /// (`Bearer {key}` or the bare key); `extra` are fixed headers (`anthropic-version`).
    pub(crate) fn new(
        name: ProviderName,
        settings: &ProviderSettings,
        auth: Option<AuthHeader>,
        extra: &[(HeaderName, &'static str)],
    ) -> Result<Self, ContentError> {
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
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        for (header, value) in extra {
            headers.insert(header.clone(), HeaderValue::from_static(value));
        }
        if let (Some((header, render)), Some(key)) = (auth, settings.api_key()) {
            let mut value = HeaderValue::from_str(&render(key)).map_err(|_| {
                ContentError::Config(format!(
                    "ai.{name}.api_key has characters not allowed in an HTTP header"
                ))
            })?;
            value.set_sensitive(true);
            headers.insert(header, value);
        }
        Ok(Self {
            provider: name.as_str(),
            client,
            headers,
            key: SecretString::from(settings.api_key().unwrap_or_default()),
            settings: settings.clone(),
            limits: Limits::new(settings),
        })
    }

    /// `{base_url}{path}` without a doubled slash.
    pub(crate) fn url(&self, path: &str) -> String {
        format!(
            "{}{path}",
            self.settings.base_url.trim().trim_end_matches('/')
        )
    }

    /// POSTs `body` to `url` until a 2xx answer (its body) or an error that retrying cannot fix
    /// or the retries are spent. Waits for the key's limits first; `tokens` is the call's
    /// estimated token count for the tokens-per-minute limit.
    pub(crate) async fn post(
        &self,
        url: &str,
        body: &[u8],
        tokens: u32,
    ) -> Result<Vec<u8>, ContentError> {
        let _permit = self.limits.start(tokens).await;
        let mut attempt = 0;
        loop {
            self.limits.request().await;
            let failure = match self.attempt(url, body).await {
                Ok(raw) => return Ok(raw),
                Err(failure) => failure,
            };
            if !failure.error.is_retryable() || attempt >= self.settings.max_retries {
                return Err(failure.error);
            }
            let Some(wait) = self.backoff(attempt, failure.retry_after) else {
                return Err(failure.error);
            };
            tracing::debug!(
                provider = self.provider,
                attempt = attempt + 1,
                wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                error = %failure.error,
                "Retrying the language model."
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn attempt(&self, url: &str, body: &[u8]) -> Result<Vec<u8>, Failure> {
        let response = self
            .client
            .post(url)
            .headers(self.headers.clone())
            .body(body.to_vec())
            .send()
            .await
            .map_err(|e| self.transport(&e))?;
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let bytes = response.bytes().await.map_err(|e| self.transport(&e))?;
        if status.is_success() {
            return Ok(bytes.to_vec());
        }
        Err(Failure {
            error: ContentError::Provider {
                provider: self.provider,
                status: status.as_u16(),
                detail: self.scrub(&error_detail(status, &bytes)),
            },
            retry_after,
        })
    }

    fn transport(&self, e: &reqwest::Error) -> Failure {
        if e.is_timeout() {
            return ContentError::Timeout {
                provider: self.provider,
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
            provider: self.provider,
            detail: self.scrub(&detail),
        }
        .into()
    }

    /// `text` without the key (a URL or an error message may echo it).
    pub(crate) fn scrub(&self, text: &str) -> String {
        let key = self.key.expose_secret();
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
        // Equal jitter: at least half the backoff, so concurrent callers spread out but still wait.
        let half = base / 2;
        let jitter_ms = u64::try_from(half.as_millis()).unwrap_or(u64::MAX);
        Some(half + Duration::from_millis(rand::rng().random_range(0..=jitter_ms)))
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

/// The server's error message, with its kind when it names one: OpenAI's and Anthropic's
/// `error.type`, Gemini's `error.status`. Else the start of the body.
fn error_detail(status: StatusCode, body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct Envelope {
        error: Inner,
    }
    #[derive(serde::Deserialize)]
    struct Inner {
        message: String,
        #[serde(rename = "type")]
        kind: Option<String>,
        status: Option<String>,
    }
    match serde_json::from_slice::<Envelope>(body) {
        Ok(Envelope { error }) => match error.kind.or(error.status).filter(|k| !k.is_empty()) {
            Some(kind) => clip(&format!("{kind}: {}", error.message), 300),
            None => clip(&error.message, 300),
        },
        Err(_) if body.is_empty() => status.canonical_reason().unwrap_or("no details").to_owned(),
        Err(_) => clip(String::from_utf8_lossy(body).trim(), 300),
    }
}

/// At most `max` characters of `text`, for error details.
pub(crate) fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_cuts_on_a_character_boundary() {
        assert_eq!(clip("ééé", 2), "éé…");
        assert_eq!(clip("ab", 5), "ab");
    }

    #[test]
    fn retry_after_prefers_milliseconds_and_ignores_dates() {
        let mut headers = HeaderMap::new();
        headers.insert("retry-after", HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert("retry-after-ms", HeaderValue::from_static("20"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(20)));
        let mut dated = HeaderMap::new();
        dated.insert(
            "retry-after",
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(retry_after(&dated), None);
    }

    #[test]
    fn error_details_read_each_providers_error_shape() {
        let openai = br#"{"error": {"message": "Bad key", "type": "invalid_request_error", "code": "invalid_api_key"}}"#;
        let anthropic =
            br#"{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}"#;
        let gemini = br#"{"error": {"code": 429, "message": "Quota exceeded", "status": "RESOURCE_EXHAUSTED"}}"#;
        assert_eq!(
            error_detail(StatusCode::UNAUTHORIZED, openai),
            "invalid_request_error: Bad key"
        );
        assert_eq!(
            error_detail(StatusCode::from_u16(529).unwrap(), anthropic),
            "overloaded_error: Overloaded"
        );
        assert_eq!(
            error_detail(StatusCode::TOO_MANY_REQUESTS, gemini),
            "RESOURCE_EXHAUSTED: Quota exceeded"
        );
        assert_eq!(error_detail(StatusCode::BAD_GATEWAY, b""), "Bad Gateway");
    }
}
