//! Drafting an answer to a lead's reply with a language model (`ai::Purpose::ReplyDraft`).
//!
//! The model reads the thread (our messages that reached the lead, then the reply), the lead's
//! persona, the product and the campaign's goal, and answers `{subject, body}`. The answer's
//! subject is "Re: " and the lead's own subject, so mail clients thread it; the model's subject
//! is used only when the lead's reply had none. The draft waits for a person.

use std::fmt::Write as _;

use std::time::Instant;

use chrono::Utc;

use super::{ReplyError, checked_answer};
use crate::ai::{CallUsage, JsonRequest, LanguageModel, Purpose};
use crate::content::ContentError;
use crate::content::reply_subject;
use crate::domain::{DraftInputs, LeadReplyId, ReplyStatus, UsageOutcome};
use crate::service::usage::{CallSite, UsageRecorder};
use crate::store::Store;

/// The schema name sent with the request.
pub const DRAFT_SCHEMA: &str = "reply_draft";

const SYSTEM: &str = "You draft the answer a salesperson sends to a prospect who replied to \
their cold email. Answer the question the prospect asked, directly, in plain text. Keep it \
short: at most 120 words, no more than a short greeting and one closing line. Never invent \
facts: use only what the product description, the earlier messages and the prospect's reply \
say; when something asked is not known, say that you will find out rather than guessing (no \
made-up prices, dates, customers or features). Propose one concrete next step toward the \
campaign goal. Match the prospect's language and tone. Return JSON: subject (a short subject \
line) and body (the email text, without a signature block).";

/// Bytes of one earlier message the prompt quotes.
const THREAD_MESSAGE_BYTES: usize = 4 * 1024;

/// The model request for `inputs`.
pub fn draft_request(inputs: &DraftInputs) -> JsonRequest {
    let mut user = String::new();
    let reply = &inputs.reply;
    let _ = writeln!(user, "Campaign goal: {}", or_none(&inputs.campaign_goal));
    let _ = writeln!(
        user,
        "Product: {}\n{}",
        inputs.product_name.as_deref().unwrap_or("(none)"),
        inputs.product_description.as_deref().unwrap_or_default()
    );
    let _ = writeln!(
        user,
        "Prospect: {} <{}>{}",
        inputs.lead_name.as_deref().unwrap_or("(no name)"),
        reply.lead_email,
        inputs
            .lead_company
            .as_deref()
            .map(|c| format!(", {c}"))
            .unwrap_or_default()
    );
    if let Some(persona) = &inputs.persona {
        let _ = writeln!(user, "Prospect persona: {persona}");
    }
    user.push_str("\nOur earlier messages, oldest first:\n");
    if inputs.thread.is_empty() {
        user.push_str("(none recorded)\n");
    }
    for m in &inputs.thread {
        let _ = writeln!(
            user,
            "--- step {} ---\nSubject: {}\n{}",
            m.step_order,
            m.subject,
            clip(&m.body, THREAD_MESSAGE_BYTES)
        );
    }
    let _ = writeln!(
        user,
        "\nThe prospect's reply:\nSubject: {}\n{}",
        reply.subject,
        or_none(&reply.body)
    );
    JsonRequest {
        purpose: Purpose::ReplyDraft,
        system: SYSTEM.to_owned(),
        user,
        schema_name: DRAFT_SCHEMA,
        schema: serde_json::json!({
            "type": "object",
            "properties": {
                "subject": { "type": "string" },
                "body": { "type": "string" }
            },
            "required": ["subject", "body"],
            "additionalProperties": false
        }),
        max_tokens: Some(800),
        temperature: None,
    }
}

