//! From a claim to a ready job: render the step's templates for the lead, let the content
//! provider write the final text, store it (so a retry resends the same words; a batch per
//! round trip), then route the job to the lead's mailbox. Template errors fail the step with their reason; a provider
//! error that may pass is retried later.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::task::JoinSet;

use crate::actors::context::DispatchContext;
use crate::actors::job::{CampaignPlan, SendJob};
use crate::actors::mailbox::MailboxHandle;
use crate::actors::registry::MailboxRegistry;
use crate::content::{
    Draft, GenerationRequest, RenderContext, TemplatePart, normalize_subject, render, render_draft,
    spin_seed,
};
use crate::domain::{
    CampaignId, ClaimedSend, Completion, GeneratedFor, GeneratedMessage, Mailbox, MailboxId,
    Product,
};

use crate::telemetry::GenerationResult;

/// Fresh texts are stored in batches of at most this many (one round trip each)...
const SAVE_BATCH: usize = 500;
/// ...and no ready message waits longer than this for its batch to fill (slow providers).
const SAVE_WAIT: Duration = Duration::from_millis(20);

/// A claim with its text, ready for its mailbox.
struct Ready {
    claim: ClaimedSend,
    message: GeneratedMessage,
    /// Written now, not stored by an earlier attempt: it must be stored before it is sent.
    fresh: bool,
    handle: MailboxHandle,
}

/// What generating and routing one claim batch needs, owned, so the batch can be dispatched
/// on a task of its own while the campaign actor claims the next one.
pub(super) struct Dispatcher {
    pub(super) campaign_id: CampaignId,
    pub(super) ctx: Arc<DispatchContext>,
    pub(super) registry: MailboxRegistry,
    pub(super) product: Option<Product>,
    pub(super) mailboxes: Arc<HashMap<MailboxId, Mailbox>>,
}

impl Dispatcher {
    /// Generates every claim, at most `generation_concurrency` at once, stores the new texts in
    /// batches and routes each job to its mailbox.
    pub(super) async fn dispatch(self, plan: Arc<CampaignPlan>, claims: Vec<ClaimedSend>) {
        let plan = &plan;
        let concurrency = (self.ctx.settings.generation_concurrency as usize).max(1);
        let mut claims = claims.into_iter();
        let mut tasks = JoinSet::new();
        let mut batch: Vec<Ready> = Vec::new();
        let mut oldest: Option<Instant> = None;
        loop {
            while tasks.len() < concurrency {
                let Some(claim) = claims.next() else { break };
                let ctx = self.ctx.clone();
                let plan = plan.clone();
                let product = self.product.clone();
                let handle = self.registry.get(claim.send.mailbox_id);
                let mailbox = self.mailboxes.get(&claim.send.mailbox_id).cloned();
                tasks.spawn(async move {
                    prepare(&ctx, &plan, product.as_ref(), mailbox.zip(handle), claim).await
                });
            }
            if tasks.is_empty() {
                break;
            }
            let wait = oldest.map_or(Duration::MAX, |t| SAVE_WAIT.saturating_sub(t.elapsed()));
            // Anything else was released or failed (and recorded), or panicked: the lease
            // brings that claim back.
            if let Ok(Some(Ok(Some(ready)))) = tokio::time::timeout(wait, tasks.join_next()).await {
                oldest.get_or_insert_with(Instant::now);
                batch.push(ready);
            }
            let waited = oldest.is_some_and(|t| t.elapsed() >= SAVE_WAIT);
            if batch.len() >= SAVE_BATCH || (waited && !batch.is_empty()) {
                self.store_and_route(plan, std::mem::take(&mut batch)).await;
                oldest = None;
            }
        }
        self.store_and_route(plan, batch).await;
    }

    /// Stores the fresh texts of `batch` in one call (keeping any text stored first), then
    /// hands each job to its mailbox. If storing fails the fresh ones retry later: a text is
    /// never sent before it is stored.
    async fn store_and_route(&self, plan: &Arc<CampaignPlan>, batch: Vec<Ready>) {
        if batch.is_empty() {
            return;
        }
        let fresh: Vec<GeneratedFor> = batch
            .iter()
            .filter(|r| r.fresh)
            .map(|r| GeneratedFor {
                campaign_lead_id: r.claim.send.campaign_lead_id,
                step_order: r.claim.step_order,
                message: r.message.clone(),
            })
            .collect();
        let mut stored = match self.ctx.store.save_generated_many(&fresh).await {
            Ok(stored) => Some(stored.into_iter()),
            Err(e) => {
                tracing::warn!(campaign = %self.campaign_id, error = %e, "Storing generated messages failed; their sends retry shortly.");
                None
            }
        };
        for mut ready in batch {
            if ready.fresh {
                match stored.as_mut().and_then(Iterator::next) {
                    Some(text) => ready.message = text,
                    None => {
                        let at = Utc::now() + chrono::TimeDelta::seconds(30);
                        release(
                            &self.ctx,
                            &ready.claim,
                            at,
                            "cannot store the generated message",
                        )
                        .await;
                        continue;
                    }
                }
            }
            let job = SendJob {
                claim: ready.claim,
                message: ready.message,
                plan: plan.clone(),
            };
            if let Err(job) = ready.handle.try_send(job) {
                // Backpressure: the mailbox is full. Give the claim back as it was.
                release(
                    &self.ctx,
                    &job.claim,
                    job.claim.due_at,
                    "mailbox queue full",
                )
                .await;
            }
        }
    }
}

