//! Outbound HTTP to addresses taken from users' data (a lead's website today, webhooks later),
//! safe against server-side request forgery.
//!
//! [`SafeFetcher`] accepts only `http` and `https`; refuses cloud-metadata and local host names;
//! checks an IP-literal host itself (the URL parser has already turned odd IPv4 forms such as
//! `http://2130706433/` or `http://0x7f.1/` into `127.0.0.1`); resolves every other name through
//! [`resolver::CheckedResolver`], which hands the HTTP client only checked addresses, so the
//! connection goes where the check looked; follows at most [`MAX_REDIRECTS`] redirects itself,
//! checking each target the same way; ignores proxy variables (a proxy would connect on our
//! behalf, unchecked); gives up after [`DEFAULT_TIMEOUT`] in all, redirects and body included.
//!
//! Bodies are read up to [`DEFAULT_MAX_BODY_BYTES`]; the rest is not read and the page says
//! [`FetchedPage::truncated`]: the start of a long page is still worth having. Only `text/html`
//! (converted to plain text) and `text/plain` are accepted.
//!
//! Nothing here touches the store. Tests that serve pages on loopback allow it explicitly with
//! [`SafeFetcherBuilder::allow`]; no setting can.

mod address;
mod error;
mod resolver;
mod text;

use std::sync::Arc;
use std::time::Duration;

use ipnet::IpNet;
use reqwest::header::{ACCEPT, CONTENT_TYPE, LOCATION};
use reqwest::{StatusCode, Url};

pub use address::{AddressClass, refusal, refused_name};
pub use error::FetchError;
use resolver::{Allowances, CheckedResolver};
use text::TextKind;

/// Redirects followed before giving up; the fourth is refused.
pub const MAX_REDIRECTS: usize = 3;
/// The whole fetch: every hop, and reading the body.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);
/// Body bytes read; a longer body is cut here and marked truncated.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

/// A page as text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FetchedPage {
    /// Where the page was found, after redirects.
    pub url: String,
    /// Plain text (HTML converted).
    pub text: String,
    /// The body was longer than the cap; `text` is its start.
    pub truncated: bool,
}

/// An HTTP client that reaches public addresses only. Cheap to clone.
#[derive(Clone, Debug)]
pub struct SafeFetcher {
    client: reqwest::Client,
    allowances: Allowances,
    timeout: Duration,
    max_body_bytes: usize,
}

/// Options for a [`SafeFetcher`]; the defaults are the production ones.
#[derive(Debug)]
pub struct SafeFetcherBuilder {
    allowed: Vec<IpNet>,
    timeout: Duration,
    max_body_bytes: usize,
}

