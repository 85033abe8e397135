//! Run Now: every pending step of a running campaign becomes due at once (delays ignored, and
//! the sending window too where the dispatcher knows of the run; never caps, suppressions or
//! unsubscribes), and a report says per lead what happened.
//!
//! The run is recorded (`campaign_runs`) and its report is read from the store, not from the
//! process that started it: send rows changed since the run began (timestamps are the daemons'
//! clocks, which several daemons on one database must keep in step), and the leads it made
//! due that have not moved on. It is complete when none of those is in flight or can still go out;
//! the ones that cannot (mailbox paused, daily cap on new leads reached, ...) are reported with
//! the reason. `outreachd campaign run-now` and `POST /campaigns/{id}/run` both start a run
//! here; the CLI then dispatches it itself, the daemon hands it to its running supervisor.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use crate::domain::{
    Campaign, CampaignRun, CampaignStatus, LeadId, MailboxStatus, RunId, SendResult, SendState,
    Waiting, WorkspaceId,
};
use crate::store::Store;

use super::CampaignError;

/// At most this many waiting leads are listed one by one in a report.
const MAX_WAITING_LISTED: u32 = 10_000;

/// How often [`wait`] looks again.
const POLL: Duration = Duration::from_millis(250);

/// Who dispatches what a run made due.
pub trait RunDispatcher: Sync {
    /// The run's leads are about to be made due at `due_at`: the dispatcher may send them
    /// outside their window from now on.
    fn run_started(&self, campaign: &Campaign, due_at: DateTime<Utc>);

    /// They are due: look now rather than at the next pass.
    fn wake(&self);
}

/// A run whose dispatcher is started afterwards (the CLI's own).
pub struct LaterDispatcher;

impl RunDispatcher for LaterDispatcher {
    fn run_started(&self, _: &Campaign, _: DateTime<Utc>) {}

    fn wake(&self) {}
}

/// One lead's line in a report: a send row, or a lead still waiting with why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunResult {
    pub lead_id: LeadId,
    pub email: String,
    pub step: u32,
    /// The send row's state; `None` for a lead that was not sent (see `error`).
    pub state: Option<SendState>,
    pub success: bool,
    /// Why it was not sent: the server's reply, the failure, what defers it.
    pub error: Option<String>,
}

impl From<SendResult> for RunResult {
    fn from(r: SendResult) -> Self {
        let success = r.state == SendState::Sent;
        Self {
            lead_id: r.lead_id,
            email: r.email,
            step: r.step_order,
            state: Some(r.state),
            success,
            error: if success { None } else { r.detail },
        }
    }
}

/// A run's report: the seed's `{"emails_sent": 47, "total": 50, "results": [...]}` with the
/// run's state around it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunReport {
    pub run: CampaignRun,
    /// Nothing of the run is in flight or can still go out.
    pub done: bool,
    /// Leads of the run still in flight or able to go out.
    pub pending: u64,
    pub emails_sent: u64,
    pub total: u64,
    pub results: Vec<RunResult>,
}

impl RunReport {
    pub fn id(&self) -> RunId {
        self.run.id
    }
}

/// Starts a Run Now of `campaign` at `now`: records the run and makes its pending leads due.
/// `Conflict` unless the campaign is running.
pub async fn start(
    store: &dyn Store,
    ws: WorkspaceId,
    campaign: &Campaign,
    dispatcher: &dyn RunDispatcher,
    now: DateTime<Utc>,
) -> Result<CampaignRun, CampaignError> {
    if campaign.status != CampaignStatus::Running {
        return Err(CampaignError::Conflict(format!(
            "campaign {:?} is {}; set it running before Run Now",
            campaign.name, campaign.status
        )));
    }
    dispatcher.run_started(campaign, now);
    let made_due = store.run_now(ws, campaign.id, now).await?;
    let run = CampaignRun {
        id: RunId::new(),
        workspace_id: ws,
        campaign_id: campaign.id,
        started_at: now,
        made_due,
        finished_at: None,
    };
    store.insert_run(&run).await?;
    dispatcher.wake();
    Ok(run)
}

/// The run `id` of `campaign`; `NotFound` for another campaign's or workspace's.
pub async fn find(
    store: &dyn Store,
    ws: WorkspaceId,
    campaign: &Campaign,
    id: RunId,
) -> Result<CampaignRun, CampaignError> {
    store
        .campaign_run(ws, campaign.id, id)
        .await?
        .ok_or_else(|| CampaignError::not_found("run", id))
}

