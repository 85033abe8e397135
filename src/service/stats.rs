//! Numbers for people: a campaign's stats (per step and per day), each mailbox's day against
//! its cap, and the workspace summary of `outreachd status`. What each count means, and the
//! denominators of the rates, are defined once in `domain::activity`.
//!
//! A campaign's stats read every row of the campaign (tens of milliseconds at 100,000 leads
//! on PostgreSQL), too slow to do per request for a dashboard that many people poll. The API
//! asks [`StatsCache`] instead: numbers at most [`FRESH_FOR`] old are answered from memory,
//! older ones (up to [`SERVE_STALE_FOR`]) too while one background task counts again, so only
//! the first request for a campaign waits for the count (and requests arriving meanwhile wait
//! for that same count). `as_of` tells when they were counted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::{DateTime, Days, NaiveTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::ServiceError;
use super::mailboxes::state_of;
use crate::domain::{CampaignId, CampaignStats, MailboxId, MailboxStatus, WorkspaceId};
use crate::store::Store;

/// Days of a campaign's daily series unless asked otherwise.
pub const DEFAULT_DAYS: u32 = 30;
/// The longest daily series answered.
pub const MAX_DAYS: u32 = 366;

/// A campaign's stats at `now`, with a daily series of `days` UTC days ending today.
pub async fn campaign(
    store: &dyn Store,
    ws: WorkspaceId,
    id: CampaignId,
    days: u32,
    now: DateTime<Utc>,
) -> Result<CampaignStats, ServiceError> {
    let days = days.clamp(1, MAX_DAYS);
    let steps = store.campaign_steps(ws, id).await?;
    let today = now.date_naive();
    let first = today
        .checked_sub_days(Days::new(u64::from(days - 1)))
        .unwrap_or(today);
    let since = first.and_time(NaiveTime::MIN).and_utc();
    let counts = store.campaign_counts(ws, id, since).await?;
    let cost = store
        .campaign_cost(ws, id, today.and_time(NaiveTime::MIN).and_utc())
        .await?;
    let step_count = u32::try_from(steps.len()).unwrap_or(u32::MAX);
    Ok(CampaignStats {
        cost,
        ..CampaignStats::from_counts(id, counts, step_count, now, days)
    })
}

/// How long a campaign's counted stats are answered as they are.
pub const FRESH_FOR: Duration = Duration::from_secs(2);
/// How long older stats are still answered while they are counted again; beyond this a
/// request waits for a new count.
pub const SERVE_STALE_FOR: Duration = Duration::from_secs(60);
/// Entries kept before old ones are dropped.
const MAX_ENTRIES: usize = 10_000;

type Key = (WorkspaceId, CampaignId, u32);

#[derive(Default)]
struct Slot {
    /// When the stats were counted, and what they were.
    counted: Option<(Instant, Arc<CampaignStats>)>,
    /// A background count is running.
    refreshing: bool,
    /// Held by the request counting while nothing usable is cached: requests arriving
    /// meanwhile wait for its count instead of each starting their own.
    counting: Arc<tokio::sync::Mutex<()>>,
}

/// Campaign stats recently counted, shared by the API's workers (see the module's notes).
#[derive(Default)]
pub struct StatsCache {
    slots: Mutex<HashMap<Key, Slot>>,
}

impl StatsCache {
    fn slots(&self) -> MutexGuard<'_, HashMap<Key, Slot>> {
        // A panic while holding the lock leaves a map that is still a valid cache.
        self.slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// [`campaign`]'s stats, counted at most [`FRESH_FOR`] ago, or up to [`SERVE_STALE_FOR`]
    /// ago while a fresh count runs in the background.
    pub async fn campaign(
        self: &Arc<Self>,
        store: Arc<dyn Store>,
        ws: WorkspaceId,
        id: CampaignId,
        days: u32,
    ) -> Result<Arc<CampaignStats>, ServiceError> {
        let key = (ws, id, days);
        let counting = match self.cached(&key, &store) {
            Ok(stats) => return Ok(stats),
            Err(counting) => counting,
        };
        let _turn = counting.lock().await;
        // Another request may have counted while this one waited.
        if let Ok(stats) = self.cached(&key, &store) {
            return Ok(stats);
        }
        let stats = Arc::new(campaign(store.as_ref(), ws, id, days, Utc::now()).await?);
        self.put(key, stats.clone());
        Ok(stats)
    }

