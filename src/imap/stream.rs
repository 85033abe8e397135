//! The byte stream under an IMAP session: plain TCP, TLS from the first byte, or TCP upgraded
//! with STARTTLS. TLS is rustls with the process-wide crypto provider (installed by `main` and
//! by the tests), the webpki roots plus an optional private CA (as SMTP's `extra_root_pem`);
//! there is no switch to accept invalid certificates.

use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::error::ImapError;

/// Plain or TLS; `Debug` prints only which.
pub enum ImapStream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl std::fmt::Debug for ImapStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Plain(_) => "ImapStream::Plain",
            Self::Tls(_) => "ImapStream::Tls",
        })
    }
}

impl AsyncRead for ImapStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for ImapStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Opens a TCP connection (TCP_NODELAY, keepalive left to the OS) within `timeout`.
pub async fn connect_tcp(host: &str, port: u16, timeout: Duration) -> Result<TcpStream, ImapError> {
    let connect_err = |source| ImapError::Connect {
        host: host.to_owned(),
        port,
        source,
    };
    let tcp = tokio::time::timeout(timeout, TcpStream::connect((host, port)))
        .await
        .map_err(|_| ImapError::Timeout {
            command: "connect",
            seconds: timeout.as_secs(),
        })?
        .map_err(connect_err)?;
    let _ = tcp.set_nodelay(true);
    Ok(tcp)
}

/// The trusted roots: webpki's plus the certificates in `extra_root_pem` (a private CA).
fn roots(extra_root_pem: Option<&str>) -> Result<rustls::RootCertStore, String> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots =
        rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(pem) = extra_root_pem {
        let invalid = |detail: String| format!("invalid root certificate: {detail}");
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|e| invalid(e.to_string()))?;
            roots.add(cert).map_err(|e| invalid(e.to_string()))?;
            added += 1;
        }
        // An empty trust addition would only surface later as an unknown-issuer error.
        if added == 0 {
            return Err(invalid("no PEM certificate found".to_owned()));
        }
    }
    Ok(roots)
}

/// Wraps `tcp` in TLS for `host` (certificate checked against the webpki roots and
/// `extra_root_pem`).
pub async fn tls(
    host: &str,
    tcp: TcpStream,
    timeout: Duration,
    extra_root_pem: Option<&str>,
) -> Result<ImapStream, ImapError> {
    let tls_err = |detail: String| ImapError::Tls {
        host: host.to_owned(),
        detail,
    };
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots(extra_root_pem).map_err(tls_err)?)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from(host.to_owned())
        .map_err(|e| tls_err(e.to_string()))?;
    let stream = tokio::time::timeout(
        timeout,
        TlsConnector::from(Arc::new(config)).connect(name, tcp),
    )
    .await
    .map_err(|_| ImapError::Timeout {
        command: "TLS handshake",
        seconds: timeout.as_secs(),
    })?
    .map_err(|e| tls_err(crate::smtp::explain_certificate_error(e.to_string())))?;
    Ok(ImapStream::Tls(Box::new(stream)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_root_pem_without_certificates_is_refused() {
        let Err(e) = super::roots(Some("not a pem")) else {
            panic!("text without a certificate must be refused");
        };
        assert!(e.contains("no PEM certificate"), "{e}");
        assert!(super::roots(None).is_ok());
    }
}
