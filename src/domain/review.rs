//! Reviews: inbound messages the classifier could not read with confidence (a reply that may
//! be an opt-out, a bounce that may be hard or soft). The message's lead waits `paused` until a
//! person picks the reading (`ReviewResolution`); the store then applies that reading's
//! actions as the poller would have.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::status::{StatusParseError, string_enum};
use super::{MailboxId, ReviewId};

/// The `stop_reason` prefix of a campaign lead paused for a review: resolving the review makes
/// only such leads active again (a lead an operator paused stays paused).
pub const REVIEW_STOP_PREFIX: &str = "needs review";

string_enum!(
    /// The reading a person chose for a message under review.
    ReviewResolution, "review resolution" {
        /// A reply: the lead stops as the campaign's reply rules say.
        Reply => "reply",
        /// An opt-out: the address is suppressed and the lead stops everywhere.
        Unsubscribe => "unsubscribe",
        /// A hard bounce: the address is suppressed and the lead stops everywhere.
        Hard => "hard",
        /// A soft bounce: counted toward the soft-bounce limit; the lead is active again.
        Soft => "soft",
        /// Nothing to do: the lead is active again.
        Dismiss => "dismiss",
    }
);

string_enum!(
    /// Whether a review still waits for a person.
    ReviewStatus, "review status" {
        Open => "open",
        Resolved => "resolved",
    }
);

/// One message under review (or reviewed), as listed and shown.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct InboundReview {
    pub id: ReviewId,
    pub mailbox_id: MailboxId,
    /// The mailbox's address.
    pub mailbox: String,
    /// The message's Message-ID (or `sha256:…` of its head when it had none).
    pub message_id: String,
    pub folder: String,
    pub received_at: DateTime<Utc>,
    /// `unsubscribe_or_reply` or `hard_or_soft`.
    pub reason: String,
    /// The classifier's answer: `class` and its fields, `confidence`, `needs_review`.
    #[schema(value_type = Object)]
    pub classification: serde_json::Value,
    /// What the classification rests on: `{rule, at, text}` each.
    #[schema(value_type = Vec<Object>)]
    pub evidence: Vec<serde_json::Value>,
    /// The lead the review is about, when one was found.
    pub lead_email: Option<String>,
    pub status: ReviewStatus,
    pub resolution: Option<ReviewResolution>,
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Who resolved it: `user:<id>` or `token:<id>` over the API, `cli` from the command line.
    pub resolved_by: Option<String>,
}

/// Which reviews to list: open, resolved or both, by id after `after`, at most `limit`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ReviewFilter {
    pub status: Option<ReviewStatus>,
    pub after: Option<ReviewId>,
    pub limit: u32,
}
