//! Sending: outcomes, SMTP timing, schedule lag, backlog, claims, pacing and mailbox health.

use super::{MetricDef, MetricKind};

pub const SENDS: &str = "outreachd_sends_total";
pub const MAILBOX_SENDS: &str = "outreachd_mailbox_sends_total";
pub const CAMPAIGN_SENDS: &str = "outreachd_campaign_sends_total";
pub const SMTP_TRANSACTION: &str = "outreachd_smtp_transaction_seconds";
pub const SCHEDULE_LAG: &str = "outreachd_schedule_lag_seconds";
pub const LIMITER_WAIT: &str = "outreachd_limiter_wait_seconds";
pub const DUE_OLDEST_AGE: &str = "outreachd_due_oldest_age_seconds";
pub const DUE_CAMPAIGNS: &str = "outreachd_due_campaigns";
pub const DUE_BACKLOG: &str = "outreachd_due_backlog_steps";
/// The due backlog is counted up to this many steps (bounded cost).
pub const DUE_BACKLOG_CAP: u32 = 100_000;
pub const CAMPAIGN_DUE_AGE: &str = "outreachd_campaign_due_age_seconds";
pub const SENDS_IN_FLIGHT: &str = "outreachd_sends_in_flight";
pub const CLAIM_BATCH: &str = "outreachd_claim_batch_rows";
pub const CLAIMED: &str = "outreachd_claimed_sends_total";
pub const COMPLETION_BATCH: &str = "outreachd_completion_batch_rows";
pub const COMPLETIONS_FENCED: &str = "outreachd_completions_fenced_total";
pub const MAILBOXES: &str = "outreachd_mailboxes";
pub const MAILBOX_STATE: &str = "outreachd_mailbox_state";
pub const MAILBOX_CAP_USED: &str = "outreachd_mailbox_daily_cap_used_ratio";
pub const UNKNOWN_RESOLVED: &str = "outreachd_unknown_sends_resolved_total";

/// SMTP transactions: most finish well under a second; a slow provider shows in the tail.
const SMTP_BUCKETS: &[f64] = &[0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0];
/// From a second late (normal) to a day late (a stalled pipeline).
const LAG_BUCKETS: &[f64] = &[
    1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0, 7200.0, 21600.0, 86400.0,
];
/// Pacing gaps are seconds to minutes.
const WAIT_BUCKETS: &[f64] = &[
    0.001, 0.01, 0.1, 0.5, 1.0, 5.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0,
];
const BATCH_BUCKETS: &[f64] = &[
    0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0,
];

