//! The byte stream under an IMAP session: plain TCP, TLS from the first byte, or TCP upgraded
//! with STARTTLS. TLS is rustls with the process-wide crypto provider (installed by `main` and
//! by the tests) and the webpki roots; there is no switch to accept invalid certificates.

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

/// Wraps `tcp` in TLS for `host` (certificate checked against the webpki roots).
pub async fn tls(host: &str, tcp: TcpStream, timeout: Duration) -> Result<ImapStream, ImapError> {
    let tls_err = |detail: String| ImapError::Tls {
        host: host.to_owned(),
        detail,
    };
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
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
    .map_err(|e| tls_err(e.to_string()))?;
    Ok(ImapStream::Tls(Box::new(stream)))
}
