//! Implicit TLS (port 465 style) against a real TLS server: socat terminating TLS in front of a
//! smtp-sink, with a throwaway CA made by openssl.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use outreachd::domain::SmtpSecurity;
use outreachd::smtp::{Cause, Phase, SmtpConnection, classify, classify_error};

use crate::sink::{Sink, free_port};
use crate::{built, endpoint, message, timeouts};

/// `socat` listening with TLS on a free port and forwarding to `backend`; killed on drop.
struct TlsFront {
    port: u16,
    child: Child,
    ca_pem: String,
    _dir: tempfile::TempDir,
}

impl TlsFront {
    async fn start(backend: u16) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        crate::certs::make_certificates(dir.path());
        let port = free_port();
        let d = dir.path().display();
        let child = Command::new("socat")
            .arg(format!(
                "OPENSSL-LISTEN:{port},bind=127.0.0.1,reuseaddr,fork,cert={d}/leaf.pem,key={d}/leaf.key,verify=0"
            ))
            .arg(format!("TCP:127.0.0.1:{backend}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("socat is installed");
        for _ in 0..250 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let ca_pem = std::fs::read_to_string(dir.path().join("ca.pem")).expect("ca.pem");
        Self {
            port,
            child,
            ca_pem,
            _dir: dir,
        }
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

#[tokio::test]
async fn implicit_tls_with_a_trusted_private_ca_delivers() {
    install_crypto_provider();
    let sink = Sink::start(&[]).await;
    let front = TlsFront::start(sink.port).await;
    let mut tls = endpoint(front.port);
    tls.host = "localhost".to_owned();
    tls.security = SmtpSecurity::Tls;
    tls.extra_root_pem = Some(front.ca_pem.clone());

    let mut conn = SmtpConnection::connect(&tls, &timeouts())
        .await
        .expect("TLS connect");
    for n in 0..3 {
        let (envelope, bytes) = built(&message(n));
        let result = conn.send(&envelope, &bytes).await;
        assert_eq!(classify(&result).label(), "sent", "{result:?}");
    }
    conn.quit().await;
    assert_eq!(sink.dumps(3).await.len(), 3);
}

#[tokio::test]
async fn an_untrusted_certificate_pauses_the_mailbox_as_misconfigured() {
    install_crypto_provider();
    let sink = Sink::start(&[]).await;
    let front = TlsFront::start(sink.port).await;
    let mut tls = endpoint(front.port);
    tls.host = "localhost".to_owned();
    tls.security = SmtpSecurity::Tls;

    let error = match SmtpConnection::connect(&tls, &timeouts()).await {
        Ok(_) => panic!("a private CA must not be trusted by default"),
        Err(e) => e,
    };
    assert_eq!(error.phase, Phase::Tls, "{error}");
    assert!(
        matches!(
            error.cause,
            Cause::Tls {
                verification: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(classify_error(&error).label(), "mailbox_misconfigured");
}
