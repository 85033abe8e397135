//! DKIM signing (RFC 6376, RFC 8463): the `[dkim]` settings, the `DkimSigners` registry built
//! from them at start-up (keys read once; a bad key stops start-up naming its file), and the
//! signing of a built message.
//!
//! lettre signs, with two traps worked around here. It hashes only the message's top-level
//! header list, but lettre keeps `Content-Type` in the MIME part, so signing the real `Message`
//! would list `Content-Type` in `h=` without hashing it and every verifier would fail. So the
//! signature is computed over a "shadow" message rebuilt from the exact bytes that will be sent
//! (the signed header fields as encoded, the body as is), and its `DKIM-Signature` line is put
//! on top of those bytes. And lettre can hold only one `DKIM-Signature`, so each key signs
//! the shadow in turn and its line is kept before the next: a domain with an Ed25519 and an RSA
//! key gets both signatures, as RFC 8463 advises while many receivers verify only RSA.
//! Canonicalization is relaxed/relaxed: it survives relays that refold headers, and lettre's
//! simple header mode breaks when the folding of `b=` moves. A blank body is the exception:
//! lettre hashes it as one CRLF, which is right for simple body canonicalization and wrong
//! for relaxed (RFC 6376 3.4.4: empty), so it is signed relaxed/simple.
//! Key material is never logged, printed or put into an error.

mod key;

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use lettre::address::Envelope;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningKey,
};
use lettre::message::header::{ContentTransferEncoding, HeaderName, HeaderValue, Headers};
use lettre::message::{Body, Message};
use secrecy::zeroize::Zeroizing;
use serde::{Deserialize, Serialize};

use super::error::SmtpError;
use super::message::{OutgoingMessage, build_signed};
use crate::domain::EmailAddress;

/// The header fields each signature covers, when present. A listed field that is absent is
/// signed as absent, so it cannot be added later. lettre signs one instance per name, so fields
/// are not over-signed; `sign` refuses a message with two instances of a signed field.
/// `Content-Transfer-Encoding` is left out: the shadow message sets its own.
pub const SIGNED_HEADERS: [&str; 11] = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "In-Reply-To",
    "References",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "MIME-Version",
    "Content-Type",
];

const DKIM_SIGNATURE: HeaderName = HeaderName::new_from_ascii_str("DKIM-Signature");

/// `[dkim]`: which From domains are signed, with which keys.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DkimSettings {
    /// One entry per domain and selector (`[[dkim.keys]]`). Mail from a domain without an entry
    /// goes out unsigned, which hurts delivery: Gmail and Yahoo require DKIM of bulk senders.
    /// Two entries for one domain (an `ed25519-sha256` and an `rsa-sha256` key) sign every
    /// message twice: Ed25519 is smaller and faster, but many receivers still verify only RSA.
    #[serde(default)]
    pub keys: Vec<DkimKeyConfig>,
}

/// One signing key: `{ domain, selector, private_key_file, algorithm }`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DkimKeyConfig {
    /// The `d=` domain. Messages whose From address is at exactly this domain (any case) are
    /// signed with this key; DMARC passes only when it matches the From domain.
    pub domain: String,
    /// The `s=` selector: receivers fetch the public key from the TXT record
    /// `<selector>._domainkey.<domain>`. A new selector per key rotation lets old mail verify.
    pub selector: String,
    /// PEM file with the private key, read once at start-up (restart to rotate). RSA: PKCS#1
    /// (`BEGIN RSA PRIVATE KEY`, `openssl genrsa 2048`) or PKCS#8 (`BEGIN PRIVATE KEY`), at
    /// least 1024 bits, 2048 advised. Ed25519: PKCS#8 (`openssl genpkey -algorithm ed25519`) or
    /// the bare base64 seed `dknewkey --ktype ed25519` writes. Not encrypted; keep it mode 0600.
    pub private_key_file: PathBuf,
    /// `rsa-sha256` (the default, verified everywhere) or `ed25519-sha256` (RFC 8463, verified
    /// by fewer receivers: pair it with an RSA key for the same domain).
    #[serde(default)]
    pub algorithm: DkimAlgorithm,
}

/// The `a=` tag.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum DkimAlgorithm {
    #[default]
    #[serde(rename = "rsa-sha256")]
    RsaSha256,
    #[serde(rename = "ed25519-sha256")]
    Ed25519Sha256,
}