/// The run's report as the store has it at `now`. The first time it is found complete, the
/// run is marked finished, and its results stop at that moment.
pub async fn report(
    store: &dyn Store,
    campaign: &Campaign,
    mut run: CampaignRun,
    now: DateTime<Utc>,
) -> Result<RunReport, CampaignError> {
    let ws = run.workspace_id;
    let mut pending = 0;
    if run.finished_at.is_none() {
        let cap_reached = cap_reached(store, campaign, now).await?;
        for group in store.run_waiting(ws, campaign.id, run.started_at).await? {
            if group.why.in_flight || held(&group.why, campaign.status, cap_reached, None).is_none()
            {
                pending += group.count;
            }
        }
        if pending == 0 {
            store.finish_run(ws, run.id, now).await?;
            run.finished_at = Some(now);
        }
    }
    let until = run.finished_at.unwrap_or(now);
    let mut results: Vec<RunResult> = store
        .run_results(ws, campaign.id, run.started_at, until)
        .await?
        .into_iter()
        .map(RunResult::from)
        .collect();
    if run.finished_at.is_some() {
        let cap_reached = cap_reached(store, campaign, now).await?;
        let waiting = store
            .run_waiting_leads(ws, campaign.id, run.started_at, MAX_WAITING_LISTED)
            .await?;
        // A lead still waiting is reported by why it waits, not by an earlier attempt's row
        // (a release to the window's opening just before the run, say).
        let waits: std::collections::HashSet<(LeadId, u32)> =
            waiting.iter().map(|w| (w.lead_id, w.step_order)).collect();
        results.retain(|r| !waits.contains(&(r.lead_id, r.step)));
        results.extend(waiting.into_iter().map(|w| {
            let address = w.mailbox_address.as_deref();
            let reason = held(&w.why, campaign.status, cap_reached, address)
                .unwrap_or_else(|| "not sent yet".to_owned());
            RunResult {
                lead_id: w.lead_id,
                email: w.email,
                step: w.step_order,
                state: None,
                success: false,
                error: Some(reason),
            }
        }));
    }
    let emails_sent = results.iter().filter(|r| r.success).count() as u64;
    Ok(RunReport {
        done: run.finished_at.is_some(),
        run,
        pending,
        emails_sent,
        total: results.len() as u64,
        results,
    })
}

