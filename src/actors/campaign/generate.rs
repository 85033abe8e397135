//! From a claim to a ready job: render the step's templates for the lead, let the content
//! provider write the final text, store it (so a retry resends the same words), then route the
//! job to the lead's mailbox. Template errors fail the step with their reason; a provider
//! error that may pass is retried later.

use std::sync::Arc;

use chrono::Utc;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use super::CampaignActor;
use crate::actors::context::DispatchContext;
use crate::actors::job::{CampaignPlan, SendJob};
use crate::actors::registry::MailboxRegistry;
use crate::content::{
    Draft, GenerationRequest, RenderContext, TemplatePart, normalize_subject, render, render_draft,
    spin_seed,
};
use crate::store::{ClaimedSend, Completion, GeneratedMessage, Mailbox, Product};

impl CampaignActor {
    /// Generates and routes every claim, at most `generation_concurrency` at once.
    pub(super) async fn dispatch(&self, plan: &Arc<CampaignPlan>, claims: Vec<ClaimedSend>) {
        let limit = Arc::new(Semaphore::new(
            self.ctx.settings.generation_concurrency as usize,
        ));
        let mut tasks = JoinSet::new();
        for claim in claims {
            let Ok(permit) = limit.clone().acquire_owned().await else {
                break;
            };
            let ctx = self.ctx.clone();
            let plan = plan.clone();
            let product = self.product.clone();
            let registry = self.registry.clone();
            let mailbox = self.mailboxes.get(&claim.send.mailbox_id).cloned();
            tasks.spawn(async move {
                let _permit = permit;
                prepare_and_route(
                    &ctx,
                    plan,
                    product.as_ref(),
                    mailbox.as_ref(),
                    &registry,
                    claim,
                )
                .await;
            });
            while tasks.try_join_next().is_some() {}
        }
        while tasks.join_next().await.is_some() {}
    }
}

async fn prepare_and_route(
    ctx: &DispatchContext,
    plan: Arc<CampaignPlan>,
    product: Option<&Product>,
    mailbox: Option<&Mailbox>,
    registry: &MailboxRegistry,
    claim: ClaimedSend,
) {
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
            return;
        }
    }
    let (Some(mailbox), Some(handle)) = (mailbox, registry.get(claim.send.mailbox_id)) else {
        // The lead's mailbox is paused or gone: leave the lead waiting for it.
        let at = Utc::now() + ctx.settings.throttle_cooldown.to_chrono();
        release(ctx, &claim, at, "the lead's mailbox is not sending").await;
        return;
    };
    let message = match generate(ctx, &plan, product, mailbox, &claim).await {
        Ok(message) => message,
        Err(completion) => {
            ctx.sink.record(completion).await;
            return;
        }
    };
    if let Err(job) = handle.try_send(SendJob {
        claim,
        message,
        plan,
    }) {
        // Backpressure: the mailbox is full. Give the claim back as it was.
        release(ctx, &job.claim, job.claim.due_at, "mailbox queue full").await;
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

/// The text to send for this claim: the stored one if an earlier attempt made it, else a new one.
async fn generate(
    ctx: &DispatchContext,
    plan: &CampaignPlan,
    product: Option<&Product>,
    mailbox: &Mailbox,
    claim: &ClaimedSend,
) -> Result<GeneratedMessage, Completion> {
    if let Some(stored) = &claim.generated {
        return Ok(stored.clone());
    }
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
    let generated = match ctx.content.generate(&request).await {
        Ok(generated) => generated,
        Err(e) if e.is_retryable() && claim.attempts + 1 < ctx.settings.max_attempts => {
            return Err(Completion::Retry {
                send: claim.send,
                at: Utc::now() + ctx.retry_delay(claim.attempts),
                reason: e.to_string(),
                counts_as_attempt: true,
            });
        }
        Err(e) => return Err(failed(e.to_string())),
    };
    let message = GeneratedMessage {
        subject: normalize_subject(&generated.subject),
        body_text: generated.body,
        body_html: None,
        provider: generated.provider,
        model: generated.model,
        prompt_tokens: generated.prompt_tokens,
        completion_tokens: generated.completion_tokens,
        cost_usd: generated.cost_usd,
    };
    ctx.store
        .save_generated(&claim.send, claim.step_order, &message)
        .await
        .map_err(|e| Completion::Retry {
            send: claim.send,
            at: Utc::now() + chrono::TimeDelta::seconds(30),
            reason: format!("cannot store the generated message: {e}"),
            counts_as_attempt: false,
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