impl fmt::Display for DkimAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::RsaSha256 => "rsa-sha256",
            Self::Ed25519Sha256 => "ed25519-sha256",
        })
    }
}

/// A DKIM setting that cannot be used. Raised at start-up only.
#[derive(Debug, thiserror::Error)]
pub enum DkimError {
    #[error(
        "cannot read the DKIM key file {path} (domain {domain}, selector {selector}): {source}"
    )]
    ReadKey {
        path: PathBuf,
        domain: String,
        selector: String,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "the DKIM key file {path} (domain {domain}, selector {selector}) is not a usable {algorithm} key: {detail}"
    )]
    BadKey {
        path: PathBuf,
        domain: String,
        selector: String,
        algorithm: DkimAlgorithm,
        detail: String,
    },
    #[error("invalid DKIM {field} {value:?}: {detail}")]
    InvalidSetting {
        field: &'static str,
        value: String,
        detail: &'static str,
    },
    #[error("the DKIM key for domain {domain}, selector {selector} is configured twice")]
    Duplicate { domain: String, selector: String },
}

/// Every configured signer by From domain. Cheap to clone (shared), so each actor may hold one.
#[derive(Clone, Default)]
pub struct DkimSigners {
    by_domain: Arc<HashMap<String, DkimSigner>>,
}

impl DkimSigners {
    /// Reads and checks every key. Any unusable entry fails the whole set: a daemon that would
    /// silently send unsigned mail for a domain the admin meant to sign is worse than one that
    /// does not start.
    pub fn from_settings(settings: &DkimSettings) -> Result<Self, DkimError> {
        let mut by_domain: HashMap<String, DkimSigner> = HashMap::new();
        for config in &settings.keys {
            let domain = dns_name("domain", &config.domain)?;
            let selector = dns_name("selector", &config.selector)?;
            let signer = by_domain
                .entry(domain.clone())
                .or_insert_with(|| DkimSigner {
                    domain: domain.clone(),
                    keys: Vec::new(),
                });
            if signer.keys.iter().any(|k| k.selector == selector) {
                return Err(DkimError::Duplicate { domain, selector });
            }
            let [relaxed_key, blank_body_key] = load_keys(config, &domain, &selector)?;
            let dkim_config = |key, body| {
                DkimConfig::new(
                    selector.clone(),
                    domain.clone(),
                    key,
                    SIGNED_HEADERS
                        .iter()
                        .map(|&h| HeaderName::new_from_ascii_str(h))
                        .collect(),
                    DkimCanonicalization {
                        header: DkimCanonicalizationType::Relaxed,
                        body,
                    },
                )
            };
            let relaxed = dkim_config(relaxed_key, DkimCanonicalizationType::Relaxed);
            let blank_body = dkim_config(blank_body_key, DkimCanonicalizationType::Simple);
            signer.keys.push(SigningKey {
                relaxed,
                blank_body,
                selector,
                algorithm: config.algorithm,
            });
        }
        Ok(Self {
            by_domain: Arc::new(by_domain),
        })
    }

    pub fn is_empty(&self) -> bool {
        self.by_domain.is_empty()
    }

    /// The signer for a domain, matched exactly and without regard to case.
    pub fn for_domain(&self, domain: &str) -> Option<&DkimSigner> {
        self.by_domain.get(&domain.trim().to_ascii_lowercase())
    }

    /// The signer for mail from `from`, if its domain has keys.
    pub fn for_sender(&self, from: &EmailAddress) -> Option<&DkimSigner> {
        self.by_domain.get(&from.domain())
    }

    /// `smtp::build`, signed when the From domain has keys: what the sending actor calls.
    pub fn build(&self, message: &OutgoingMessage) -> Result<(Envelope, Vec<u8>), SmtpError> {
        build_signed(message, self.for_sender(&message.from))
    }
}

impl fmt::Debug for DkimSigners {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.by_domain.values()).finish()
    }
}

/// The keys of one domain. Signs with each in configuration order.
pub struct DkimSigner {
    domain: String,
    keys: Vec<SigningKey>,
}

struct SigningKey {
    selector: String,
    algorithm: DkimAlgorithm,
    /// relaxed/relaxed, for every body with a visible character.
    relaxed: DkimConfig,
    /// relaxed/simple, for a body of only blanks and line ends (see the top of this file).
    blank_body: DkimConfig,
}

