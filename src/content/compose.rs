//! One (lead, step) from the stored rows to what a provider is asked for and what is stored:
//! the step's templates rendered for the lead (a follow-up without a subject replies under the
//! thread's first subject), and the provider's answer in the form `generated_messages` keeps.
//!
//! Shared by the campaign actors (before a send) and the API's preview, so a preview is
//! produced exactly as the send would be.

use crate::domain::{Campaign, GeneratedMessage, Lead, Mailbox, Product, Step};

use super::context::RenderContext;
use super::provider::{Generated, GenerationRequest};
use super::spintax::spin_seed;
use super::template::{Draft, normalize_subject, render, render_draft};
use super::{ContentError, TemplatePart};

/// What one (lead, step) is written from.
pub struct Composition<'a> {
    pub campaign: &'a Campaign,
    pub step: &'a Step,
    pub lead: &'a Lead,
    pub mailbox: &'a Mailbox,
    pub product: Option<&'a Product>,
    /// The subject of the lead's first message, when there is one: a follow-up without a
    /// subject of its own replies under it.
    pub first_subject: Option<&'a str>,
}

/// Why a step cannot be written for this lead. Both are permanent: retrying cannot help.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ComposeError {
    #[error(transparent)]
    Template(#[from] ContentError),
    #[error("step {0} has no subject and the lead has no earlier message to reply to")]
    NoThread(u32),
}

/// The provider's request for this (lead, step): the templates rendered with the lead's
/// fields, seeded by lead and step so the same lead always gets the same spintax picks.
pub fn request_for(c: &Composition<'_>) -> Result<GenerationRequest, ComposeError> {
    let step = c.step;
    let context = RenderContext::new(c.lead, c.mailbox, c.campaign, c.product, step.step_order);
    let seed = spin_seed(c.lead.id, step.step_order);
    let (draft, keep_subject) = match (&step.subject_template, c.first_subject) {
        (Some(subject), _) => (
            render_draft(subject, &step.body_template, &context, seed)?,
            false,
        ),
        (None, Some(first)) => {
            let body = render(TemplatePart::Body, &step.body_template, &context, seed)?;
            let draft = Draft {
                subject: reply_subject(first),
                body,
            };
            (draft, true)
        }
        (None, None) => return Err(ComposeError::NoThread(step.step_order)),
    };
    Ok(GenerationRequest {
        draft,
        keep_subject,
        ai_instructions: step.ai_instructions.clone(),
        context,
        ai: c.campaign.ai.clone(),
        tone: None,
    })
}

/// The provider's answer as it is stored and sent.
pub fn stored_form(generated: Generated) -> GeneratedMessage {
    GeneratedMessage {
        subject: normalize_subject(&generated.subject),
        body_text: generated.body,
        body_html: None,
        provider: generated.provider,
        model: generated.model,
        prompt_tokens: generated.prompt_tokens,
        completion_tokens: generated.completion_tokens,
        cost_usd: generated.cost_usd,
    }
}

/// "Re: <first subject>", without stacking prefixes.
pub fn reply_subject(first: &str) -> String {
    let trimmed = first.trim();
    // `get`: the first three bytes may end inside a character.
    if trimmed
        .get(..3)
        .is_some_and(|p| p.eq_ignore_ascii_case("re:"))
    {
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
        assert_eq!(reply_subject("aaé"), "Re: aaé");
    }
}
