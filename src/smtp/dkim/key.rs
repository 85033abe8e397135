//! DKIM private keys from files into lettre's `DkimSigningKey`.
//!
//! lettre takes RSA keys only as PKCS#1 PEM and Ed25519 keys only as the base64 of the 32-byte
//! seed, while tools write other shapes: `openssl genpkey` writes PKCS#8 for both algorithms,
//! dkimpy's `dknewkey` writes PKCS#1 for RSA and the bare base64 seed for Ed25519. This file
//! unwraps PKCS#8 with a minimal DER reader (three nested fields, nothing more) and hands lettre
//! the shape it wants. Key bytes live in `Zeroizing` buffers and never reach an error message.

use secrecy::zeroize::Zeroizing;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use lettre::message::dkim::{DkimSigningAlgorithm, DkimSigningKey};

use super::DkimAlgorithm;

/// rsaEncryption, 1.2.840.113549.1.1.1.
const OID_RSA: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
/// id-Ed25519, 1.3.101.112 (RFC 8410).
const OID_ED25519: &[u8] = &[0x2b, 0x65, 0x70];
/// RFC 8301: verifiers must refuse RSA keys under 1024 bits, so signing with one is useless
/// (and lettre would panic below 512).
pub(super) const MIN_RSA_BITS: usize = 1024;

/// A key ready for lettre, with the RSA modulus size for a start-up warning.
pub(super) struct ParsedKey {
    pub key: DkimSigningKey,
    pub rsa_bits: Option<usize>,
}

/// Parses the text of a key file. The error is a short reason naming no key material; the
/// caller adds the file name.
pub(super) fn parse(text: &str, algorithm: DkimAlgorithm) -> Result<ParsedKey, String> {
    match algorithm {
        DkimAlgorithm::RsaSha256 => rsa(text),
        DkimAlgorithm::Ed25519Sha256 => ed25519(text),
    }
}

fn rsa(text: &str) -> Result<ParsedKey, String> {
    let pem = Pem::find(text)?.ok_or("no PEM block found (expected an RSA private key)")?;
    let pkcs1: &[u8] = match pem.label.as_str() {
        "RSA PRIVATE KEY" => &pem.der,
        "PRIVATE KEY" => match pkcs8(&pem.der)? {
            (OID_RSA, inner) => inner,
            (OID_ED25519, _) => return Err("holds an Ed25519 key, not RSA".to_owned()),
            _ => return Err("holds a PKCS#8 key of an unsupported algorithm".to_owned()),
        },
        other => return Err(unexpected_label(other)),
    };
    let bits = rsa_modulus_bits(pkcs1)?;
    if bits < MIN_RSA_BITS {
        return Err(format!(
            "the RSA key has {bits} bits; receivers ignore signatures under {MIN_RSA_BITS} (use 2048)"
        ));
    }
    let pkcs1_pem = pem_encode("RSA PRIVATE KEY", pkcs1);
    let key = DkimSigningKey::new(&pkcs1_pem, DkimSigningAlgorithm::Rsa)
        .map_err(|e| format!("lettre refused the RSA key: {e}"))?;
    Ok(ParsedKey {
        key,
        rsa_bits: Some(bits),
    })
}

fn ed25519(text: &str) -> Result<ParsedKey, String> {
    let seed: Zeroizing<Vec<u8>> = match Pem::find(text)? {
        Some(pem) if pem.label == "PRIVATE KEY" => match pkcs8(&pem.der)? {
            // RFC 8410: the private key field holds an OCTET STRING with the 32-byte seed.
            (OID_ED25519, inner) => Zeroizing::new(Der(inner).next(TAG_OCTET_STRING)?.to_vec()),
            (OID_RSA, _) => return Err("holds an RSA key, not Ed25519".to_owned()),
            _ => return Err("holds a PKCS#8 key of an unsupported algorithm".to_owned()),
        },
        Some(pem) if pem.label == "RSA PRIVATE KEY" => {
            return Err("holds an RSA key, not Ed25519".to_owned());
        }
        Some(pem) => return Err(unexpected_label(&pem.label)),
        // dknewkey's format: the base64 seed alone.
        None => Zeroizing::new(
            STANDARD
                .decode(text.trim())
                .map_err(|_| "neither PEM nor a base64 Ed25519 seed")?,
        ),
    };
    if seed.len() != 32 {
        return Err(format!(
            "an Ed25519 seed has 32 bytes, this one {}",
            seed.len()
        ));
    }
    let encoded = Zeroizing::new(STANDARD.encode(&*seed));
    let key = DkimSigningKey::new(&encoded, DkimSigningAlgorithm::Ed25519)
        .map_err(|e| format!("lettre refused the Ed25519 key: {e}"))?;
    Ok(ParsedKey {
        key,
        rsa_bits: None,
    })
}

