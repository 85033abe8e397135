//! Handles for inbound mail, for the IMAP poller: one [`InboundMetrics`] per poller task and one
//! [`ImapMailboxMetrics`] per polled mailbox, both built when the poller starts.

use std::time::Duration;

use metrics::{Counter, Gauge, Histogram, counter, gauge, histogram};

use crate::telemetry::catalogue::inbound::{
    IMAP_LAST_POLL, IMAP_POLL_LAG, IMAP_POLLER_UP, IMAP_POLLERS, IMAP_POLLS, INBOUND_MESSAGES,
    INBOUND_REVIEWS, REPLY_STOP_LATENCY, UNKNOWN_RECONCILED,
};
use crate::telemetry::catalogue::internals::ACTOR_RESTARTS;

/// The bounded `class` label of an inbound message. Telemetry owns it; the IMAP classifier
/// maps its classifications onto it (`imap::inbound_class`), so telemetry never imports `imap`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InboundClass {
    Reply,
    AutoReply,
    Bounce,
    Complaint,
    UnsubscribeRequest,
    Unrelated,
}

impl InboundClass {
    pub const ALL: [InboundClass; 6] = [
        Self::Reply,
        Self::AutoReply,
        Self::Bounce,
        Self::Complaint,
        Self::UnsubscribeRequest,
        Self::Unrelated,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Reply => "reply",
            Self::AutoReply => "auto_reply",
            Self::Bounce => "bounce",
            Self::Complaint => "complaint",
            Self::UnsubscribeRequest => "unsubscribe_request",
            Self::Unrelated => "unrelated",
        }
    }
}

/// The bounded `reason` label of a message left for a person to judge (the classifier's
/// `ReviewReason`, mapped by `imap::review_label`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InboundReview {
    UnsubscribeOrReply,
    HardOrSoft,
}

impl InboundReview {
    pub fn label(self) -> &'static str {
        match self {
            Self::UnsubscribeOrReply => "unsubscribe_or_reply",
            Self::HardOrSoft => "hard_or_soft",
        }
    }
}

#[derive(Clone)]
pub struct InboundMetrics {
    poll_lag: Histogram,
    reply_stop: Histogram,
    polls_ok: Counter,
    polls_error: Counter,
    classes: [Counter; InboundClass::ALL.len()],
    reviews: [Counter; 2],
    pollers: Gauge,
    poller_restarts: Counter,
    unknown_found: Counter,
    unknown_resent: Counter,
}

impl InboundMetrics {
    pub(super) fn new() -> Self {
        Self {
            poll_lag: histogram!(IMAP_POLL_LAG),
            reply_stop: histogram!(REPLY_STOP_LATENCY),
            polls_ok: counter!(IMAP_POLLS, "result" => "ok"),
            polls_error: counter!(IMAP_POLLS, "result" => "error"),
            classes: std::array::from_fn(
                |i| counter!(INBOUND_MESSAGES, "class" => InboundClass::ALL[i].label()),
            ),
            reviews: [InboundReview::UnsubscribeOrReply, InboundReview::HardOrSoft]
                .map(|r| counter!(INBOUND_REVIEWS, "reason" => r.label())),
            pollers: gauge!(IMAP_POLLERS),
            poller_restarts: counter!(ACTOR_RESTARTS, "actor" => "imap_poller"),
            unknown_found: counter!(UNKNOWN_RECONCILED, "result" => "found"),
            unknown_resent: counter!(UNKNOWN_RECONCILED, "result" => "resent"),
        }
    }

    /// The supervisor runs `count` pollers now.
    pub fn pollers_running(&self, count: usize) {
        self.pollers.set(count as f64);
    }

    /// A poller task ended on its own (a panic) and is started again.
    pub fn poller_restarted(&self) {
        self.poller_restarts.increment(1);
    }

    /// `unknown` sends resolved against the Sent folder: `found` there, `resent` as missing.
    pub fn unknown_reconciled(&self, found: u32, resent: u32) {
        self.unknown_found.increment(u64::from(found));
        self.unknown_resent.increment(u64::from(resent));
    }

    /// One message was classified as `class`, `lag` after it arrived in the mailbox.
    pub fn classified(&self, class: InboundClass, lag: Duration) {
        self.classes[class as usize].increment(1);
        self.poll_lag.record(lag.as_secs_f64());
    }

    /// One message was left for a person to judge, for `reason`.
    pub fn needs_review(&self, reason: InboundReview) {
        self.reviews[reason as usize].increment(1);
    }

    /// A reply stopped its lead `latency` after the reply arrived.
    pub fn reply_stopped(&self, latency: Duration) {
        self.reply_stop.record(latency.as_secs_f64());
    }

    /// The supervisor's up/down gauge for one mailbox's poller, labelled like its last-poll
    /// gauge so that alerts can join the two.
    pub fn poller_up(&self, address: &str) -> PollerUp {
        PollerUp(gauge!(IMAP_POLLER_UP, "mailbox" => address.to_owned()))
    }

    /// Handles for one polled mailbox.
    pub fn mailbox(&self, address: &str) -> ImapMailboxMetrics {
        ImapMailboxMetrics {
            last_poll: gauge!(IMAP_LAST_POLL, "mailbox" => address.to_owned()),
            polls_ok: self.polls_ok.clone(),
            polls_error: self.polls_error.clone(),
        }
    }
}

/// One polled mailbox's handles.
pub struct ImapMailboxMetrics {
    last_poll: Gauge,
    polls_ok: Counter,
    polls_error: Counter,
}

impl ImapMailboxMetrics {
    /// A poll finished at `at`: on success it becomes the mailbox's last poll time.
    pub fn polled(&self, ok: bool, at: chrono::DateTime<chrono::Utc>) {
        if ok {
            self.polls_ok.increment(1);
            self.last_poll.set(at.timestamp_millis() as f64 / 1000.0);
        } else {
            self.polls_error.increment(1);
        }
    }
}

/// Whether a mailbox's poller runs: 1 from its start, 0 once the supervisor stops it (no longer
/// wanted, restarted with new settings, daemon shutdown). Its last-poll gauge stays after a
/// stop; alerts on staleness require this to be 1.
pub struct PollerUp(Gauge);

impl PollerUp {
    pub fn started(&self) {
        self.0.set(1.0);
    }

    pub fn stopped(&self) {
        self.0.set(0.0);
    }
}
