//! AES-256-GCM encryption of mailbox passwords at rest, and loading of the key.
//!
//! Ciphertext layout: `nonce (12 bytes) || ciphertext || tag (16 bytes)`, with a fresh random
//! nonce per encryption. The associated data binds a ciphertext to its purpose so a password
//! blob cannot be replayed as, say, the key-check canary.

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};

const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum CipherError {
    #[error(
        "encryption key must be 32 bytes encoded as base64 (e.g. `openssl rand -base64 32`); got {0} bytes"
    )]
    BadKeyLength(usize),
    #[error("encryption key is not valid base64")]
    BadKeyEncoding,
    #[error(
        "cannot decrypt a stored secret: the encryption key is not the one it was written with, or the data is corrupt"
    )]
    Decrypt,
    #[error("failed to read encryption key file {path}: {source}")]
    ReadKeyFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("failed to create encryption key file {path}: {source}")]
    WriteKeyFile {
        path: PathBuf,
        source: std::io::Error,
    },
}

/// What the ciphertext protects; used as AEAD associated data.
#[derive(Clone, Copy, Debug)]
pub enum SecretPurpose {
    SmtpPassword,
    ImapPassword,
    KeyCheck,
}

impl SecretPurpose {
    fn aad(self) -> &'static [u8] {
        match self {
            Self::SmtpPassword => b"outreachd/v1/smtp-password",
            Self::ImapPassword => b"outreachd/v1/imap-password",
            Self::KeyCheck => b"outreachd/v1/key-check",
        }
    }
}

/// Encrypts and decrypts secrets with the workspace-wide data key. Its `Debug` shows nothing.
#[derive(Clone)]
pub struct SecretCipher {
    aead: Aes256Gcm,
    /// Raw key, kept only to derive purpose-bound subkeys (see [`SecretCipher::derive_key`]).
    key: secrecy::SecretSlice<u8>,
}

impl fmt::Debug for SecretCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretCipher([redacted])")
    }
}

impl SecretCipher {
    /// From the base64 text form used in config, env and key files.
    pub fn from_base64(key: &SecretString) -> Result<Self, CipherError> {
        let bytes = B64
            .decode(key.expose_secret().trim())
            .map_err(|_| CipherError::BadKeyEncoding)?;
        Self::from_bytes(&bytes)
    }

    pub fn from_bytes(key: &[u8]) -> Result<Self, CipherError> {
        let aead =
            Aes256Gcm::new_from_slice(key).map_err(|_| CipherError::BadKeyLength(key.len()))?;
        Ok(Self {
            aead,
            key: secrecy::SecretSlice::from(key.to_vec()),
        })
    }

    /// A 32-byte key for another purpose (e.g. signing unsubscribe links), derived with
    /// HMAC-SHA256 so it reveals nothing about the data key and needs no extra configuration.
    pub fn derive_key(&self, label: &str) -> [u8; 32] {
        use hmac::{Hmac, KeyInit, Mac};
        let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(self.key.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(b"outreachd/v1/derive:");
        mac.update(label.as_bytes());
        mac.finalize().into_bytes().into()
    }

    pub fn encrypt(&self, purpose: SecretPurpose, plaintext: &str) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::rng().fill_bytes(&mut nonce);
        let payload = Payload {
            msg: plaintext.as_bytes(),
            aad: purpose.aad(),
        };
        let sealed = self
            .aead
            .encrypt(&Nonce::from(nonce), payload)
            // AES-GCM only fails for inputs over 64 GiB; a password is never that long.
            .unwrap_or_default();
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    pub fn decrypt(
        &self,
        purpose: SecretPurpose,
        blob: &[u8],
    ) -> Result<SecretString, CipherError> {
        if blob.len() < NONCE_LEN + 16 {
            return Err(CipherError::Decrypt);
        }
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CipherError::Decrypt)?;
        let plain = self
            .aead
            .decrypt(
                &Nonce::from(nonce),
                Payload {
                    msg: sealed,
                    aad: purpose.aad(),
                },
            )
            .map_err(|_| CipherError::Decrypt)?;
        let text = String::from_utf8(plain).map_err(|_| CipherError::Decrypt)?;
        Ok(SecretString::from(text))
    }
}

