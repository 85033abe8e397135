//! A new text for one claim: `content::request_for` renders the step's templates for the lead
//! (the same code the API's preview uses), then the content provider writes the final text.
//! Template errors fail the step with their reason; a provider error that may pass is a retry.
//! The usage recorder checks the day's AI budgets first and records the call (`api_usage`);
//! a spent budget under `on_exhausted = "wait"` holds the step until it renews.

use std::time::Instant;

use chrono::Utc;

use crate::actors::context::DispatchContext;
use crate::actors::job::CampaignPlan;
use crate::content::{Composition, request_for, stored_form};
use crate::domain::{ClaimedSend, Completion, GeneratedMessage, Mailbox, Product};
use crate::service::usage::{CallSite, Written};
use crate::telemetry::GenerationResult;

/// A new text for this claim (the caller stores it before it is sent).
pub(super) async fn generate(
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
    let request = request_for(&Composition {
        campaign: &plan.campaign,
        step,
        lead: &claim.lead,
        mailbox,
        product,
        first_subject: claim.thread.as_ref().map(|t| t.first_subject.as_str()),
    })
    .map_err(|e| failed(e.to_string()))?;
    let site = CallSite::email(
        plan.campaign.workspace_id,
        plan.campaign.id,
        claim.lead.id,
        claim.step_order,
    );
    let started = Instant::now();
    let result = ctx
        .usage
        .write_email(ctx.content.as_ref(), &site, &request)
        .await;
    let generated = match result {
        Ok(Written::Wait { until, reason }) => {
            return Err(Completion::Retry {
                send: claim.send,
                at: until,
                reason,
                counts_as_attempt: false,
            });
        }
        Ok(Written::Text(generated)) => {
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
    Ok(stored_form(generated))
}
