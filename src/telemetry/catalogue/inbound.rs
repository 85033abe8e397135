//! Inbound mail: IMAP poll freshness, classification, and how fast a reply stops a lead.

use super::{MetricDef, MetricKind};

pub const IMAP_POLL_LAG: &str = "outreachd_imap_poll_lag_seconds";
pub const IMAP_LAST_POLL: &str = "outreachd_imap_last_poll_timestamp_seconds";
pub const IMAP_POLLS: &str = "outreachd_imap_polls_total";
pub const INBOUND_MESSAGES: &str = "outreachd_inbound_messages_total";
pub const INBOUND_REVIEWS: &str = "outreachd_inbound_reviews_total";
pub const REPLY_STOP_LATENCY: &str = "outreachd_reply_stop_latency_seconds";
pub const IMAP_POLLERS: &str = "outreachd_imap_pollers";
pub const IMAP_POLLER_UP: &str = "outreachd_imap_poller_up";
pub const UNKNOWN_RECONCILED: &str = "outreachd_unknown_sends_reconciled_total";

/// A poll every minute or so: seconds to an hour.
const POLL_LAG_BUCKETS: &[f64] = &[
    1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
];

pub const DEFS: &[MetricDef] = &[
    MetricDef {
        name: IMAP_POLL_LAG,
        kind: MetricKind::Histogram(POLL_LAG_BUCKETS),
        labels: &[],
        help: "Seconds from a message's arrival in the mailbox (IMAP INTERNALDATE) to its classification. Growing means replies are read late and follow-ups may go to people who answered: check the IMAP poller's errors and the poll interval.",
    },
    MetricDef {
        name: IMAP_LAST_POLL,
        kind: MetricKind::Gauge,
        labels: &["mailbox"],
        help: "Unix time of the last successful IMAP poll per mailbox. time() minus this growing past a few poll intervals means the mailbox's inbox is not read: check its IMAP credentials and server.",
    },
    MetricDef {
        name: IMAP_POLLS,
        kind: MetricKind::Counter,
        labels: &["result"],
        help: "IMAP polls by result (ok, error). A rising error share means IMAP servers refuse us: check credentials, TLS settings and the errors counter with stage imap.",
    },
    MetricDef {
        name: INBOUND_MESSAGES,
        kind: MetricKind::Counter,
        labels: &["class"],
        help: "Inbound messages by class (reply, auto_reply, bounce, complaint, unsubscribe_request, unrelated). A rise in bounce or complaint means list quality or content problems: pause the campaign and check it.",
    },
    MetricDef {
        name: INBOUND_REVIEWS,
        kind: MetricKind::Counter,
        labels: &["reason"],
        help: "Inbound messages the classifier was unsure about, by reason (unsubscribe_or_reply, hard_or_soft); each pauses its lead until a person resolves it (outreachd review list). A steady rise means leads wait: resolve the open reviews.",
    },
    MetricDef {
        name: REPLY_STOP_LATENCY,
        kind: MetricKind::Histogram(POLL_LAG_BUCKETS),
        labels: &[],
        help: "Seconds from a reply's arrival to its lead being stopped. Above the poll interval plus a little means a follow-up can reach someone who answered: check IMAP lag and store errors.",
    },
    MetricDef {
        name: IMAP_POLLERS,
        kind: MetricKind::Gauge,
        labels: &[],
        help: "IMAP pollers running: one per mailbox with IMAP configured in the pool of a running or paused campaign. Below the number of such mailboxes, or 0 with [imap] enabled, means some inboxes are not read: look for 'IMAP poller ended unexpectedly' in the daemon's log and the actor restarts counter.",
    },
    MetricDef {
        name: IMAP_POLLER_UP,
        kind: MetricKind::Gauge,
        labels: &["mailbox"],
        help: "1 while the mailbox's IMAP poller runs, 0 once it was stopped (mailbox no longer in a running or paused campaign's pool, or the daemon shutting down). The last-poll timestamp of a stopped poller stays behind: judge staleness only where this is 1. 0 for a mailbox whose campaign still runs means its replies are not read: check the mailbox's IMAP settings and the daemon's log.",
    },
    MetricDef {
        name: UNKNOWN_RECONCILED,
        kind: MetricKind::Counter,
        labels: &["result"],
        help: "Sends in state unknown resolved against the mailbox's Sent folder, by result (found: it was sent, the lead advances; resent: missing from an authoritative Sent folder, sent again). Unknown sends that stay unresolved need an operator: check the mailbox's IMAP status and its Sent folder.",
    },
];