impl fmt::Debug for DkimSigner {
    /// Domain, selectors and algorithms only: never the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<String> = self
            .keys
            .iter()
            .map(|k| format!("{} ({})", k.selector, k.algorithm))
            .collect();
        f.debug_struct("DkimSigner")
            .field("domain", &self.domain)
            .field("keys", &keys)
            .finish()
    }
}

impl DkimSigner {
    /// `wire` (a message as lettre formatted it) with one `DKIM-Signature` field per key on
    /// top. The bytes after them are `wire` unchanged.
    pub(crate) fn sign(&self, wire: &[u8], envelope: &Envelope) -> Result<Vec<u8>, SmtpError> {
        let (mut shadow, blank_body) = shadow_message(wire, envelope)?;
        let mut out = Vec::with_capacity(wire.len() + 600 * self.keys.len());
        for key in &self.keys {
            shadow.sign(if blank_body {
                &key.blank_body
            } else {
                &key.relaxed
            });
            let value = shadow
                .headers()
                .get_raw("DKIM-Signature")
                .ok_or_else(|| dkim_failure("lettre added no DKIM-Signature"))?
                .to_owned();
            // Encoded (folded) exactly as lettre encodes every header.
            let mut field = Headers::new();
            field.insert_raw(HeaderValue::new(DKIM_SIGNATURE, value));
            out.extend_from_slice(field.to_string().as_bytes());
        }
        out.extend_from_slice(wire);
        Ok(out)
    }
}

/// A message whose top-level headers are the signed fields of `wire`, encoded byte for byte as
/// in `wire`, and whose body is `wire`'s body: what lettre must hash. Also whether that body is
/// blank.
fn shadow_message(wire: &[u8], envelope: &Envelope) -> Result<(Message, bool), SmtpError> {
    let split = wire
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| dkim_failure("the message has no end of headers"))?;
    let head = std::str::from_utf8(&wire[..split])
        .map_err(|_| dkim_failure("the header block is not UTF-8"))?;
    let body = wire[split + 4..].to_vec();
    let blank_body = body
        .iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'));
    let fields = header_fields(head)?;

    let from = envelope
        .from()
        .ok_or_else(|| dkim_failure("the envelope has no sender"))?
        .to_string();
    let mut builder = Message::builder().envelope(envelope.clone());
    for signed in SIGNED_HEADERS {
        let mut matching = fields
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(signed));
        let Some((name, encoded)) = matching.next() else {
            continue;
        };
        if matching.next().is_some() {
            return Err(dkim_failure(&format!("two {signed} fields")));
        }
        let name = HeaderName::new_from_ascii((*name).to_owned())
            .map_err(|_| dkim_failure("a header name is not ASCII"))?;
        // Signing hashes the encoded value. The raw one is only parsed by lettre's check that
        // a From exists, which must not trip over RFC 2047 words: give it the bare address.
        let raw = if signed == "From" {
            from.clone()
        } else {
            (*encoded).to_owned()
        };
        builder = builder.raw_header(HeaderValue::dangerous_new_pre_encoded(
            name,
            raw,
            (*encoded).to_owned(),
        ));
    }
    let shadow = builder
        .body(Body::dangerous_pre_encoded(
            body,
            ContentTransferEncoding::SevenBit,
        ))
        .map_err(|e| dkim_failure(&e.to_string()))?;
    Ok((shadow, blank_body))
}

/// `(name, encoded value)` of each field, continuation lines kept with their CRLFs. lettre
/// writes every field as `Name: value`.
fn header_fields(head: &str) -> Result<Vec<(&str, &str)>, SmtpError> {
    let mut fields = Vec::new();
    let mut start = 0;
    let bytes = head.as_bytes();
    let mut pos = 0;
    loop {
        let end = head[pos..].find("\r\n").map_or(head.len(), |i| pos + i);
        let next = end + 2;
        let continues = bytes.get(next).is_some_and(|b| matches!(b, b' ' | b'\t'));
        if !continues {
            let field = &head[start..end];
            let (name, value) = field
                .split_once(": ")
                .ok_or_else(|| dkim_failure("a header field without \": \""))?;
            fields.push((name, value));
            if next >= head.len() {
                return Ok(fields);
            }
            start = next;
        }
        pos = next;
    }
}