impl SafeFetcherBuilder {
    /// Lets `net` through although its class is refused. For tests that serve pages on
    /// loopback (`127.0.0.1/32`); production code never calls it.
    pub fn allow(mut self, net: IpNet) -> Self {
        self.allowed.push(net);
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    pub fn build(self) -> Result<SafeFetcher, FetchError> {
        // reqwest is built without a bundled crypto provider and panics when none is installed;
        // `main` installs ring first, this covers tools and tests.
        if rustls::crypto::CryptoProvider::get_default().is_none() {
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let allowances = Allowances::new(self.allowed);
        let client = reqwest::Client::builder()
            .dns_resolver(Arc::new(CheckedResolver {
                allowances: allowances.clone(),
            }))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .timeout(self.timeout)
            .user_agent(concat!("outreachd/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| FetchError::Http {
                host: String::new(),
                reason: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(SafeFetcher {
            client,
            allowances,
            timeout: self.timeout,
            max_body_bytes: self.max_body_bytes,
        })
    }
}

impl SafeFetcher {
    pub fn builder() -> SafeFetcherBuilder {
        SafeFetcherBuilder {
            allowed: Vec::new(),
            timeout: DEFAULT_TIMEOUT,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
        }
    }

    /// The production fetcher: every refused address stays refused.
    pub fn new() -> Result<Self, FetchError> {
        Self::builder().build()
    }

    /// Fetches `url` (GET) and returns its text.
    pub async fn fetch_text(&self, url: &str) -> Result<FetchedPage, FetchError> {
        tokio::time::timeout(self.timeout, self.fetch_unbounded(url))
            .await
            .map_err(|_| FetchError::Timeout(self.timeout))?
    }

    async fn fetch_unbounded(&self, url: &str) -> Result<FetchedPage, FetchError> {
        let (url, mut response) = self.get_following_redirects(url).await?;
        let status = response.status();
        if !status.is_success() {
            return Err(FetchError::Status(status.as_u16()));
        }
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        let kind = TextKind::from_content_type(&content_type)
            .ok_or_else(|| FetchError::ContentType(content_type.clone()))?;
        let mut body = Vec::new();
        let mut truncated = false;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| http_error(&url, e, self.timeout))?
        {
            let room = self.max_body_bytes - body.len();
            if chunk.len() > room {
                body.extend_from_slice(&chunk[..room]);
                truncated = true;
                // Dropping the response closes the connection: the rest is never read.
                break;
            }
            body.extend_from_slice(&chunk);
        }
        Ok(FetchedPage {
            text: text::to_text(kind, body).await?,
            url: url.to_string(),
            truncated,
        })
    }

    async fn get_following_redirects(
        &self,
        url: &str,
    ) -> Result<(Url, reqwest::Response), FetchError> {
        let mut url = Url::parse(url).map_err(|e| FetchError::InvalidUrl {
            url: url.to_owned(),
            reason: e.to_string(),
        })?;
        for hop in 0..=MAX_REDIRECTS {
            self.check_target(&url)?;
            let response = self
                .client
                .get(url.clone())
                .header(ACCEPT, "text/html, text/plain;q=0.9")
                .send()
                .await
                .map_err(|e| http_error(&url, e, self.timeout))?;
            let status = response.status();
            if !is_followed_redirect(status) {
                return Ok((url, response));
            }
            if hop == MAX_REDIRECTS {
                break;
            }
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or(FetchError::BadRedirect {
                    status: status.as_u16(),
                })?;
            url = url.join(location).map_err(|_| FetchError::BadRedirect {
                status: status.as_u16(),
            })?;
        }
        Err(FetchError::TooManyRedirects(MAX_REDIRECTS))
    }

    /// Refuses a target before any connection: its scheme, its host name, or its IP literal
    /// (the client skips the resolver for a literal, so the check must happen here).
    fn check_target(&self, url: &Url) -> Result<(), FetchError> {
        match url.scheme() {
            "http" | "https" => {}
            other => return Err(FetchError::Scheme(other.to_owned())),
        }
        match url.host() {
            None => Err(FetchError::InvalidUrl {
                url: url.to_string(),
                reason: "no host".into(),
            }),
            Some(url::Host::Domain(name)) if refused_name(name) => {
                Err(FetchError::HostName(name.to_owned()))
            }
            Some(url::Host::Domain(_)) => Ok(()),
            Some(url::Host::Ipv4(ip)) => self.allowances.check(ip.into()),
            Some(url::Host::Ipv6(ip)) => self.allowances.check(ip.into()),
        }
    }
}

fn is_followed_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// A reqwest error as a `FetchError`: the resolver's own refusal when that is what it is; the
/// URL left out (a webhook URL may carry a token).
fn http_error(url: &Url, error: reqwest::Error, timeout: Duration) -> FetchError {
    if let Some(found) = resolver::resolver_error_in(&error) {
        return found;
    }
    if error.is_timeout() {
        return FetchError::Timeout(timeout);
    }
    let error = error.without_url();
    let mut reason = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(e) = source {
        reason = format!("{reason}: {e}");
        source = e.source();
    }
    FetchError::Http {
        host: url.host_str().unwrap_or_default().to_owned(),
        reason,
    }
}

#[cfg(test)]
mod tests;