/// The run's report once it is complete, or as it stands after `timeout`.
pub async fn wait(
    store: &dyn Store,
    campaign: &Campaign,
    run: CampaignRun,
    timeout: Duration,
) -> Result<RunReport, CampaignError> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        let report = report(store, campaign, run.clone(), Utc::now()).await?;
        if report.done || tokio::time::Instant::now() + POLL > deadline {
            return Ok(report);
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Why a waiting lead cannot go out now; `None` when it still can (it is being sent, or waits
/// only for its mailbox's pace). `mailbox` names the lead's mailbox in the reason, if given.
pub fn held(
    why: &Waiting,
    campaign: CampaignStatus,
    cap_reached: bool,
    mailbox: Option<&str>,
) -> Option<String> {
    let its_mailbox = match mailbox {
        Some(address) => format!("the lead's mailbox {address}"),
        None => "the lead's mailbox".to_owned(),
    };
    let reason = if campaign != CampaignStatus::Running {
        format!("not sent: the campaign is {campaign}")
    } else if why.unreachable {
        "not sent: the lead unsubscribed or is suppressed".to_owned()
    } else {
        match why.mailbox {
            None => "not sent: the lead's mailbox was deleted".to_owned(),
            Some(_) if !why.in_pool => {
                format!("not sent: {its_mailbox} is no longer in the campaign's pool")
            }
            Some(MailboxStatus::Paused) => format!("not sent: {its_mailbox} is paused"),
            Some(MailboxStatus::Cooling) => {
                format!("not sent yet: {its_mailbox} is cooling down after the server throttled it")
            }
            Some(MailboxStatus::Active) if why.first_step && cap_reached => {
                "not sent yet: the campaign's daily cap on new leads is reached".to_owned()
            }
            Some(MailboxStatus::Active) => return None,
        }
    };
    Some(reason)
}

/// Whether the campaign's daily cap on new leads is used up today (its time zone's day).
async fn cap_reached(
    store: &dyn Store,
    campaign: &Campaign,
    now: DateTime<Utc>,
) -> Result<bool, CampaignError> {
    let Some(cap) = campaign.rules.daily_new_leads_cap else {
        return Ok(false);
    };
    let zone: chrono_tz::Tz = campaign
        .rules
        .timezone
        .parse()
        .unwrap_or(chrono_tz::Tz::UTC);
    let today = now.with_timezone(&zone).date_naive();
    let midnight = crate::domain::resolve_local(today, 0, zone);
    // Claims in flight hold the run open anyway; only what went out counts here.
    let sent = store
        .new_leads_sent_since(campaign.id, midnight, now, TimeDelta::zero())
        .await?;
    Ok(sent >= cap)
}

/// "Sent 47/50 (2 deferred by mailbox caps, 1 failed: invalid template)".
pub fn summary(results: &[RunResult]) -> String {
    let sent = results.iter().filter(|r| r.success).count();
    let mut other: BTreeMap<String, usize> = BTreeMap::new();
    for r in results.iter().filter(|r| !r.success) {
        let detail = r.error.as_deref().unwrap_or("");
        let label = match r.state {
            Some(SendState::Retry) if detail.contains("cap") => {
                "deferred by mailbox caps".to_owned()
            }
            Some(SendState::Retry) if detail.contains("window") => {
                "deferred by the sending window".to_owned()
            }
            Some(SendState::Retry) => format!("to retry: {}", first_words(detail)),
            Some(SendState::Failed) => format!("failed: {}", first_words(detail)),
            Some(state) => state.to_string(),
            None => first_words(detail),
        };
        *other.entry(label).or_default() += 1;
    }
    let mut line = format!("Sent {sent}/{}", results.len());
    if !other.is_empty() {
        let parts: Vec<String> = other
            .iter()
            .map(|(label, n)| format!("{n} {label}"))
            .collect();
        line.push_str(&format!(" ({})", parts.join(", ")));
    }
    line
}

fn first_words(detail: &str) -> String {
    let words: Vec<&str> = detail.split_whitespace().take(8).collect();
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(state: Option<SendState>, detail: Option<&str>) -> RunResult {
        RunResult {
            lead_id: LeadId::new(),
            email: "a@b.test".into(),
            step: 1,
            state,
            success: state == Some(SendState::Sent),
            error: detail.map(str::to_owned),
        }
    }

    #[test]
    fn the_summary_counts_sends_and_groups_the_rest_by_reason() {
        let results = vec![
            result(Some(SendState::Sent), None),
            result(Some(SendState::Sent), None),
            result(Some(SendState::Retry), Some("mailbox daily cap reached")),
            result(
                Some(SendState::Failed),
                Some("body template: undefined variable \"x\""),
            ),
            result(None, Some("not sent: the lead's mailbox is paused")),
        ];
        assert_eq!(
            summary(&results),
            "Sent 2/5 (1 deferred by mailbox caps, 1 failed: body template: undefined variable \"x\", 1 not sent: the lead's mailbox is paused)"
        );
        assert_eq!(summary(&results[..1]), "Sent 1/1");
    }

    fn waiting(mailbox: Option<MailboxStatus>) -> Waiting {
        Waiting {
            in_flight: false,
            first_step: true,
            mailbox,
            in_pool: true,
            unreachable: false,
        }
    }

    #[test]
    fn a_lead_on_an_active_mailbox_can_still_go_out() {
        let why = waiting(Some(MailboxStatus::Active));
        assert_eq!(held(&why, CampaignStatus::Running, false, None), None);
    }

    #[test]
    fn a_stopped_mailbox_a_paused_campaign_or_a_reached_cap_hold_a_lead() {
        let active = waiting(Some(MailboxStatus::Active));
        for (why, campaign, cap) in [
            (
                waiting(Some(MailboxStatus::Paused)),
                CampaignStatus::Running,
                false,
            ),
            (waiting(None), CampaignStatus::Running, false),
            (active, CampaignStatus::Paused, false),
            (active, CampaignStatus::Running, true),
            (
                Waiting {
                    in_pool: false,
                    ..active
                },
                CampaignStatus::Running,
                false,
            ),
        ] {
            assert!(
                held(&why, campaign, cap, None).is_some(),
                "{why:?} {campaign}"
            );
        }
        let follow_up = Waiting {
            first_step: false,
            ..active
        };
        assert_eq!(
            held(&follow_up, CampaignStatus::Running, true, None),
            None,
            "the cap is on new leads only"
        );
    }
}