    /// The cached stats when recent enough (starting a background count when they are
    /// stale); else the lock to take before counting.
    fn cached(
        self: &Arc<Self>,
        key: &Key,
        store: &Arc<dyn Store>,
    ) -> Result<Arc<CampaignStats>, Arc<tokio::sync::Mutex<()>>> {
        let mut slots = self.slots();
        let slot = slots.entry(*key).or_default();
        let Some((at, stats)) = slot.counted.clone() else {
            return Err(slot.counting.clone());
        };
        let age = at.elapsed();
        if age >= SERVE_STALE_FOR {
            return Err(slot.counting.clone());
        }
        if age >= FRESH_FOR && !slot.refreshing {
            slot.refreshing = true;
            let (cache, store, key) = (self.clone(), store.clone(), *key);
            tokio::spawn(async move { cache.refresh(store, key).await });
        }
        Ok(stats)
    }

    async fn refresh(self: Arc<Self>, store: Arc<dyn Store>, key: Key) {
        let (ws, id, days) = key;
        match campaign(store.as_ref(), ws, id, days, Utc::now()).await {
            Ok(stats) => self.put(key, Arc::new(stats)),
            Err(e) => {
                // The next request counts again itself (a deleted campaign answers 404 then).
                tracing::warn!(campaign = %id, error = %e, "Failed to recount a campaign's stats.");
                self.slots().remove(&key);
            }
        }
    }

    fn put(&self, key: Key, stats: Arc<CampaignStats>) {
        let mut slots = self.slots();
        if slots.len() >= MAX_ENTRIES {
            slots.retain(|_, s| {
                s.counted
                    .as_ref()
                    .is_some_and(|(at, _)| at.elapsed() < SERVE_STALE_FOR)
            });
        }
        let slot = slots.entry(key).or_default();
        slot.counted = Some((Instant::now(), stats));
        slot.refreshing = false;
    }
}

/// One mailbox's day: what it sent against today's cap, and whether it may send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct MailboxStats {
    pub id: MailboxId,
    pub address: String,
    pub status: MailboxStatus,
    /// Why it is paused or cooling (an operator's words, or the server's).
    pub reason: Option<String>,
    pub cooling_until: Option<DateTime<Utc>>,
    /// Sends counted today, on the mailbox's local date.
    pub sent_today: u32,
    /// The configured daily cap.
    pub daily_cap: u32,
    /// Today's cap: the daily cap, lowered by warm-up while it ramps.
    pub daily_cap_today: u32,
    /// Sends left today under today's cap.
    pub remaining_today: u32,
    pub hourly_cap: Option<u32>,
}

/// Every mailbox of the workspace, by address.
pub async fn mailboxes(
    store: &dyn Store,
    ws: WorkspaceId,
    now: DateTime<Utc>,
) -> Result<Vec<MailboxStats>, ServiceError> {
    let mut out = Vec::new();
    for m in store.list_mailboxes(ws).await? {
        let (id, daily_cap, hourly_cap) = (m.id, m.daily_cap, m.hourly_cap);
        let state = state_of(store, m, now).await?;
        out.push(MailboxStats {
            id,
            address: state.address,
            status: state.status,
            reason: state.reason,
            cooling_until: state.cooling_until,
            sent_today: state.sent_today,
            daily_cap,
            daily_cap_today: state.daily_cap_today,
            remaining_today: state.daily_cap_today.saturating_sub(state.sent_today),
            hourly_cap,
        });
    }
    Ok(out)
}
