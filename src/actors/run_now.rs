//! Run Now's exception to the sending window: the leads a Run Now made due are sent at once,
//! even outside their campaign's window (caps, suppressions and unsubscribes still apply).
//!
//! A Run Now writes one due time into every pending lead of its campaign; a claim whose lead
//! was due at or before that time is one of them (or was overdue already). A lead due later (a
//! follow-up after its delay, a retry, a lead released to a cap's reset) keeps its window, so an
//! entry can stay after the run without widening anything.
//!
//! In memory, per process: with several daemons on one PostgreSQL database, a lead another
//! daemon claims keeps its window (it is released to the window's opening, which the run's
//! report shows).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

use crate::domain::CampaignId;

/// Campaigns of this process's Run Nows, each with the due time its latest run wrote.
#[derive(Clone, Debug, Default)]
pub struct RunNowWindows(Arc<RwLock<HashMap<CampaignId, DateTime<Utc>>>>);

impl RunNowWindows {
    /// A Run Now of `campaign` makes its leads due at `due_at`. Call it before they are made
    /// due, so no claim can see them first.
    pub fn started(&self, campaign: CampaignId, due_at: DateTime<Utc>) {
        // A poisoned lock only means a panic elsewhere mid-insert; the map is still usable.
        let mut map = self.0.write().unwrap_or_else(|e| e.into_inner());
        let at = map.entry(campaign).or_insert(due_at);
        *at = (*at).max(due_at);
    }

    /// Every lead of `campaign` ignores its window in this process (`campaign run-now`, whose
    /// dispatcher runs for that campaign alone and only until idle).
    pub fn whole_campaign(&self, campaign: CampaignId) {
        self.started(campaign, DateTime::<Utc>::MAX_UTC);
    }

    /// True when a claim of `campaign` that was due at `due_at` was made due by a Run Now.
    pub fn bypasses(&self, campaign: CampaignId, due_at: DateTime<Utc>) -> bool {
        let map = self.0.read().unwrap_or_else(|e| e.into_inner());
        map.get(&campaign).is_some_and(|at| due_at <= *at)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    #[test]
    fn only_leads_due_by_the_run_skip_the_window() {
        let windows = RunNowWindows::default();
        let campaign = CampaignId::new();
        let run = Utc::now();
        windows.started(campaign, run);

        assert!(windows.bypasses(campaign, run));
        assert!(windows.bypasses(campaign, run - TimeDelta::hours(1)));
        assert!(!windows.bypasses(campaign, run + TimeDelta::seconds(1)));
        assert!(!windows.bypasses(CampaignId::new(), run));
    }

    #[test]
    fn an_earlier_run_never_narrows_a_later_one() {
        let windows = RunNowWindows::default();
        let campaign = CampaignId::new();
        let later = Utc::now();
        windows.started(campaign, later);
        windows.started(campaign, later - TimeDelta::minutes(5));

        assert!(windows.bypasses(campaign, later));
    }

    #[test]
    fn the_cli_run_covers_the_whole_campaign() {
        let windows = RunNowWindows::default();
        let campaign = CampaignId::new();
        windows.whole_campaign(campaign);

        assert!(windows.bypasses(campaign, Utc::now() + TimeDelta::days(30)));
    }
}
