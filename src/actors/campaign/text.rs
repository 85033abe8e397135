//! A new text for one (lead, step): `content::request_for` renders the step's templates for the
//! lead (the same code the API's preview uses), then the content provider writes the final text.
//! Claims and the writer-ahead (`prefetch.rs`) both come here. For a claim, template errors
//! fail the step with their reason and a provider error that may pass is a retry.

use std::time::{Duration, Instant};

use chrono::Utc;

use crate::actors::context::DispatchContext;
use crate::actors::job::CampaignPlan;
use crate::content::{Composition, ContentError, request_for, stored_form};
use crate::domain::{
    ClaimedSend, Completion, GeneratedMessage, Lead, Mailbox, Product, ThreadInfo,
};
use crate::telemetry::GenerationResult;

/// The (lead, step) a text is written for.
pub(super) struct Subject<'a> {
    pub(super) lead: &'a Lead,
    pub(super) step_order: u32,
    pub(super) thread: Option<&'a ThreadInfo>,
}

/// Why no text was written.
pub(super) enum WriteError {
    /// The step cannot be written for this lead (template error, no such step, no thread):
    /// trying again cannot help.
    Permanent(String),
    /// The provider failed after this long (the caller counts the result: whether it is retried
    /// depends on the caller).
    Provider(ContentError, Duration),
}

/// Writes the text (the caller stores it before it is sent), counting a success, its tokens
/// and cost.
pub(super) async fn write(
    ctx: &DispatchContext,
    plan: &CampaignPlan,
    product: Option<&Product>,
    mailbox: &Mailbox,
    subject: Subject<'_>,
) -> Result<GeneratedMessage, WriteError> {
    let step = plan.step(subject.step_order).ok_or_else(|| {
        WriteError::Permanent(format!(
            "step {} no longer exists in the campaign",
            subject.step_order
        ))
    })?;
    let request = request_for(&Composition {
        campaign: &plan.campaign,
        step,
        lead: subject.lead,
        mailbox,
        product,
        first_subject: subject.thread.map(|t| t.first_subject.as_str()),
    })
    .map_err(|e| WriteError::Permanent(e.to_string()))?;
    let started = Instant::now();
    match ctx.content.generate(&request).await {
        Ok(g) => {
            let m = &ctx.content_metrics;
            m.generated(GenerationResult::Ok, started.elapsed());
            m.usage(
                &g.provider,
                g.prompt_tokens,
                g.completion_tokens,
                g.cost_usd,
            );
            Ok(stored_form(g))
        }
        Err(e) => Err(WriteError::Provider(e, started.elapsed())),
    }
}

/// A new text for this claim (the caller stores it before it is sent), or the completion that
/// records why there is none.
pub(super) async fn generate(
    ctx: &DispatchContext,
    plan: &CampaignPlan,
    product: Option<&Product>,
    mailbox: &Mailbox,
    claim: &ClaimedSend,
) -> Result<GeneratedMessage, Completion> {
    let subject = Subject {
        lead: &claim.lead,
        step_order: claim.step_order,
        thread: claim.thread.as_ref(),
    };
    match write(ctx, plan, product, mailbox, subject).await {
        Ok(message) => Ok(message),
        Err(WriteError::Permanent(reason)) => Err(Completion::Failed {
            send: claim.send,
            reason,
        }),
        Err(WriteError::Provider(e, took))
            if e.is_retryable() && claim.attempts + 1 < ctx.settings.max_attempts =>
        {
            ctx.content_metrics.generated(GenerationResult::Retry, took);
            ctx.metrics.error("generate", "provider_temporary");
            Err(Completion::Retry {
                send: claim.send,
                at: Utc::now() + ctx.retry_delay(claim.attempts),
                reason: e.to_string(),
                counts_as_attempt: true,
            })
        }
        Err(WriteError::Provider(e, took)) => {
            ctx.content_metrics
                .generated(GenerationResult::Failed, took);
            ctx.metrics.error("generate", "provider_permanent");
            Err(Completion::Failed {
                send: claim.send,
                reason: e.to_string(),
            })
        }
    }
}
