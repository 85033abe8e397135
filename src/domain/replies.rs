//! Lead replies and their answers: the words of a reply that stopped a lead's sequence, the
//! answer a model drafted for it, and what a person decided. An answer leaves only once
//! approved, from the mailbox the lead wrote to, in the lead's thread.
//!
//! States: `pending` (no draft yet) -> `drafted` -> `approved` -> `sending` -> `sent | failed |
//! unknown`; `discarded` before sending. A person edits a `pending` or `drafted` answer,
//! approves a `drafted` one, discards any not yet sending; every other move is refused.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::status::{StatusParseError, string_enum};
use super::{CampaignId, CampaignLeadId, LeadId, LeadReplyId, MailboxId, WorkspaceId};

/// Bytes of a reply's text kept: enough for any question, bounded for hostile input.
pub const REPLY_TEXT_BYTES: usize = 8 * 1024;
/// Bytes of a reply's subject kept.
pub const REPLY_SUBJECT_BYTES: usize = 512;
/// Bytes of an answer's body a person or a model may write.
pub const ANSWER_BODY_BYTES: usize = 16 * 1024;

string_enum!(
    /// Where a reply's answer stands.
    ReplyStatus, "reply status" {
        /// No answer drafted yet (drafting is off, failed, or waits its turn).
        Pending => "pending",
        /// An answer waits for a person.
        Drafted => "drafted",
        /// Approved: waits for its mailbox to send it.
        Approved => "approved",
        /// Handed to the SMTP server; the outcome is not recorded yet.
        Sending => "sending",
        Sent => "sent",
        /// The server refused it for good (or it could not be built).
        Failed => "failed",
        /// Was being sent when the daemon stopped: the server may have accepted it, so it is
        /// never sent again automatically.
        Unknown => "unknown",
        Discarded => "discarded",
    }
);

/// The words of an inbound reply, as the poller keeps them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplyContent {
    /// The Message-ID header as written (`<…>`), which an answer names in `In-Reply-To`.
    pub message_id: String,
    pub subject: String,
    /// What the lead wrote above the quoted history, signature cut, at most
    /// [`REPLY_TEXT_BYTES`].
    pub text: String,
}

/// One reply with its answer, as listed and shown.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LeadReply {
    pub id: LeadReplyId,
    pub campaign_id: CampaignId,
    pub campaign_lead_id: CampaignLeadId,
    pub mailbox_id: MailboxId,
    /// The mailbox's address: the answer's From.
    pub mailbox: String,
    /// The lead's address: the answer's To.
    pub lead_email: String,
    /// The reply's Message-ID.
    pub message_id: String,
    pub subject: String,
    /// The reply's new text (quoted history and signature cut).
    pub body: String,
    pub received_at: DateTime<Utc>,
    pub status: ReplyStatus,
    pub draft_subject: Option<String>,
    pub draft_body: Option<String>,
    /// The provider and model that drafted the answer (`person` once a person edited it).
    pub draft_provider: Option<String>,
    pub draft_model: Option<String>,
    /// Why the last drafting attempt failed.
    pub draft_error: Option<String>,
    pub drafted_at: Option<DateTime<Utc>>,
    /// Who approved, edited last or discarded: `user:<id>`, `token:<id>`, `cli` or `auto`.
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    /// The answer's Message-ID once it was handed to the server.
    pub sent_message_id: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    /// Why sending failed, or why the outcome is unknown.
    pub send_error: Option<String>,
}

/// Which replies to list: by status and campaign, by id after `after`, at most `limit`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct ReplyFilter {
    pub status: Option<ReplyStatus>,
    pub campaign: Option<CampaignId>,
    pub after: Option<LeadReplyId>,
    pub limit: u32,
}

/// One of our messages in the lead's thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ThreadMessage {
    pub step_order: u32,
    pub subject: String,
    pub body: String,
}

/// What drafting an answer reads: the thread, the lead's persona, the product, the goal.
#[derive(Clone, Debug, PartialEq)]
pub struct DraftInputs {
    /// Who pays for the draft, and the lead it answers (for the usage row).
    pub workspace_id: WorkspaceId,
    pub lead_id: LeadId,
    pub reply: LeadReply,
    /// Our messages to the lead, in step order.
    pub thread: Vec<ThreadMessage>,
    pub lead_name: Option<String>,
    pub lead_company: Option<String>,
    pub persona: Option<serde_json::Value>,
    pub product_name: Option<String>,
    pub product_description: Option<String>,
    pub campaign_goal: String,
}

/// An approved answer, claimed for its mailbox to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReplySendJob {
    pub id: LeadReplyId,
    pub mailbox_id: MailboxId,
    pub lead_email: String,
    pub lead_name: Option<String>,
    pub subject: String,
    pub body: String,
    /// The reply's Message-ID (`In-Reply-To`).
    pub in_reply_to: String,
    /// Our first message of the thread, when known (first in `References`).
    pub thread_message_id: Option<String>,
}

/// How sending an approved answer ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplySendOutcome {
    Sent {
        message_id: String,
        /// The mailbox's local date the send counts on.
        count_date: chrono::NaiveDate,
    },
    /// Refused for good: not sent again.
    Failed { reason: String },
    /// Try again at `at` (the server asked us to wait; nothing was accepted).
    Retry { at: DateTime<Utc>, reason: String },
    /// The server may have accepted it: never sent again automatically.
    Unknown {
        message_id: String,
        reason: String,
        count_date: chrono::NaiveDate,
    },
}
