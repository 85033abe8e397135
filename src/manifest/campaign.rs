//! Resolving `[[campaigns]]` and their steps: sending rules with defaults, the mailbox pool
//! (checked for repeats; existence is the planner's question), and step rules: the first step
//! needs a subject, follow-ups need a delay, and templates must pass the content module's check.

use toml::Spanned;

use super::file::{CampaignDoc, StepDoc};
use super::resolve::{Ctx, Seen};
use super::{CampaignDecl, Reference};
use crate::content::{self, ContentError, TemplatePart};
use crate::domain::{HumanDuration, SendingRules, StepSpec};

pub(super) fn campaign(cx: &mut Ctx<'_>, doc: CampaignDoc) -> CampaignDecl {
    let label = format!("campaign {:?}", doc.name.get_ref());
    cx.check_line_text(&doc.name, &label, "name");
    if let Some(product) = &doc.product {
        cx.check_line_text(product, &label, "product");
    }
    let mut pool = Seen::new();
    let mut mailboxes = Vec::new();
    for m in doc.mailboxes {
        let line = cx.line(&m.span());
        if pool.earlier(m.get_ref().normalized(), line).is_some() {
            cx.problem(
                &m.span(),
                &label,
                Some("mailboxes"),
                format!("mailbox {} is listed twice", m.get_ref()),
            );
        }
        mailboxes.push(Reference {
            line,
            target: m.into_inner(),
        });
    }
    let defaults = SendingRules::default();
    let timezone = match doc.timezone {
        Some(tz) => {
            cx.check_timezone(&tz, &label, "timezone");
            tz.into_inner()
        }
        None => defaults.timezone.clone(),
    };
    let rules = SendingRules {
        window: doc.window.unwrap_or(defaults.window),
        timezone,
        timezone_policy: doc.timezone_policy.unwrap_or(defaults.timezone_policy),
        daily_new_leads_cap: cx.cap(doc.daily_new_leads_cap, &label, "daily_new_leads_cap"),
        stop_on_reply: doc.stop_on_reply.unwrap_or(defaults.stop_on_reply),
        stop_on_company_reply: doc
            .stop_on_company_reply
            .unwrap_or(defaults.stop_on_company_reply),
        stop_other_campaigns_on_reply: doc
            .stop_other_campaigns_on_reply
            .unwrap_or(defaults.stop_other_campaigns_on_reply),
        track_opens: doc.track_opens.unwrap_or(defaults.track_opens),
        track_clicks: doc.track_clicks.unwrap_or(defaults.track_clicks),
    };
    if doc.steps.is_empty() {
        let message =
            "has no steps: add at least one [[campaigns.steps]] with a subject and a body";
        cx.problem(&doc.name.span(), &label, Some("steps"), message);
    }
    let steps = doc
        .steps
        .into_iter()
        .enumerate()
        .map(|(i, step)| self::step(cx, &format!("{label} step {}", i + 1), i == 0, step))
        .collect();
    CampaignDecl {
        name: doc.name.into_inner(),
        goal: doc.goal,
        product: doc.product.map(|p| Reference {
            line: cx.line(&p.span()),
            target: p.into_inner(),
        }),
        status: doc.status,
        rules,
        mailboxes,
        steps,
    }
}

fn step(cx: &mut Ctx<'_>, label: &str, first: bool, doc: Spanned<StepDoc>) -> StepSpec {
    let span = doc.span();
    let doc = doc.into_inner();
    let delay = match doc.delay {
        Some(delay) => delay,
        None if first => HumanDuration::ZERO,
        None => {
            let message = "a follow-up needs a delay after the previous step, e.g. delay = \"3d\"";
            cx.problem(&span, label, Some("delay"), message);
            HumanDuration::ZERO
        }
    };
    match &doc.subject {
        Some(subject) if subject.get_ref().trim().is_empty() => {
            let message = "subject is empty (leave the key out to reply in the thread)";
            cx.problem(&subject.span(), label, Some("subject"), message);
        }
        Some(subject) => check_template(cx, TemplatePart::Subject, subject, label, "subject"),
        None if first => {
            let message =
                "the first step needs a subject (later steps without one reply in its thread)";
            cx.problem(&span, label, Some("subject"), message);
        }
        None => {}
    }
    if doc.body.get_ref().trim().is_empty() {
        cx.problem(&doc.body.span(), label, Some("body"), "body is empty");
    } else {
        check_template(cx, TemplatePart::Body, &doc.body, label, "body");
    }
    StepSpec {
        delay,
        subject_template: doc.subject.map(Spanned::into_inner),
        body_template: doc.body.into_inner(),
        ai_instructions: doc.ai_instructions.filter(|s| !s.trim().is_empty()),
    }
}

/// Catches template errors (an unclosed `{{`, a misspelt variable) now rather than at the first
/// send, with the content module's own apply-time check.
fn check_template(
    cx: &mut Ctx<'_>,
    part: TemplatePart,
    source: &Spanned<String>,
    object: &str,
    key: &str,
) {
    let Err(e) = content::validate(part, source.get_ref()) else {
        return;
    };
    let template_line = match &e {
        ContentError::Syntax { line, .. }
        | ContentError::UndefinedVariable { line, .. }
        | ContentError::IncludeNotAllowed { line, .. }
        | ContentError::Render { line, .. } => *line,
        _ => None,
    };
    let mut message = e.to_string();
    let mut problem = cx.finding(&source.span(), object, Some(key), String::new());
    if let (Some(file_line), Some(n)) = (problem.line, template_line) {
        // A multi-line string's text starts on the line after its opening quotes.
        let raw = cx.text.get(source.span()).unwrap_or_default();
        let opens_block = ["\"\"\"\n", "'''\n", "\"\"\"\r\n", "'''\r\n"]
            .iter()
            .any(|q| raw.starts_with(q));
        problem.line = Some(file_line + n - 1 + usize::from(opens_block));
        // The file line now says where; the template's own line number would only confuse.
        if let Some(stripped) = message.strip_suffix(&format!(" (line {n})")) {
            message = stripped.to_owned();
        }
    }
    problem.message = message;
    cx.problems.push(problem);
}
