//! Outbound SMTP: one connection per mailbox (TCP_NODELAY, plain/STARTTLS/TLS, AUTH), message
//! building with lettre's builder (headers that cannot be injected, deterministic Message-ID,
//! List-Unsubscribe, DKIM), and classification of server replies into `StepOutcome`s.
//!
//! It never touches the store: callers record outcomes.
//!
//! The pieces: `message::build` turns an `OutgoingMessage` into an envelope and bytes;
//! `SmtpConnection` (or `OutboxTransport` for dry runs) sends them and answers a `Reply` or a
//! `SendError` naming the failed phase; `classify` maps either to a `StepOutcome`.
//! `DkimSigners` (built once from `DkimSettings`) signs with the From domain's keys:
//! `signers.build(&message)` is `build` plus DKIM.

mod auth;
mod classify;
mod connection;
mod dkim;
mod error;
mod failure;
mod headers;
mod message;
mod outbox;
mod payload;
mod pipelining;
mod probe;
mod quoted_printable;
mod reply;
mod stream;
mod tls;
mod unsubscribe;

pub use auth::choose_mechanism;
pub use classify::{classify, classify_error};
pub use connection::{SmtpConnection, SmtpEndpoint, Timeouts};
pub use dkim::{
    DkimAlgorithm, DkimError, DkimKeyConfig, DkimSettings, DkimSigner, DkimSigners, SIGNED_HEADERS,
};
pub use error::SmtpError;
pub use failure::{Cause, Phase, SendError};
pub use headers::{clean_body_text, clean_header_text, has_bare_line_break};
pub use message::{ListUnsubscribe, OutgoingMessage, build, build_signed, message_id_for};
pub use outbox::OutboxTransport;
pub use probe::probe;
pub use reply::{EnhancedStatus, Reply};
pub use tls::explain_certificate_error;
pub use unsubscribe::UnsubscribeSigner;

/// lettre's envelope type, re-exported so callers need not depend on lettre directly.
pub use lettre::address::Envelope;
