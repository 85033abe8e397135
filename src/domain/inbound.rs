//! Types of the inbound half: IMAP checkpoints, what an inbound message does to our
//! leads (`InboundAction`), and the reconciliation of `unknown` sends against the Sent folder.
//!
//! Each inbound message is recorded once per mailbox, keyed by its Message-ID, in the same
//! transaction as its actions: re-fetching it (a UIDVALIDITY reset, reused UIDs, two daemons)
//! changes nothing the second time.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{MailboxId, SendId, WorkspaceId};
use crate::imap::classify::ReviewReason;

/// How far the poller has read one folder. A different `uidvalidity` on the server means the
/// UIDs were renumbered: the folder is read again from the start (duplicates are harmless).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImapCheckpoint {
    pub folder: String,
    pub uidvalidity: u32,
    pub last_uid: u32,
}

/// The poller's view of its server, shown to operators (`mailboxes.imap_status`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImapStatus {
    /// `ok`, `auth_failed` or `error`.
    pub status: String,
    /// The server's words (auth failures) or the error, never a secret.
    pub reason: Option<String>,
}

/// Known to the fallback reply match: lead addresses enrolled through one mailbox and the
/// subjects of their first messages.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MailboxLeads {
    pub emails: Vec<String>,
    pub subjects: Vec<String>,
}

/// One inbound message and what it asks of the store.
#[derive(Clone, Debug)]
pub struct InboundRecord {
    pub workspace_id: WorkspaceId,
    pub mailbox_id: MailboxId,
    /// The Message-ID, or a content hash for a message without one (the idempotency key).
    pub message_id: String,
    pub folder: String,
    /// `reply`, `auto_reply`, `bounce`, `complaint`, `unsubscribe_request` or `unrelated`.
    pub class: &'static str,
    pub received_at: DateTime<Utc>,
    pub actions: Vec<InboundAction>,
    /// Set when the classifier asks a person to choose between two readings: the message is
    /// listed as a review (see `domain::review`).
    pub needs_review: Option<ReviewReason>,
    /// The classifier's judgement (classification, confidence, evidence) as JSON, kept with a
    /// message under review so the person sees what it rests on and its resolution can act.
    pub judgement: Option<serde_json::Value>,
    /// A reply's own words, kept with the lead it stops so an answer can be drafted.
    pub reply: Option<super::ReplyContent>,
}

/// Hard or soft, as the classifier decided (soft when unsure).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BounceSeverity {
    Hard,
    Soft,
}

/// Why an address is suppressed from an inbound message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OptOut {
    Complaint,
    Unsubscribe,
}

/// What one inbound message does. The target campaign lead is the send's (`send_id`, checked
/// to belong to the mailbox) or, without one, the latest enrolment of the lead with `email`
/// through this mailbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum InboundAction {
    /// The lead is `replied` (if the campaign stops on reply), a `reply` event is stored, and
    /// by the campaign's rules its other campaigns and its company's leads stop too.
    Reply {
        send_id: Option<SendId>,
        email: Option<String>,
    },
    /// An `auto_reply` event; an active lead's next step is not due before `resume_at`.
    AutoReply {
        send_id: Option<SendId>,
        email: Option<String>,
        resume_at: Option<DateTime<Utc>>,
    },
    /// Hard: the lead is `bounced` everywhere in the workspace and the address suppressed.
    /// Soft: a `bounce_soft` event; the `soft_limit`-th soft bounce of a campaign lead stops it
    /// (`bounced`, not suppressed).
    Bounce {
        send_id: Option<SendId>,
        email: String,
        severity: BounceSeverity,
        status: Option<String>,
        diagnostic: Option<String>,
        soft_limit: u32,
    },
    /// The address is suppressed and the lead stops in every campaign of the workspace.
    OptOut {
        kind: OptOut,
        send_id: Option<SendId>,
        email: Option<String>,
    },
    /// The classifier is unsure between two readings: an active lead is `paused` (its next
    /// step kept for when it is active again) with a `stop_reason` naming the review, and a
    /// `needs_review` event is stored. Nothing is suppressed and nothing more is mailed until
    /// a person resolves the review.
    Review {
        send_id: Option<SendId>,
        email: Option<String>,
        reason: ReviewReason,
    },
    /// A remote server refused *our* mailbox (sender domain, SPF/DKIM/DMARC, reverse DNS): a
    /// `bounce_sender` event on the lead, which stays as it is (not a soft bounce toward the
    /// limit), and the mailbox is paused with the server's words as the reason.
    SenderBounce {
        send_id: Option<SendId>,
        email: String,
        status: Option<String>,
        diagnostic: Option<String>,
    },
}

/// What recording one inbound message did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InboundOutcome {
    /// Seen before (same mailbox and Message-ID): nothing was changed.
    pub duplicate: bool,
    /// Actions that found their campaign lead (or, for opt-outs and bounces, their address).
    pub matched: u32,
    /// Campaign leads stopped (any status change away from `active`).
    pub stopped: u32,
    /// A hard bounce was applied: the caller checks the mailbox's bounce rate.
    pub hard_bounces: u32,
    /// Campaign leads paused for a review.
    pub paused_for_review: u32,
    /// The mailbox was paused because a server refused our sender.
    pub mailbox_paused: bool,
    /// The reply kept for an answer (a reply that stopped its lead), to draft.
    pub reply: Option<super::LeadReplyId>,
}

/// An `unknown` send of a mailbox, to look for in its Sent folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownSend {
    pub send_id: SendId,
    pub message_id: String,
    pub step_order: u32,
    /// When it became `unknown` (the Sent folder may lag a little behind).
    pub since: DateTime<Utc>,
}

/// What the Sent folder said about an `unknown` send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnknownResolution {
    /// Found: the send is `sent` (at its recorded time) and the lead advances.
    Sent,
    /// Not found and the mailbox's Sent folder is authoritative: send it again from `at`.
    Resend { at: DateTime<Utc> },
}

/// A mailbox's recent sends and how many of them hard-bounced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BounceRate {
    pub sends: u32,
    pub bounced: u32,
}

impl BounceRate {
    /// Bounced share in percent (0 without sends).
    pub fn percent(&self) -> f64 {
        if self.sends == 0 {
            0.0
        } else {
            f64::from(self.bounced) * 100.0 / f64::from(self.sends)
        }
    }
}

/// Inbound options of a mailbox (its `[mailbox]` manifest keys).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct InboundOptions {
    /// The provider files every SMTP-sent message in Sent: an `unknown` send missing there was
    /// not sent and goes out again.
    pub sent_folder_is_authoritative: bool,
    /// Append our copy of each send to Sent (providers that do not file SMTP-sent mail).
    pub append_sent: bool,
}