fn unexpected_label(label: &str) -> String {
    if label.contains("ENCRYPTED") {
        "the key is encrypted; store it decrypted (openssl pkey -in KEY -out PLAIN) with mode 0600"
            .to_owned()
    } else {
        format!("unexpected PEM block \"{label}\" (expected a private key)")
    }
}

/// The first PEM block of a file.
struct Pem {
    label: String,
    der: Zeroizing<Vec<u8>>,
}

impl Pem {
    /// `Ok(None)` when the text has no BEGIN line at all.
    fn find(text: &str) -> Result<Option<Pem>, String> {
        let mut lines = text.lines().map(str::trim);
        let Some(label) = lines.by_ref().find_map(|l| {
            l.strip_prefix("-----BEGIN ")
                .and_then(|l| l.strip_suffix("-----"))
        }) else {
            return Ok(None);
        };
        let end = format!("-----END {label}-----");
        let mut body = Zeroizing::new(String::new());
        let mut closed = false;
        for line in lines {
            if line == end {
                closed = true;
                break;
            }
            // RFC 1421 headers ("Proc-Type: 4,ENCRYPTED") mark a legacy encrypted key.
            if line.contains(':') {
                return Err(unexpected_label("ENCRYPTED"));
            }
            body.push_str(line);
        }
        if !closed {
            return Err(format!("the PEM block \"{label}\" has no END line"));
        }
        let der = STANDARD
            .decode(body.as_bytes())
            .map_err(|_| format!("the PEM block \"{label}\" is not valid base64"))?;
        Ok(Some(Pem {
            label: label.to_owned(),
            der: Zeroizing::new(der),
        }))
    }
}

fn pem_encode(label: &str, der: &[u8]) -> Zeroizing<String> {
    let b64 = Zeroizing::new(STANDARD.encode(der));
    let mut out = Zeroizing::new(format!("-----BEGIN {label}-----\n"));
    // Lines of 64 characters, as RFC 7468 (and the `pem-rfc7468` crate under `rsa`) require.
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

const TAG_INTEGER: u8 = 0x02;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_OID: u8 = 0x06;
const TAG_SEQUENCE: u8 = 0x30;

/// `PrivateKeyInfo` (RFC 5208): the algorithm OID and the private key field's contents.
fn pkcs8(der: &[u8]) -> Result<(&[u8], &[u8]), String> {
    let mut info = Der(Der(der).next(TAG_SEQUENCE)?);
    info.next(TAG_INTEGER)?; // version
    let oid = Der(info.next(TAG_SEQUENCE)?).next(TAG_OID)?;
    let key = info.next(TAG_OCTET_STRING)?;
    Ok((oid, key))
}

/// The size of an `RSAPrivateKey`'s (RFC 8017) modulus in bits.
fn rsa_modulus_bits(pkcs1: &[u8]) -> Result<usize, String> {
    let mut key = Der(Der(pkcs1).next(TAG_SEQUENCE)?);
    key.next(TAG_INTEGER)?; // version
    let modulus = key.next(TAG_INTEGER)?;
    let significant: &[u8] = match modulus.iter().position(|&b| b != 0) {
        Some(first) => &modulus[first..],
        None => &[],
    };
    Ok(match significant.first() {
        Some(&top) => significant.len() * 8 - top.leading_zeros() as usize,
        None => 0,
    })
}

/// Reads DER fields one after another: just enough for the two structures above.
struct Der<'a>(&'a [u8]);

