//! [`UsageRecorder`]: every language-model call becomes one `api_usage` row, written in
//! batches by one background task, and its cost counts against the day's budgets at once.
//!
//! Recording never waits for the database: a row goes to a bounded queue; the writer stores
//! whatever has queued up while its previous batch was written (one transaction per batch, so
//! under load a batch holds many calls and costs one write). When the queue is full or the
//! writer is gone (shutdown), the row is written directly instead: a row is never dropped for
//! lack of room. On cancellation the writer stores what is queued, then stops.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::budget::{BudgetSettings, Budgets, Exhausted};
use crate::ai::{CallUsage, Purpose};
use crate::content::{ContentError, Generated};
use crate::domain::{CampaignId, LeadId, UsageOutcome, UsageRecord, WorkspaceId};
use crate::store::Store;
use crate::telemetry::BudgetMetrics;

/// Rows waiting for the writer; more are written directly by their caller.
const QUEUE: usize = 4096;
/// Most rows in one transaction.
const MAX_BATCH: usize = 500;

/// What a call served: who pays for it and what it was for.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CallSite {
    pub workspace: WorkspaceId,
    pub campaign: Option<CampaignId>,
    pub lead: Option<LeadId>,
    pub step: Option<u32>,
    pub purpose: Purpose,
}

impl CallSite {
    /// A call for `purpose` in workspace `ws`, for no campaign, lead or step yet.
    pub fn for_purpose(ws: WorkspaceId, purpose: Purpose) -> Self {
        Self {
            workspace: ws,
            campaign: None,
            lead: None,
            step: None,
            purpose,
        }
    }

    /// One email of a campaign's sequence (or its preview).
    pub fn email(ws: WorkspaceId, campaign: CampaignId, lead: LeadId, step: u32) -> Self {
        Self {
            workspace: ws,
            campaign: Some(campaign),
            lead: Some(lead),
            step: Some(step),
            purpose: Purpose::Email,
        }
    }

    fn record(&self, now: DateTime<Utc>) -> UsageRecord {
        UsageRecord {
            workspace_id: self.workspace,
            campaign_id: self.campaign,
            lead_id: self.lead,
            step_order: self.step,
            purpose: self.purpose,
            provider: String::new(),
            model: None,
            prompt_tokens: 0,
            completion_tokens: 0,
            cost_usd: 0.0,
            latency: Duration::ZERO,
            outcome: UsageOutcome::Ok,
            error: None,
            occurred_at: now,
        }
    }
}

/// Records calls and answers budget checks; one per daemon, shared by the campaign actors and
/// the API.
pub struct UsageRecorder {
    budgets: Budgets,
    store: Arc<dyn Store>,
    queue: mpsc::Sender<UsageRecord>,
    metrics: BudgetMetrics,
}

impl UsageRecorder {
    /// Starts the writer on `tracker`; it drains and stops when `cancel` fires.
    pub fn start(
        store: Arc<dyn Store>,
        budgets: BudgetSettings,
        metrics: BudgetMetrics,
        cancel: CancellationToken,
        tracker: &TaskTracker,
    ) -> Arc<Self> {
        let (queue, rx) = mpsc::channel(QUEUE);
        tracker.spawn(write_batches(store.clone(), rx, cancel, metrics.clone()));
        Arc::new(Self {
            budgets: Budgets::new(budgets, store.clone(), metrics.clone()),
            store,
            queue,
            metrics,
        })
    }

    /// A recorder without a writer task, for a CLI command's short-lived process: every row
    /// is written by its caller before `record` returns, so none is lost when the process
    /// exits.
    pub fn direct(store: Arc<dyn Store>, budgets: BudgetSettings) -> Arc<Self> {
        let metrics = BudgetMetrics::default();
        // A queue with no receiver is closed: `record` writes each row at once.
        let (queue, _) = mpsc::channel(1);
        Arc::new(Self {
            budgets: Budgets::new(budgets, store.clone(), metrics.clone()),
            store,
            queue,
            metrics,
        })
    }

    /// `Ok` when the site may make a paid call now; else which budget is spent.
    pub async fn allowance(&self, site: &CallSite) -> Result<(), Exhausted> {
        self.budgets
            .check(site.workspace, site.campaign, Utc::now())
            .await
    }

