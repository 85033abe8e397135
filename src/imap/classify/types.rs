//! The classifier's answer (`Classification`, serialised as JSON for `outreachd classify`) and its
//! error. Plain data: the poller turns each variant into a store update.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::domain::{EmailAddress, SendId};

/// What an inbound message is, as far as our sends are concerned. `send_id` is the send the
/// message refers to when its headers (or the returned original) carry one of our Message-IDs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "class", rename_all = "snake_case")]
pub enum Classification {
    /// A person answered one of our sends. `send_id` is `None` when the match came from the
    /// fallback (the sender is a lead and the subject threads to one of ours): the poller then
    /// finds the lead by `lead_email`.
    Reply {
        send_id: Option<SendId>,
        lead_email: Option<EmailAddress>,
    },
    /// An automatic answer (out of office, vacation, ticket receipt). Never stops a lead like a
    /// reply does; `return_date` is when the sender says they are back, if they say so.
    AutoReply {
        send_id: Option<SendId>,
        email: Option<EmailAddress>,
        return_date: Option<NaiveDate>,
    },
    /// A delivery failure (or delay) report: one entry per affected recipient. `recipients` can
    /// be empty when the report names nobody we could parse; `send_id` comes from the returned
    /// original's Message-ID.
    Bounce {
        send_id: Option<SendId>,
        recipients: Vec<BounceRecipient>,
    },
    /// An ARF spam complaint (feedback loop report). `email` is the complaining recipient when
    /// the report names one (many providers redact it).
    Complaint {
        send_id: Option<SendId>,
        email: Option<EmailAddress>,
    },
    /// The sender asks to hear no more from us (in a reply, or a mail to the unsubscribe address).
    UnsubscribeRequest {
        send_id: Option<SendId>,
        email: Option<EmailAddress>,
    },
    /// Nothing to do with our sends.
    Unrelated,
}

/// One recipient of a bounce report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BounceRecipient {
    pub email: EmailAddress,
    /// The RFC 3463 enhanced status ("5.1.1"), from the DSN or the diagnostic text.
    pub status: Option<String>,
    pub kind: BounceKind,
    /// The remote server's words, whitespace collapsed, at most a few hundred characters.
    pub diagnostic: Option<String>,
}

/// Hard: the address or its domain does not exist, suppress it. Soft: anything else (full
/// mailbox, greylisting, policy or reputation blocks, delays, and every case we are unsure of),
/// because a false hard bounce throws a good lead away.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BounceKind {
    Hard,
    Soft,
}

/// Why a byte sequence could not be classified at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClassifyError {
    #[error("the message is empty")]
    Empty,
    #[error("the input has no header fields: it is not an e-mail message")]
    NoHeaders,
    /// The MIME parser (mail-parser) gave up with a panic on this input; caught and reported
    /// so one hostile message never stops a poller.
    #[error("the message is too malformed to parse")]
    Malformed,
}
