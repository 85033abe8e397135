//! The OpenAI chat-completions wire format: the request we send (system prompt + one user
//! message holding the inputs as JSON) and how an answer becomes a [`Generated`].
//!
//! The model is asked for a JSON object `{"subject", "body"}` (`response_format: json_object`);
//! code fences and chatter around the object are tolerated because compatible servers do not all
//! enforce the format.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::content::context::{LeadVars, ProductVars, SenderVars};
use crate::content::error::ContentError;
use crate::content::provider::{Generated, GenerationRequest};
use crate::content::settings::OpenAiSettings;
use crate::content::template::{Draft, MAX_OUTPUT_BYTES, normalize_subject};
use crate::domain::InsightFacts;

pub(super) const PROVIDER: &str = "openai";

pub const SYSTEM_PROMPT: &str = "\
You personalise one cold email of a B2B outreach sequence for one recipient.

The user message is JSON: the campaign goal, optional instructions for this step, a draft (subject \
and body) the sender already wrote, facts about the recipient (lead fields, custom fields, an \
optional persona), optional research on the recipient's company (company_insight: a summary, \
recent developments, facts), the product and the sender.

Rules:
- Rewrite the draft for this recipient. Keep its intent, its call to action, its language and any \
links, dates and numbers exactly as written.
- Use at most one company_insight item, only when it makes the email more relevant to the \
recipient; never recite the research.
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

Answer with one JSON object and nothing else: {\"subject\": \"...\", \"body\": \"...\"}, with \\n \
for line breaks in the body.";

#[derive(Serialize)]
struct ChatRequest<'a> {
    model: &'a str,
    messages: [Message; 2],
    response_format: ResponseFormat,
    #[serde(skip_serializing_if = "Option::is_none")]
    temperature: Option<f32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    max_tokens: Option<u32>,
}

#[derive(Serialize)]
struct Message {
    role: &'static str,
    content: String,
}

#[derive(Serialize)]
struct ResponseFormat {
    #[serde(rename = "type")]
    kind: &'static str,
}

/// The user message: what the model may use, and nothing else.
#[derive(Serialize)]
struct Inputs<'a> {
    campaign_goal: Option<&'a str>,
    step: u32,
    step_instructions: Option<&'a str>,
    keep_subject: bool,
    draft: &'a Draft,
    recipient: Recipient<'a>,
    company_insight: Option<CompanyInsight<'a>>,
    product: Option<&'a ProductVars>,
    sender: &'a SenderVars,
}

/// What the model learns about the recipient's company: the research without its sources,
/// which it has no use for.
#[derive(Serialize)]
struct CompanyInsight<'a> {
    summary: &'a str,
    recent_developments: &'a [String],
    facts: &'a [String],
}

impl<'a> CompanyInsight<'a> {
    fn new(insight: &'a InsightFacts) -> Self {
        Self {
            summary: &insight.summary,
            recent_developments: &insight.recent_developments,
            facts: &insight.facts,
        }
    }
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

/// The request body, serialised once and re-sent as is on retries.
pub(super) fn request_body(
    settings: &OpenAiSettings,
    req: &GenerationRequest,
) -> Result<Vec<u8>, ContentError> {
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
        draft: &req.draft,
        recipient: Recipient::new(&ctx.lead, &ctx.custom, ctx.persona.as_ref()),
        company_insight: ctx.insight.as_ref().map(CompanyInsight::new),
        product: ctx.product.as_ref(),
        sender: &ctx.sender,
    };
    let bad = |e: serde_json::Error| ContentError::Config(format!("cannot encode the prompt: {e}"));
    let request = ChatRequest {
        model: &settings.model,
        messages: [
            Message {
                role: "system",
                content: SYSTEM_PROMPT.to_owned(),
            },
            Message {
                role: "user",
                content: serde_json::to_string_pretty(&inputs).map_err(bad)?,
            },
        ],
        response_format: ResponseFormat {
            kind: "json_object",
        },
        temperature: settings.temperature,
        max_tokens: settings.max_tokens,
    };
    serde_json::to_vec(&request).map_err(bad)
}

#[derive(Deserialize)]
struct ChatResponse {
    model: Option<String>,
    #[serde(default)]
    choices: Vec<Choice>,
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Choice {
    message: AnswerMessage,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct AnswerMessage {
    content: Option<String>,
    refusal: Option<String>,
}

#[derive(Default, Deserialize)]
struct Usage {
    #[serde(default)]
    prompt_tokens: u32,
    #[serde(default)]
    completion_tokens: u32,
}

#[derive(Deserialize)]
struct Answer {
    subject: Option<String>,
    body: String,
}

/// Turns a 2xx response body into what is sent and stored.
pub(super) fn parse_answer(
    raw: &[u8],
    req: &GenerationRequest,
    settings: &OpenAiSettings,
) -> Result<Generated, ContentError> {
    let bad = |detail: String| ContentError::BadAnswer {
        provider: PROVIDER,
        detail,
    };
    let response: ChatResponse =
        serde_json::from_slice(raw).map_err(|e| bad(format!("not a chat completion: {e}")))?;
    let choice = response
        .choices
        .into_iter()
        .next()
        .ok_or_else(|| bad("no choices".into()))?;
    if let Some(refusal) = choice.message.refusal.filter(|r| !r.is_empty()) {
        return Err(bad(format!("the model refused: {}", clip(&refusal, 200))));
    }
    if choice.finish_reason.as_deref() == Some("length") {
        return Err(bad("the answer was cut off at max_tokens".into()));
    }
    let content = choice.message.content.unwrap_or_default();
    let answer: Answer = serde_json::from_str(json_object(&content)).map_err(|e| {
        bad(format!(
            "content is not a JSON object with subject and body ({e}): {}",
            clip(&content, 200)
        ))
    })?;
    let body = answer.body.trim().to_owned();
    if body.is_empty() {
        return Err(bad("empty body".into()));
    }
    if body.len() > MAX_OUTPUT_BYTES {
        return Err(bad(format!("body is larger than {MAX_OUTPUT_BYTES} bytes")));
    }
    if body.contains("{{") {
        return Err(bad("body contains template placeholders".into()));
    }
    let subject = match answer.subject.map(|s| normalize_subject(&s)) {
        Some(subject) if !subject.is_empty() && !req.keep_subject => subject,
        _ => normalize_subject(&req.draft.subject),
    };
    let usage = response.usage.unwrap_or_default();
    let cost_usd = (f64::from(usage.prompt_tokens) * settings.input_usd_per_million_tokens
        + f64::from(usage.completion_tokens) * settings.output_usd_per_million_tokens)
        / 1_000_000.0;
    Ok(Generated {
        subject,
        body,
        provider: PROVIDER.into(),
        model: Some(
            response
                .model
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| settings.model.clone()),
        ),
        prompt_tokens: usage.prompt_tokens,
        completion_tokens: usage.completion_tokens,
        cost_usd,
        fallback_reason: None,
    })
}

/// The JSON object inside `content`: without code fences or text around it.
fn json_object(content: &str) -> &str {
    let trimmed = content.trim();
    match (trimmed.find('{'), trimmed.rfind('}')) {
        (Some(start), Some(end)) if start < end => &trimmed[start..=end],
        _ => trimmed,
    }
}

/// At most `max` characters of `text`, for error details.
pub(super) fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests;