/// Drafts the answer to reply `id` and stores it (`pending` -> `drafted`). `Ok(None)` when
/// there was nothing to draft (the reply is gone, or a person wrote or discarded the answer);
/// otherwise what the call cost, for `api_usage`. A failed call is noted on the reply, which
/// stays `pending`.
pub async fn draft(
    store: &dyn Store,
    model: &dyn LanguageModel,
    usage: &UsageRecorder,
    id: LeadReplyId,
) -> Result<Option<CallUsage>, ReplyError> {
    let Some(inputs) = store.draft_inputs(id).await? else {
        return Ok(None);
    };
    if inputs.reply.status != ReplyStatus::Pending {
        return Ok(None);
    }
    let site = CallSite {
        campaign: Some(inputs.reply.campaign_id),
        lead: Some(inputs.lead_id),
        ..CallSite::for_purpose(inputs.workspace_id, Purpose::ReplyDraft)
    };
    if let Err(spent) = usage.allowance(&site).await {
        // Not a failure of the reply: it stays pending, untouched, for a later sweep.
        return Err(ReplyError::Draft(spent.to_string()));
    }
    let started = Instant::now();
    let answer = match model.complete_json(&draft_request(&inputs)).await {
        Ok(answer) => answer,
        Err(e) => {
            usage
                .record_failure(&site, model.provider(), &e, started.elapsed())
                .await;
            let error = e.to_string();
            store.draft_failed(id, &error, Utc::now()).await?;
            return Err(ReplyError::Draft(error));
        }
    };
    let text = |key: &str| {
        answer
            .value
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let subject = match inputs.reply.subject.trim() {
        "" => text("subject"),
        theirs => reply_subject(theirs),
    };
    let (subject, body) = match checked_answer(&subject, &text("body")) {
        Ok(checked) => checked,
        Err(e) => {
            let error = format!("the model's answer is unusable: {e}");
            let bad = ContentError::BadAnswer {
                provider: answer.usage.provider,
                detail: error.clone(),
            };
            usage
                .record_call(&site, &answer.usage, UsageOutcome::Error, Some(&bad))
                .await;
            store.draft_failed(id, &error, Utc::now()).await?;
            return Err(ReplyError::Draft(error));
        }
    };
    usage
        .record_call(&site, &answer.usage, UsageOutcome::Ok, None)
        .await;
    let usage = answer.usage;
    store
        .save_draft(
            id,
            &subject,
            &body,
            usage.provider,
            &usage.model,
            Utc::now(),
        )
        .await?;
    Ok(Some(usage))
}

fn or_none(text: &str) -> &str {
    if text.trim().is_empty() {
        "(empty)"
    } else {
        text
    }
}

fn clip(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{LeadReply, ThreadMessage};

    fn inputs() -> DraftInputs {
        DraftInputs {
            workspace_id: Default::default(),
            lead_id: Default::default(),
            reply: LeadReply {
                id: LeadReplyId::new(),
                campaign_id: Default::default(),
                campaign_lead_id: Default::default(),
                mailbox_id: Default::default(),
                mailbox: "ana@seller.test".into(),
                lead_email: "jonas@buyer.test".into(),
                message_id: "<r1@buyer.test>".into(),
                subject: "Re: Faster invoicing".into(),
                body: "What does it cost for 20 people?".into(),
                received_at: Utc::now(),
                status: ReplyStatus::Pending,
                draft_subject: None,
                draft_body: None,
                draft_provider: None,
                draft_model: None,
                draft_error: None,
                drafted_at: None,
                decided_by: None,
                decided_at: None,
                sent_message_id: None,
                sent_at: None,
                send_error: None,
            },
            thread: vec![ThreadMessage {
                step_order: 1,
                subject: "Faster invoicing".into(),
                body: "Hi Jonas, want to see Invoicely?".into(),
            }],
            lead_name: Some("Jonas Weber".into()),
            lead_company: Some("Buyer GmbH".into()),
            persona: Some(serde_json::json!({"role": "CFO"})),
            product_name: Some("Invoicely".into()),
            product_description: Some("Invoices in one click.".into()),
            campaign_goal: "book a demo".into(),
        }
    }

    #[test]
    fn the_request_carries_the_thread_the_reply_the_persona_and_the_goal() {
        let request = draft_request(&inputs());
        assert_eq!(request.purpose, Purpose::ReplyDraft);
        for needle in [
            "book a demo",
            "Invoicely",
            "Invoices in one click.",
            "\"role\":\"CFO\"",
            "Hi Jonas, want to see Invoicely?",
            "What does it cost for 20 people?",
            "jonas@buyer.test",
        ] {
            assert!(request.user.contains(needle), "{needle} missing");
        }
        assert!(request.system.contains("Never invent facts"));
        assert_eq!(
            request.schema["required"],
            serde_json::json!(["subject", "body"])
        );
    }
}