/// Reads the key file once and parses it twice: lettre's `DkimConfig` (one per
/// canonicalization mode) owns its key, and the key is not `Clone`.
fn load_keys(
    config: &DkimKeyConfig,
    domain: &str,
    selector: &str,
) -> Result<[DkimSigningKey; 2], DkimError> {
    let text = std::fs::read_to_string(&config.private_key_file)
        .map(Zeroizing::new)
        .map_err(|source| DkimError::ReadKey {
            path: config.private_key_file.clone(),
            domain: domain.to_owned(),
            selector: selector.to_owned(),
            source,
        })?;
    let parse = || {
        key::parse(&text, config.algorithm).map_err(|detail| DkimError::BadKey {
            path: config.private_key_file.clone(),
            domain: domain.to_owned(),
            selector: selector.to_owned(),
            algorithm: config.algorithm,
            detail,
        })
    };
    let first = parse()?;
    if let Some(bits) = first.rsa_bits.filter(|&b| b < 2048) {
        tracing::warn!(
            domain,
            selector,
            bits,
            "DKIM RSA key is shorter than 2048 bits; some receivers treat it as weak."
        );
    }
    Ok([first.key, parse()?.key])
}

/// Domains and selectors go into the `DKIM-Signature` field and a DNS name unquoted: letters,
/// digits, '-', '_' and dots between non-empty labels only.
fn dns_name(field: &'static str, value: &str) -> Result<String, DkimError> {
    let name = value.trim().trim_end_matches('.').to_ascii_lowercase();
    let valid = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        });
    if valid {
        Ok(name)
    } else {
        Err(DkimError::InvalidSetting {
            field,
            value: value.to_owned(),
            detail: "must be a DNS name: letters, digits, '-', '_' and dots",
        })
    }
}

fn dkim_failure(detail: &str) -> SmtpError {
    SmtpError::Build(format!("DKIM signing failed: {detail}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_keep_folded_values_whole() {
        let head = "From: a@b\r\nSubject: one\r\n two\r\n\tthree\r\nTo: c@d";
        assert_eq!(
            header_fields(head).unwrap(),
            vec![
                ("From", "a@b"),
                ("Subject", "one\r\n two\r\n\tthree"),
                ("To", "c@d")
            ]
        );
    }

    #[test]
    fn domains_and_selectors_must_be_dns_names() {
        assert_eq!(
            dns_name("domain", " Mail.Example.COM. ").unwrap(),
            "mail.example.com"
        );
        assert_eq!(dns_name("selector", "s2025_01-a").unwrap(), "s2025_01-a");
        for bad in ["", "a..b", "s; b=x", "sel\r\nX: y", "ü.example", "a b"] {
            assert!(dns_name("selector", bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn settings_parse_with_rsa_as_the_default_algorithm_and_refuse_unknown_keys() {
        let settings: DkimSettings = toml::from_str(
            r#"
            [[keys]]
            domain = "example.com"
            selector = "s1"
            private_key_file = "/etc/outreachd/dkim/s1.pem"

            [[keys]]
            domain = "example.com"
            selector = "ed1"
            private_key_file = "/etc/outreachd/dkim/ed1.pem"
            algorithm = "ed25519-sha256"
            "#,
        )
        .unwrap();
        assert_eq!(settings.keys[0].algorithm, DkimAlgorithm::RsaSha256);
        assert_eq!(settings.keys[1].algorithm, DkimAlgorithm::Ed25519Sha256);
        let unknown = toml::from_str::<DkimSettings>(
            "[[keys]]\ndomain = \"a\"\nselector = \"s\"\nprivate_key_file = \"k\"\nkey = \"x\"\n",
        );
        assert!(unknown.is_err());
        let bad_algorithm = toml::from_str::<DkimSettings>(
            "[[keys]]\ndomain = \"a\"\nselector = \"s\"\nprivate_key_file = \"k\"\nalgorithm = \"rsa-sha1\"\n",
        );
        assert!(bad_algorithm.is_err());
    }

    #[test]
    fn a_missing_key_file_is_an_error_naming_the_file() {
        let settings = DkimSettings {
            keys: vec![DkimKeyConfig {
                domain: "example.com".into(),
                selector: "s1".into(),
                private_key_file: "/nonexistent/dkim/s1.pem".into(),
                algorithm: DkimAlgorithm::RsaSha256,
            }],
        };
        let err = DkimSigners::from_settings(&settings)
            .unwrap_err()
            .to_string();
        assert!(err.contains("/nonexistent/dkim/s1.pem"), "{err}");
        assert!(err.contains("example.com") && err.contains("s1"), "{err}");
    }
}
