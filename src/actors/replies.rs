//! The reply drafter: a small background worker that drafts an answer to each kept lead reply
//! (`service::replies::draft`) one at a time. The IMAP pollers offer each reply they keep
//! through a [`ReplyInbox`]; offering never waits (a full queue drops the offer), and the
//! worker sweeps the replies still `pending` when it starts and every `replies.retry_interval`
//! (drafts that failed, offers dropped), so nothing offered is lost for good. Runs only with
//! `[replies] enabled`. Each draft is checked against the daily budgets (a spent one leaves the
//! reply pending for a later sweep) and recorded in `api_usage`.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::ai::LanguageModel;
use crate::domain::LeadReplyId;
use crate::service::replies::{ReplyError, draft};
use crate::service::usage::UsageRecorder;
use crate::store::Store;

/// Offers waiting for the drafter before new ones are dropped (the start-up sweep takes them).
const INBOX: usize = 256;
/// Replies one sweep drafts at most (the next sweep takes the rest).
const SWEEP: u32 = 500;

/// Where the pollers offer kept replies. The default drafts nothing (`[replies]` is off).
#[derive(Clone, Default)]
pub struct ReplyInbox {
    tx: Option<mpsc::Sender<LeadReplyId>>,
}

impl ReplyInbox {
    /// Offers a reply for drafting without waiting.
    pub fn offer(&self, id: LeadReplyId) {
        let Some(tx) = &self.tx else {
            return;
        };
        if tx.try_send(id).is_err() {
            tracing::debug!(reply = %id, "Reply drafter busy; the reply waits for the next sweep.");
        }
    }
}

/// Starts the drafter; it runs until `cancel` fires.
pub fn spawn_reply_drafter(
    store: Arc<dyn Store>,
    model: Arc<dyn LanguageModel>,
    usage: Arc<UsageRecorder>,
    retry_interval: Duration,
    cancel: CancellationToken,
    tracker: &TaskTracker,
) -> ReplyInbox {
    let (tx, rx) = mpsc::channel(INBOX);
    tracker.spawn(run(store, model, usage, rx, retry_interval, cancel));
    ReplyInbox { tx: Some(tx) }
}

async fn run(
    store: Arc<dyn Store>,
    model: Arc<dyn LanguageModel>,
    usage: Arc<UsageRecorder>,
    mut rx: mpsc::Receiver<LeadReplyId>,
    retry_interval: Duration,
    cancel: CancellationToken,
) {
    tracing::info!(
        provider = model.provider(),
        model = model.model(),
        "Reply drafter started."
    );
    // The first tick is at once: the start-up sweep.
    let mut sweep = tokio::time::interval(retry_interval);
    sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let id = tokio::select! {
            biased;
            () = cancel.cancelled() => return,
            _ = sweep.tick() => {
                sweep_pending(store.as_ref(), model.as_ref(), &usage, &cancel).await;
                continue;
            }
            id = rx.recv() => id,
        };
        let Some(id) = id else { return };
        tokio::select! {
            biased;
            // A draft cut short stays `pending`: the next start drafts it.
            () = cancel.cancelled() => return,
            () = draft_one(store.as_ref(), model.as_ref(), &usage, id) => {}
        }
    }
}

async fn sweep_pending(
    store: &dyn Store,
    model: &dyn LanguageModel,
    usage: &UsageRecorder,
    cancel: &CancellationToken,
) {
    match store.pending_replies(SWEEP).await {
        Ok(pending) => {
            for id in pending {
                tokio::select! {
                    biased;
                    () = cancel.cancelled() => return,
                    () = draft_one(store, model, usage, id) => {}
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "Cannot list replies waiting for a draft."),
    }
}

async fn draft_one(
    store: &dyn Store,
    model: &dyn LanguageModel,
    usage: &UsageRecorder,
    id: LeadReplyId,
) {
    match draft(store, model, usage, id).await {
        Ok(Some(usage)) => {
            // `draft` recorded the call (purpose reply_draft) in api_usage.
            tracing::info!(
                reply = %id,
                provider = usage.provider,
                model = %usage.model,
                input_tokens = usage.input_tokens,
                output_tokens = usage.output_tokens,
                cost_usd = usage.cost_usd,
                "Reply answer drafted."
            );
        }
        Ok(None) => {}
        Err(ReplyError::Draft(error)) => {
            tracing::warn!(reply = %id, error = %error, "Drafting an answer failed; the reply stays pending.");
        }
        Err(e) => tracing::warn!(reply = %id, error = %e, "Drafting an answer failed."),
    }
}