/// Reads a key file (base64 text).
pub fn read_key_file(path: &Path) -> Result<SecretCipher, CipherError> {
    let text = std::fs::read_to_string(path).map_err(|source| CipherError::ReadKeyFile {
        path: path.to_owned(),
        source,
    })?;
    SecretCipher::from_base64(&SecretString::from(text))
}

/// Creates a new random key file readable only by its owner (0600). Fails if it exists, so a
/// race between two processes can never leave them with different keys.
pub fn create_key_file(path: &Path) -> Result<SecretCipher, CipherError> {
    let write_err = |source| CipherError::WriteKeyFile {
        path: path.to_owned(),
        source,
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(write_err)?;
    }
    let mut key = [0u8; 32];
    rand::rng().fill_bytes(&mut key);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(write_err)?;
    file.write_all(format!("{}\n", B64.encode(key)).as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(write_err)?;
    SecretCipher::from_bytes(&key)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher() -> SecretCipher {
        SecretCipher::from_bytes(&[7u8; 32]).unwrap()
    }

    #[test]
    fn a_secret_round_trips_and_nonces_differ() {
        let c = cipher();
        let a = c.encrypt(SecretPurpose::SmtpPassword, "hunter2");
        let b = c.encrypt(SecretPurpose::SmtpPassword, "hunter2");
        assert_ne!(a, b, "nonces must be fresh");
        let back = c.decrypt(SecretPurpose::SmtpPassword, &a).unwrap();
        assert_eq!(back.expose_secret(), "hunter2");
    }

    #[test]
    fn the_wrong_key_or_purpose_cannot_decrypt() {
        let blob = cipher().encrypt(SecretPurpose::SmtpPassword, "hunter2");
        let other = SecretCipher::from_bytes(&[8u8; 32]).unwrap();
        assert!(matches!(
            other.decrypt(SecretPurpose::SmtpPassword, &blob),
            Err(CipherError::Decrypt)
        ));
        assert!(matches!(
            cipher().decrypt(SecretPurpose::ImapPassword, &blob),
            Err(CipherError::Decrypt)
        ));
        assert!(matches!(
            cipher().decrypt(SecretPurpose::SmtpPassword, b"short"),
            Err(CipherError::Decrypt)
        ));
    }

    #[test]
    fn derived_keys_depend_on_label_and_key() {
        let a = cipher().derive_key("links");
        assert_eq!(a, cipher().derive_key("links"));
        assert_ne!(a, cipher().derive_key("other"));
        assert_ne!(
            a,
            SecretCipher::from_bytes(&[8u8; 32])
                .unwrap()
                .derive_key("links")
        );
    }

    #[test]
    fn bad_keys_are_named() {
        assert!(matches!(
            SecretCipher::from_bytes(&[1u8; 16]),
            Err(CipherError::BadKeyLength(16))
        ));
        let bad = SecretString::from("not base64!!".to_owned());
        assert!(matches!(
            SecretCipher::from_base64(&bad),
            Err(CipherError::BadKeyEncoding)
        ));
        assert_eq!(format!("{:?}", cipher()), "SecretCipher([redacted])");
    }

    #[test]
    fn key_files_are_created_private_and_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/encryption.key");
        let created = create_key_file(&path).unwrap();
        let blob = created.encrypt(SecretPurpose::KeyCheck, "x");
        let read = read_key_file(&path).unwrap();
        assert_eq!(
            read.decrypt(SecretPurpose::KeyCheck, &blob)
                .unwrap()
                .expose_secret(),
            "x"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        assert!(matches!(
            create_key_file(&path),
            Err(CipherError::WriteKeyFile { .. })
        ));
    }
}
