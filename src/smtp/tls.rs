//! TLS parameters for STARTTLS and implicit TLS: rustls through lettre, the server name checked
//! against the certificate, webpki roots plus an optional private CA (a company relay, a test
//! server). There is deliberately no switch to accept invalid certificates.

use lettre::transport::smtp::client::{Certificate, TlsParameters};

use super::failure::{Cause, Phase, SendError};

/// Builds the parameters for `host`. `extra_root_pem` adds one or more PEM certificates to the
/// trusted roots.
pub fn parameters(
    host: &str,
    extra_root_pem: Option<&str>,
    phase: Phase,
) -> Result<TlsParameters, SendError> {
    let mut builder = TlsParameters::builder(host.to_owned());
    if let Some(pem) = extra_root_pem {
        let invalid = |detail: String| {
            SendError::new(
                phase,
                Cause::Tls {
                    detail: format!("invalid root certificate: {detail}"),
                    verification: true,
                },
            )
        };
        // lettre accepts PEM text without any certificate in it; an empty trust list would
        // only surface later as an unknown-issuer error.
        if !pem.contains("-----BEGIN CERTIFICATE-----") {
            return Err(invalid("no PEM certificate found".to_owned()));
        }
        let certificate =
            Certificate::from_pem(pem.as_bytes()).map_err(|e| invalid(e.to_string()))?;
        builder = builder.add_root_certificate(certificate);
    }
    builder.build_rustls().map_err(|e| {
        SendError::new(
            phase,
            Cause::Tls {
                detail: e.to_string(),
                verification: true,
            },
        )
    })
}

/// Words for an operator, for SMTP and IMAP alike: rustls says `invalid peer certificate:
/// UnknownIssuer`.
pub fn explain_certificate_error(detail: String) -> String {
    if detail.contains("UnknownIssuer") {
        format!("{detail} (the server's certificate is not signed by a trusted CA)")
    } else if detail.contains("NotValidForName") {
        format!("{detail} (the server's certificate does not name this host)")
    } else if detail.contains("Expired") {
        format!("{detail} (the server's certificate has expired)")
    } else {
        detail
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_malformed_root_certificate_is_a_verification_failure() {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let Err(e) = parameters("mx.test", Some("not a pem"), Phase::Tls) else {
            panic!("text without a certificate must be refused");
        };
        assert!(
            matches!(
                e.cause,
                Cause::Tls {
                    verification: true,
                    ..
                }
            ),
            "{e}"
        );
        assert!(parameters("mx.test", None, Phase::Tls).is_ok());
    }
}
