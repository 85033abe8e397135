//! The email prompt: the system prompt, the user message holding the inputs as JSON, and the
//! schema of the answer (`{subject, body}`), as one [`JsonRequest`] any language model takes;
//! and how its answer becomes a [`Generated`].

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ai::{JsonAnswer, JsonRequest, Purpose};
use crate::content::context::{LeadVars, ProductVars, SenderVars};
use crate::content::error::ContentError;
use crate::content::provider::{Generated, GenerationRequest};
use crate::content::template::{Draft, MAX_OUTPUT_BYTES, normalize_subject};

pub const SYSTEM_PROMPT: &str = "\
You personalise one cold email of a B2B outreach sequence for one recipient.

The user message is JSON: the campaign goal, optional instructions for this step, a draft (subject \
and body) the sender already wrote, facts about the recipient (lead fields, custom fields, an \
optional persona), the product and the sender.

Rules:
- Rewrite the draft for this recipient. Keep its intent, its call to action, its language and any \
links, dates and numbers exactly as written.
- Use only facts present in the input. Never invent names, numbers, customers, results, quotes or \
events. When a fact is missing, write around it; never leave placeholders such as [Name] or {{...}}.
- Keep it short: at most 120 words in the body, short paragraphs, one clear low-friction call to \
action (a question works best). Lead with the recipient, not with the sender.
- Plain text only: no HTML, no Markdown, no emojis, no bullet symbols unless the draft has them.
- Sound like one person writing to another: no hype, no buzzwords, no flattery, no exclamation marks.
- Subject: under 60 characters, plain and specific, no clickbait, no ALL CAPS, no spam words \
(free, guarantee, act now, limited time).
- If keep_subject is true, return the draft subject unchanged.
- End the body with the sender's signature exactly as it appears in the draft (or as \
sender.signature when the draft has none); do not add another sign-off.
- Follow the step instructions unless they conflict with these rules.
- If a tone is given, write in that tone within these rules.

Answer with one JSON object and nothing else: {\"subject\": \"...\", \"body\": \"...\"}, with \\n \
for line breaks in the body.";

/// The user message: what the model may use, and nothing else.
#[derive(Serialize)]
struct Inputs<'a> {
    campaign_goal: Option<&'a str>,
    step: u32,
    step_instructions: Option<&'a str>,
    keep_subject: bool,
    /// Only when asked for (a preview's tone): the default prompt is unchanged.
    #[serde(skip_serializing_if = "Option::is_none")]
    tone: Option<&'a str>,
    draft: &'a Draft,
    recipient: Recipient<'a>,
    product: Option<&'a ProductVars>,
    sender: &'a SenderVars,
}

/// What the model learns about the recipient: enough to personalise, but not the email address
/// or phone number, which it has no use for (data minimisation: the endpoint may be a third party).
#[derive(Serialize)]
struct Recipient<'a> {
    first_name: Option<&'a str>,
    last_name: Option<&'a str>,
    full_name: Option<&'a str>,
    title: Option<&'a str>,
    company: Option<&'a str>,
    website: Option<&'a str>,
    linkedin: Option<&'a str>,
    timezone: Option<&'a str>,
    custom: &'a BTreeMap<String, String>,
    persona: Option<&'a serde_json::Value>,
}

impl<'a> Recipient<'a> {
    fn new(
        lead: &'a LeadVars,
        custom: &'a BTreeMap<String, String>,
        persona: Option<&'a serde_json::Value>,
    ) -> Self {
        Self {
            first_name: lead.first_name.as_deref(),
            last_name: lead.last_name.as_deref(),
            full_name: lead.full_name.as_deref(),
            title: lead.title.as_deref(),
            company: lead.company.as_deref(),
            website: lead.website.as_deref(),
            linkedin: lead.linkedin.as_deref(),
            timezone: lead.timezone.as_deref(),
            custom,
            persona,
        }
    }
}

/// The schema of the answer: a subject and a body, nothing else.
pub(crate) fn email_schema() -> serde_json::Value {
    serde_json::json!({
        "type": "object",
        "properties": {
            "subject": {"type": "string", "description": "One line, under 60 characters."},
            "body": {"type": "string", "description": "Plain text, \\n for line breaks."}
        },
        "required": ["subject", "body"],
        "additionalProperties": false
    })
}

/// The model call that writes one email.
pub(crate) fn email_request(req: &GenerationRequest) -> Result<JsonRequest, ContentError> {
    let ctx = &req.context;
    let inputs = Inputs {
        campaign_goal: ctx.campaign.goal.as_deref(),
        step: ctx.step,
        step_instructions: req
            .ai_instructions
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty()),
        keep_subject: req.keep_subject,
        tone: req.tone.as_deref().map(str::trim).filter(|s| !s.is_empty()),
        draft: &req.draft,
        recipient: Recipient::new(&ctx.lead, &ctx.custom, ctx.persona.as_ref()),
        product: ctx.product.as_ref(),
        sender: &ctx.sender,
    };
    let user = serde_json::to_string_pretty(&inputs)
        .map_err(|e| ContentError::Config(format!("cannot encode the prompt: {e}")))?;
    Ok(JsonRequest {
        purpose: Purpose::Email,
        system: SYSTEM_PROMPT.to_owned(),
        user,
        schema_name: "email",
        schema: email_schema(),
        max_tokens: None,
        temperature: None,
    })
}

/// Turns a model's answer into what is sent and stored.
pub(crate) fn generated_from(
    answer: JsonAnswer,
    req: &GenerationRequest,
) -> Result<Generated, ContentError> {
    let provider = answer.usage.provider;
    let bad = |detail: String| ContentError::BadAnswer { provider, detail };
    let text = |name: &str| match answer.value.get(name) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::String(s)) => Ok(Some(s.as_str())),
        Some(_) => Err(bad(format!("{name} is not a string"))),
    };
    let body = text("body")?
        .ok_or_else(|| bad("the answer has no body".into()))?
        .trim()
        .to_owned();
    if body.is_empty() {
        return Err(bad("empty body".into()));
    }
    if body.len() > MAX_OUTPUT_BYTES {
        return Err(bad(format!("body is larger than {MAX_OUTPUT_BYTES} bytes")));
    }
    if body.contains("{{") {
        return Err(bad("body contains template placeholders".into()));
    }
    let subject = match text("subject")?.map(normalize_subject) {
        Some(subject) if !subject.is_empty() && !req.keep_subject => subject,
        _ => normalize_subject(&req.draft.subject),
    };
    let usage = answer.usage;
    Ok(Generated {
        subject,
        body,
        provider: provider.into(),
        model: Some(usage.model),
        prompt_tokens: usage.input_tokens,
        completion_tokens: usage.output_tokens,
        cost_usd: usage.cost_usd,
        fallback_reason: None,
    })
}

#[cfg(test)]
mod tests;
