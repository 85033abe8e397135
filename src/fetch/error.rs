//! `FetchError`: what went wrong with an outbound fetch, naming the defect.

use std::net::IpAddr;

use super::address::AddressClass;

#[derive(Clone, Debug, thiserror::Error)]
pub enum FetchError {
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl { url: String, reason: String },
    #[error("refused: scheme {0:?} is not http or https")]
    Scheme(String),
    #[error("refused: {ip} is {class}")]
    Address { ip: IpAddr, class: AddressClass },
    #[error("refused: {0} is a cloud metadata or local host name")]
    HostName(String),
    #[error("cannot resolve {host}: {reason}")]
    Resolve { host: String, reason: String },
    #[error("too many redirects (more than {0})")]
    TooManyRedirects(usize),
    #[error("redirect {status} without a usable Location header")]
    BadRedirect { status: u16 },
    #[error("timed out after {0:?}")]
    Timeout(std::time::Duration),
    #[error("HTTP status {0}")]
    Status(u16),
    #[error("unsupported content type {0:?} (only text/html and text/plain)")]
    ContentType(String),
    #[error("cannot convert the HTML to text: {0}")]
    Html(String),
    #[error("request to {host} failed: {reason}")]
    Http { host: String, reason: String },
}

impl FetchError {
    /// True for a refusal of the target itself (scheme, address, name): asking again will not
    /// help, unlike a timeout or a failed connection.
    pub fn is_refusal(&self) -> bool {
        matches!(
            self,
            Self::Scheme(_) | Self::Address { .. } | Self::HostName(_)
        )
    }

    /// True for a failure that may pass later (a timeout, a refused connection, a server
    /// error); false for refusals and answers that will not change (404, wrong content type).
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Timeout(_) | Self::Http { .. } | Self::Resolve { .. } => true,
            Self::Status(status) => *status == 429 || *status >= 500,
            _ => false,
        }
    }
}
