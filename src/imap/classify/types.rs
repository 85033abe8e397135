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
    /// What the failure is about: the recipient, our sender, the message, or a passing state.
    pub cause: BounceCause,
    /// The remote server's words, whitespace collapsed, at most a few hundred characters.
    pub diagnostic: Option<String>,
    /// Set when the evidence points both ways between hard and soft: the lead is paused for a
    /// person to decide instead of being suppressed or mailed again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub needs_review: bool,
}

/// What a failed delivery is about. Only `recipient` is ever hard; `sender` says the remote
/// side rejects *our* mailbox (its address, domain, authentication or reverse DNS), which is a
/// problem of the mailbox, never of the lead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BounceCause {
    /// The address or its domain does not exist or accepts no mail.
    Recipient,
    /// The mailbox exists but is full.
    MailboxFull,
    /// The account exists but is disabled, suspended or inactive.
    Inactive,
    /// Spam, content, blocklist or other policy rejection of the message or our IP.
    Policy,
    /// Our sender address, domain, authentication (SPF, DKIM, DMARC) or reverse DNS.
    Sender,
    /// A delay, greylisting, rate limit or other temporary condition.
    Transient,
    /// Nothing in the report says why.
    Unknown,
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

/// The classifier's whole answer: the classification, how sure it is, whether a person should
/// decide, and the evidence (which header, which line) it rests on. `outreachd classify`
/// prints it; the poller records it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Judgement {
    #[serde(flatten)]
    pub classification: Classification,
    pub confidence: Confidence,
    /// Set when the classifier is unsure between two readings that lead to different actions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub needs_review: Option<ReviewReason>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
}

/// How sure the classifier is. `low` always comes with `needs_review`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

/// The two readings a review chooses between.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewReason {
    /// A reply that may be asking to be removed, or an opt-out word that may mean something else.
    UnsubscribeOrReply,
    /// A bounce whose status code and words disagree about whether the address exists.
    HardOrSoft,
}

impl ReviewReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnsubscribeOrReply => "unsubscribe_or_reply",
            Self::HardOrSoft => "hard_or_soft",
        }
    }
}

/// One fact a rule relied on: the rule's name, where it looked (`header Auto-Submitted`,
/// `subject`, `body line 3`, `part message/delivery-status`), and the text it saw (clipped).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    pub rule: String,
    pub at: String,
    pub text: String,
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
