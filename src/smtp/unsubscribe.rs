//! One-click unsubscribe tokens: an HMAC-SHA256 of the send id under a server secret, so the
//! URL in `List-Unsubscribe` proves which send it came from and cannot be forged or enumerated.
//! The API's unsubscribe endpoint verifies with the same signer.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use sha2::Sha256;

use super::error::SmtpError;
use crate::domain::SendId;

/// Separates these MACs from any other use of the same key.
const CONTEXT: &[u8] = b"outreachd/unsubscribe/v1:";
/// 128 bits: plenty against guessing, short enough for a tidy URL (22 characters).
const TOKEN_BYTES: usize = 16;
const MIN_KEY_BYTES: usize = 32;

/// Signs and verifies unsubscribe tokens. The key never appears in Debug output.
pub struct UnsubscribeSigner {
    key: SecretSlice<u8>,
}

impl std::fmt::Debug for UnsubscribeSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("UnsubscribeSigner(..)")
    }
}

impl UnsubscribeSigner {
    pub fn new(key: &[u8]) -> Result<Self, SmtpError> {
        if key.len() < MIN_KEY_BYTES {
            return Err(SmtpError::WeakUnsubscribeKey {
                min: MIN_KEY_BYTES,
                got: key.len(),
            });
        }
        Ok(Self {
            key: SecretSlice::from(key.to_vec()),
        })
    }

    fn mac(&self, send_id: SendId) -> Hmac<Sha256> {
        // HMAC takes keys of any length; the length was checked in `new` anyway.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.key.expose_secret())
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
        mac.update(CONTEXT);
        mac.update(send_id.0.as_bytes());
        mac
    }

    /// The token for one send: 22 URL-safe characters.
    pub fn token(&self, send_id: SendId) -> String {
        let tag = self.mac(send_id).finalize().into_bytes();
        URL_SAFE_NO_PAD.encode(&tag[..TOKEN_BYTES])
    }

    /// Checks a token in constant time.
    pub fn verify(&self, send_id: SendId, token: &str) -> bool {
        let Ok(tag) = URL_SAFE_NO_PAD.decode(token) else {
            return false;
        };
        tag.len() == TOKEN_BYTES && self.mac(send_id).verify_truncated_left(&tag).is_ok()
    }

    /// `{base}/{send id}/{token}`, e.g. `https://t.example.com/unsubscribe/0190f5…/Xk3…`.
    pub fn one_click_url(&self, base_url: &str, send_id: SendId) -> String {
        format!(
            "{}/{}/{}",
            base_url.trim_end_matches('/'),
            send_id.0.simple(),
            self.token(send_id)
        )
    }
}

#[cfg(test)]
mod tests {
    use uuid::Uuid;

    use super::*;

    fn signer() -> UnsubscribeSigner {
        UnsubscribeSigner::new(&[7u8; 32]).unwrap()
    }

    #[test]
    fn a_token_verifies_for_its_own_send_only() {
        let a = SendId(Uuid::from_u128(1));
        let b = SendId(Uuid::from_u128(2));
        let token = signer().token(a);
        assert_eq!(token.len(), 22);
        assert!(signer().verify(a, &token));
        assert!(!signer().verify(b, &token));
        assert!(!signer().verify(a, "not-base64!"));
        assert!(!signer().verify(a, &token[..10]));
        let other_key = UnsubscribeSigner::new(&[8u8; 32]).unwrap();
        assert!(!other_key.verify(a, &token));
    }

    #[test]
    fn short_keys_are_refused_and_the_key_is_never_printed() {
        assert!(matches!(
            UnsubscribeSigner::new(b"short"),
            Err(SmtpError::WeakUnsubscribeKey { min: 32, got: 5 })
        ));
        assert_eq!(format!("{:?}", signer()), "UnsubscribeSigner(..)");
    }

    #[test]
    fn one_click_urls_join_base_send_and_token() {
        let id = SendId(Uuid::from_u128(1));
        let url = signer().one_click_url("https://t.example.com/unsubscribe/", id);
        assert_eq!(
            url,
            format!(
                "https://t.example.com/unsubscribe/00000000000000000000000000000001/{}",
                signer().token(id)
            )
        );
    }
}