    /// A call through the shared language-model interface ended with `outcome`.
    pub async fn record_call(
        &self,
        site: &CallSite,
        usage: &CallUsage,
        outcome: UsageOutcome,
        error: Option<&ContentError>,
    ) {
        let record = UsageRecord {
            provider: usage.provider.to_owned(),
            model: Some(usage.model.clone()),
            prompt_tokens: usage.input_tokens,
            completion_tokens: usage.output_tokens,
            cost_usd: usage.cost_usd,
            latency: usage.latency,
            outcome,
            error: error.map(ToString::to_string),
            ..site.record(Utc::now())
        };
        self.record(record).await;
    }

    /// A call of `provider` that failed: without an answer (no tokens, no cost), or with
    /// answers the quality gates refused (their cost).
    pub async fn record_failure(
        &self,
        site: &CallSite,
        provider: &str,
        error: &ContentError,
        latency: Duration,
    ) {
        let (prompt_tokens, completion_tokens, cost_usd) = match error {
            ContentError::Rejected {
                prompt_tokens,
                completion_tokens,
                cost_usd,
                ..
            } => (*prompt_tokens, *completion_tokens, *cost_usd),
            _ => (0, 0, 0.0),
        };
        let record = UsageRecord {
            provider: provider.to_owned(),
            prompt_tokens,
            completion_tokens,
            cost_usd,
            latency,
            outcome: UsageOutcome::Error,
            error: Some(error.to_string()),
            ..site.record(Utc::now())
        };
        self.record(record).await;
    }

    /// What the content provider `provider` (the configured one) answered: its text, or the
    /// rendered template after a failure or a refused answer (`fallback_reason`).
    pub async fn record_generated(
        &self,
        site: &CallSite,
        provider: &str,
        generated: &Generated,
        latency: Duration,
    ) {
        let (outcome, error) = match &generated.fallback_reason {
            Some(reason) => (UsageOutcome::Fallback, Some(reason.clone())),
            None => (UsageOutcome::Ok, None),
        };
        let record = UsageRecord {
            provider: provider.to_owned(),
            model: generated.model.clone(),
            prompt_tokens: generated.prompt_tokens,
            completion_tokens: generated.completion_tokens,
            cost_usd: generated.cost_usd,
            latency,
            outcome,
            error,
            ..site.record(Utc::now())
        };
        self.record(record).await;
    }

    /// Counts the cost against today's budgets, then queues the row (or writes it at once when
    /// the queue is full or closed).
    pub async fn record(&self, record: UsageRecord) {
        self.budgets.spent(
            record.workspace_id,
            record.campaign_id,
            record.cost_usd,
            record.occurred_at,
        );
        let Err(e) = self.queue.try_send(record) else {
            return;
        };
        let record = match e {
            mpsc::error::TrySendError::Full(r) | mpsc::error::TrySendError::Closed(r) => r,
        };
        write(self.store.as_ref(), &[record], &self.metrics).await;
    }
}

async fn write(store: &dyn Store, batch: &[UsageRecord], metrics: &BudgetMetrics) {
    if let Err(e) = store.record_usage(batch).await {
        metrics.write_failed(batch.len());
        tracing::warn!(rows = batch.len(), error = %e, "Failed to store language-model usage; today's budgets still count it.");
    }
}

/// The writer: stores what queued up since its last batch, until cancelled, then drains.
async fn write_batches(
    store: Arc<dyn Store>,
    mut rx: mpsc::Receiver<UsageRecord>,
    cancel: CancellationToken,
    metrics: BudgetMetrics,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        let first = tokio::select! {
            _ = cancel.cancelled() => break,
            next = rx.recv() => next,
        };
        let Some(first) = first else { break };
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(r) => batch.push(r),
                Err(_) => break,
            }
        }
        write(store.as_ref(), &batch, &metrics).await;
        batch.clear();
    }
    // Later rows are written by their callers (the queue is closed).
    rx.close();
    while let Some(r) = rx.recv().await {
        batch.push(r);
        if batch.len() >= MAX_BATCH {
            write(store.as_ref(), &batch, &metrics).await;
            batch.clear();
        }
    }
    write(store.as_ref(), &batch, &metrics).await;
}
