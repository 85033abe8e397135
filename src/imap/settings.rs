//! `[imap]`: how the per-mailbox pollers talk to their servers and act on what they read.
//! Defaults suit production (Gmail drops idlers after ~10 minutes, hence the 9-minute renewal);
//! tests shorten the times.

use serde::{Deserialize, Serialize};

use crate::domain::HumanDuration;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImapSettings {
    /// Run a poller per mailbox that has IMAP configured. Off: replies, bounces and
    /// unsubscribe requests are not read at all.
    pub enabled: bool,
    /// Wait with IDLE when the server offers it (mail is seen at once). Off: `STATUS`
    /// polling every `poll_interval`, for servers whose IDLE misbehaves.
    pub idle: bool,
    /// Servers without IDLE: how often the warm connection asks `STATUS (UIDNEXT)`. Shorter
    /// stops sequences sooner after a reply, costs one round trip per mailbox per period.
    pub poll_interval: HumanDuration,
    /// Longest one IDLE lasts before it is re-issued (at most 9 minutes: Gmail drops idlers
    /// after ~10). With extra folders, IDLE also ends every `poll_interval` to check them.
    pub idle_renewal: HumanDuration,
    /// Limit for connect, TLS, login and each command; a server slower than this is treated
    /// as down (reconnect with backoff).
    pub command_timeout: HumanDuration,
    /// Folders read besides INBOX (replies often land in Junk). Missing ones are skipped.
    pub extra_folders: Vec<String>,
    /// First wait after a refused login; doubles up to 16x. A wrong password is never retried
    /// in a loop.
    pub auth_retry: HumanDuration,
    /// Longest wait before reconnecting after a network or server error (the first is 1s,
    /// doubling).
    pub max_reconnect_backoff: HumanDuration,
    /// How often `unknown` sends are looked for in the Sent folder (also at each connect).
    pub reconcile_interval: HumanDuration,
    /// An `unknown` send younger than this is not resent even when the Sent folder is
    /// authoritative and lacks it (providers file sent mail with some delay).
    pub reconcile_grace: HumanDuration,
    /// Bounce rate: the mailbox's last this many sends are counted...
    pub bounce_rate_window: u32,
    /// ...and above this share of hard bounces (percent) the mailbox is paused...
    pub bounce_rate_threshold_percent: f64,
    /// ...once at least this many sends are in the window (3 bounces in 10 sends says little).
    pub bounce_rate_min_sends: u32,
    /// Soft bounces of one campaign lead before it stops (as `bounced`, not suppressed);
    /// 0 = never.
    pub soft_bounce_limit: u32,
    /// Messages fetched per `UID FETCH` (bounds memory per mailbox).
    pub fetch_batch: u32,
}

impl Default for ImapSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            idle: true,
            poll_interval: HumanDuration::from_secs(60),
            idle_renewal: HumanDuration::from_secs(9 * 60),
            command_timeout: HumanDuration::from_secs(30),
            extra_folders: vec!["Junk".to_owned()],
            auth_retry: HumanDuration::from_secs(5 * 60),
            max_reconnect_backoff: HumanDuration::from_secs(5 * 60),
            reconcile_interval: HumanDuration::from_secs(5 * 60),
            reconcile_grace: HumanDuration::from_secs(10 * 60),
            bounce_rate_window: 100,
            bounce_rate_threshold_percent: 5.0,
            bounce_rate_min_sends: 20,
            soft_bounce_limit: 3,
            fetch_batch: 50,
        }
    }
}