impl<'a> Der<'a> {
    /// The contents of the next field, which must carry `tag`.
    fn next(&mut self, tag: u8) -> Result<&'a [u8], String> {
        let malformed = || "the key is not well-formed DER".to_owned();
        let (&found, rest) = self.0.split_first().ok_or_else(malformed)?;
        if found != tag {
            return Err(malformed());
        }
        let (&first, mut rest) = rest.split_first().ok_or_else(malformed)?;
        let len = if first < 0x80 {
            usize::from(first)
        } else {
            let n = usize::from(first & 0x7f);
            if n == 0 || n > 4 || rest.len() < n {
                return Err(malformed());
            }
            let (len_bytes, after) = rest.split_at(n);
            rest = after;
            len_bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
        };
        if rest.len() < len {
            return Err(malformed());
        }
        let (contents, after) = rest.split_at(len);
        self.0 = after;
        Ok(contents)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ed25519 PKCS#8 key as `openssl genpkey -algorithm ed25519` writes it, for a seed.
    fn ed25519_pkcs8_pem(seed: [u8; 32]) -> String {
        let mut der = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        der.extend_from_slice(&seed);
        pem_encode("PRIVATE KEY", &der).to_string()
    }

    #[test]
    fn ed25519_keys_are_read_from_pkcs8_pem_and_from_a_bare_base64_seed() {
        let pem = ed25519_pkcs8_pem([7; 32]);
        assert!(parse(&pem, DkimAlgorithm::Ed25519Sha256).is_ok());
        let bare = STANDARD.encode([7u8; 32]);
        assert!(parse(&format!("{bare}\n"), DkimAlgorithm::Ed25519Sha256).is_ok());
    }

    #[test]
    fn a_key_of_the_other_algorithm_is_named_as_such() {
        let pem = ed25519_pkcs8_pem([7; 32]);
        let err = parse(&pem, DkimAlgorithm::RsaSha256).err().unwrap();
        assert!(err.contains("Ed25519 key, not RSA"), "{err}");
    }

    #[test]
    fn malformed_and_encrypted_keys_are_refused_without_quoting_them() {
        let cases = [
            ("", DkimAlgorithm::RsaSha256, "no PEM block"),
            ("c2VjcmV0", DkimAlgorithm::Ed25519Sha256, "32 bytes"),
            (
                "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n-----END PRIVATE KEY-----\n",
                DkimAlgorithm::Ed25519Sha256,
                "not well-formed DER",
            ),
            (
                "-----BEGIN ENCRYPTED PRIVATE KEY-----\nc2VjcmV0\n-----END ENCRYPTED PRIVATE KEY-----\n",
                DkimAlgorithm::RsaSha256,
                "encrypted",
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nc2VjcmV0\n-----END RSA PRIVATE KEY-----\n",
                DkimAlgorithm::RsaSha256,
                "encrypted",
            ),
            (
                "-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0\n",
                DkimAlgorithm::RsaSha256,
                "no END line",
            ),
        ];
        for (text, algorithm, expected) in cases {
            let err = parse(text, algorithm).err().unwrap();
            assert!(err.contains(expected), "{text:?}: {err}");
            assert!(
                !err.contains("c2VjcmV0") && !err.contains("secret"),
                "{err}"
            );
        }
    }

    #[test]
    fn rsa_modulus_size_is_counted_in_significant_bits() {
        // SEQUENCE { INTEGER 0, INTEGER 0x00ff.. (a 1-byte modulus with a sign byte) }
        let der = [0x30, 0x07, 0x02, 0x01, 0x00, 0x02, 0x02, 0x00, 0x7f];
        assert_eq!(rsa_modulus_bits(&der).unwrap(), 7);
        let long_form = [0x30, 0x81, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01];
        assert_eq!(rsa_modulus_bits(&long_form).unwrap(), 1);
    }
}
