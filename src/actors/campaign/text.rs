//! A new text for one claim: render the step's templates for the lead (a follow-up without a
//! subject replies under the first one), then let the content provider write the final text.
//! Template errors fail the step with their reason; a provider error that may pass is a retry.

use crate::domain::{ClaimedSend, Completion, GeneratedMessage, Mailbox, Product};
use std::time::Instant;

use chrono::Utc;

use crate::actors::context::DispatchContext;
use crate::actors::job::CampaignPlan;
use crate::content::{
    Draft, GenerationRequest, RenderContext, TemplatePart, normalize_subject, render, render_draft,
    spin_seed,
};

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