/// The claim's text and mailbox, or `None` when it was released or failed (recorded here).
async fn prepare(
    ctx: &DispatchContext,
    plan: &CampaignPlan,
    product: Option<&Product>,
    mailbox: Option<(Mailbox, MailboxHandle)>,
    claim: ClaimedSend,
) -> Option<Ready> {
    // A due row outside the campaign's sending window waits for its next opening: it is never
    // sent early, and never lost. Run Now bypasses windows (but never caps or suppressions).
    if ctx.ignore_windows_for != Some(plan.campaign.id) {
        let zone = plan.zone_for(claim.lead.timezone.as_deref());
        let window = plan.campaign.rules.window;
        let now = Utc::now();
        if !window.is_open(now, zone) {
            release(
                ctx,
                &claim,
                window.next_open(now, zone),
                "outside the sending window",
            )
            .await;
            return None;
        }
    }
    let Some((mailbox, handle)) = mailbox else {
        // The lead's mailbox is paused or gone: leave the lead waiting for it.
        let at = Utc::now() + ctx.settings.throttle_cooldown.to_chrono();
        release(ctx, &claim, at, "the lead's mailbox is not sending").await;
        return None;
    };
    if let Some(stored) = claim.generated.clone() {
        return Some(Ready {
            claim,
            message: stored,
            fresh: false,
            handle,
        });
    }
    match generate(ctx, plan, product, &mailbox, &claim).await {
        Ok(message) => Some(Ready {
            claim,
            message,
            fresh: true,
            handle,
        }),
        Err(completion) => {
            ctx.sink.record(completion).await;
            None
        }
    }
}

async fn release(
    ctx: &DispatchContext,
    claim: &ClaimedSend,
    at: chrono::DateTime<Utc>,
    reason: &str,
) {
    ctx.sink
        .record(Completion::Retry {
            send: claim.send,
            at,
            reason: reason.to_owned(),
            counts_as_attempt: false,
        })
        .await;
}

/// A new text for this claim (the caller stores it before it is sent).
async fn generate(
    ctx: &DispatchContext,
    plan: &CampaignPlan,
    product: Option<&Product>,
    mailbox: &Mailbox,
    claim: &ClaimedSend,
) -> Result<GeneratedMessage, Completion> {
    let failed = |reason: String| Completion::Failed {
        send: claim.send,
        reason,
    };
    let step = plan.step(claim.step_order).ok_or_else(|| {
        failed(format!(
            "step {} no longer exists in the campaign",
            claim.step_order
        ))
    })?;
    let context = RenderContext::new(
        &claim.lead,
        mailbox,
        &plan.campaign,
        product,
        claim.step_order,
    );
    let seed = spin_seed(claim.lead.id, claim.step_order);
    let (draft, keep_subject) = match (&step.subject_template, &claim.thread) {
        (Some(subject), _) => {
            let draft = render_draft(subject, &step.body_template, &context, seed)
                .map_err(|e| failed(e.to_string()))?;
            (draft, false)
        }
        (None, Some(thread)) => {
            let body = render(TemplatePart::Body, &step.body_template, &context, seed)
                .map_err(|e| failed(e.to_string()))?;
            (
                Draft {
                    subject: reply_subject(&thread.first_subject),
                    body,
                },
                true,
            )
        }
        (None, None) => {
            return Err(failed(format!(
                "step {} has no subject and the lead has no earlier message to reply to",
                claim.step_order
            )));
        }
    };
    let request = GenerationRequest {
        draft,
        keep_subject,
        ai_instructions: step.ai_instructions.clone(),
        context,
    };
    let started = Instant::now();
    let result = ctx.content.generate(&request).await;
    let generated = match result {
        Ok(generated) => {
            let m = &ctx.content_metrics;
            m.generated(GenerationResult::Ok, started.elapsed());
            let g = &generated;
            m.usage(
                &g.provider,
                g.prompt_tokens,
                g.completion_tokens,
                g.cost_usd,
            );
            generated
        }
        Err(e) if e.is_retryable() && claim.attempts + 1 < ctx.settings.max_attempts => {
            ctx.content_metrics
                .generated(GenerationResult::Retry, started.elapsed());
            ctx.metrics.error("generate", "provider_temporary");
            return Err(Completion::Retry {
                send: claim.send,
                at: Utc::now() + ctx.retry_delay(claim.attempts),
                reason: e.to_string(),
                counts_as_attempt: true,
            });
        }
        Err(e) => {
            ctx.content_metrics
                .generated(GenerationResult::Failed, started.elapsed());
            ctx.metrics.error("generate", "provider_permanent");
            return Err(failed(e.to_string()));
        }
    };
    Ok(GeneratedMessage {
        subject: normalize_subject(&generated.subject),
        body_text: generated.body,
        body_html: None,
        provider: generated.provider,
        model: generated.model,
        prompt_tokens: generated.prompt_tokens,
        completion_tokens: generated.completion_tokens,
        cost_usd: generated.cost_usd,
    })
}

/// "Re: <first subject>", without stacking prefixes.
fn reply_subject(first: &str) -> String {
    let trimmed = first.trim();
    if trimmed.len() >= 3 && trimmed[..3].eq_ignore_ascii_case("re:") {
        trimmed.to_owned()
    } else {
        format!("Re: {trimmed}")
    }
}

#[cfg(test)]
mod tests {
    use super::reply_subject;

    #[test]
    fn follow_ups_reply_under_the_first_subject_once() {
        assert_eq!(reply_subject("Quick question"), "Re: Quick question");
        assert_eq!(reply_subject("RE: Quick question"), "RE: Quick question");
        assert_eq!(reply_subject("Ré"), "Re: Ré");
    }
}