pub const DEFS: &[MetricDef] = &[
    MetricDef {
        name: SENDS,
        kind: MetricKind::Counter,
        labels: &["outcome", "provider"],
        help: "Send attempts by outcome (sent, retry, soft_bounced, bounced, failed, unknown, mailbox_throttled, mailbox_misconfigured) and recipient provider class (gmail, outlook, yahoo, other). A rise in bounced means bad lead data: clean the list; mailbox_throttled means providers push back: lower caps or warm up longer; unknown needs an operator: list them with `outreachd sends unknown`, check the Sent folder, then `outreachd sends resolve`.",
    },
    MetricDef {
        name: MAILBOX_SENDS,
        kind: MetricKind::Counter,
        labels: &["mailbox", "outcome"],
        help: "Send attempts per sending mailbox by outcome. One mailbox with a high bounced or mailbox_throttled share has a reputation or configuration problem: pause it and check its DNS (SPF, DKIM, DMARC) and its provider's postmaster tools.",
    },
    MetricDef {
        name: CAMPAIGN_SENDS,
        kind: MetricKind::Counter,
        labels: &["campaign", "outcome"],
        help: "Send attempts per campaign (label: campaign id) by outcome. A campaign with a high bounced share was fed a bad lead list: pause it and verify the list.",
    },
    MetricDef {
        name: SMTP_TRANSACTION,
        kind: MetricKind::Histogram(SMTP_BUCKETS),
        labels: &["provider"],
        help: "Seconds from the start of an SMTP transaction (connect when needed, MAIL FROM) to the final reply, by recipient provider class. A rising tail means the relay or provider is slow: check the relay's queue and timeouts; throughput per mailbox falls with it.",
    },
    MetricDef {
        name: SCHEDULE_LAG,
        kind: MetricKind::Histogram(LAG_BUCKETS),
        labels: &[],
        help: "Seconds between when a step was due and when it was sent. Minutes are normal under caps and windows; hours mean the daemon cannot keep up: add mailboxes, raise caps, or look for a stalled actor.",
    },
    MetricDef {
        name: LIMITER_WAIT,
        kind: MetricKind::Histogram(WAIT_BUCKETS),
        labels: &[],
        help: "Seconds a mailbox waited for its pacing gap before a send. Long waits are the configured min/max gap at work; if they dominate schedule lag, add mailboxes rather than shortening gaps.",
    },
    MetricDef {
        name: DUE_OLDEST_AGE,
        kind: MetricKind::Gauge,
        labels: &[],
        help: "Age in seconds of the oldest due lead step across running campaigns (0 when nothing is overdue), refreshed each supervisor pass from its campaigns-due query. Growing steadily means sending stalls: check mailbox states, caps and the errors counter.",
    },
    MetricDef {
        name: DUE_CAMPAIGNS,
        kind: MetricKind::Gauge,
        labels: &[],
        help: "Running campaigns that have lead steps due now (the due backlog, by campaign), refreshed each supervisor pass. Non-zero while nothing is sent means the pipeline is stuck: see the 'nothing sent while due' runbook.",
    },
    MetricDef {
        name: DUE_BACKLOG,
        kind: MetricKind::Gauge,
        labels: &[],
        help: "Lead steps of running campaigns that are due now, in flight included, counted every few seconds up to 100000. Growing while sends stay flat means mailboxes are the bottleneck: add mailboxes or raise caps; growing with sends at zero means the pipeline is stuck.",
    },
    MetricDef {
        name: CAMPAIGN_DUE_AGE,
        kind: MetricKind::Gauge,
        labels: &["campaign"],
        help: "Per running campaign (label: campaign id), seconds since its oldest due lead step became due (0 when none). One campaign growing alone is capped or has all its mailboxes paused or cooling: check its mailboxes.",
    },
    MetricDef {
        name: SENDS_IN_FLIGHT,
        kind: MetricKind::Gauge,
        labels: &[],
        help: "Claimed sends whose outcome is not recorded yet (queued at mailboxes, on the wire, or waiting for the completion writer). Stuck high means the completion writer cannot reach the database: check the store errors.",
    },
    MetricDef {
        name: CLAIM_BATCH,
        kind: MetricKind::Histogram(BATCH_BUCKETS),
        labels: &[],
        help: "Rows per claim of due leads. Batches mostly at dispatch.max_claim_batch mean a backlog; mostly 0 or 1 while work is due means mailboxes have no capacity (caps, pacing, cooling).",
    },
    MetricDef {
        name: CLAIMED,
        kind: MetricKind::Counter,
        labels: &["campaign"],
        help: "Lead steps claimed per campaign (label: campaign id). Claims without matching sends are released again (windows, caps, backpressure); a campaign claiming far more than it sends is spinning: check its window and mailboxes.",
    },
    MetricDef {
        name: COMPLETION_BATCH,
        kind: MetricKind::Histogram(BATCH_BUCKETS),
        labels: &[],
        help: "Outcomes recorded per transaction by the completion writer. Batches pinned at dispatch.completion_batch mean the writer is the bottleneck: check database latency or raise the batch size.",
    },
    MetricDef {
        name: COMPLETIONS_FENCED,
        kind: MetricKind::Counter,
        labels: &[],
        help: "Outcomes ignored because their lease had expired (the row was re-claimed or declared unknown). Any steady rate means leases are too short for the time a send takes: raise dispatch.sending_lease or find what delays the writer.",
    },
    MetricDef {
        name: MAILBOXES,
        kind: MetricKind::Gauge,
        labels: &["state"],
        help: "Mailboxes in the pools of running campaigns by state (active, cooling, paused), refreshed each supervisor pass. Any paused mailbox needs an operator: read its reason with `outreachd mailbox status`, fix it, then `outreachd mailbox resume` it.",
    },
    MetricDef {
        name: MAILBOX_STATE,
        kind: MetricKind::Gauge,
        labels: &["mailbox", "state"],
        help: "1 for the state each pool mailbox is in (active, cooling, paused), 0 for the others. Cooling is automatic back-off after provider throttling; paused needs an operator to fix credentials or DNS and resume the mailbox (`outreachd mailbox resume`).",
    },
    MetricDef {
        name: MAILBOX_CAP_USED,
        kind: MetricKind::Gauge,
        labels: &["mailbox"],
        help: "Share of today's daily cap (with warm-up) a mailbox has used, 0 to 1. Mailboxes at 1 early in the day limit throughput: add mailboxes or raise caps once their reputation allows.",
    },
    MetricDef {
        name: UNKNOWN_RESOLVED,
        kind: MetricKind::Counter,
        labels: &["resolution"],
        help: "Unknown sends an operator resolved (`outreachd sends resolve`), by resolution (sent, resend). Counted by the process that resolves them. Many resends mean sends were cut off before the server accepted them: look at what killed or stalled the daemon, and check the Sent folder before resolving the next ones.",
    },
];
