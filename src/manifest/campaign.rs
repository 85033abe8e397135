//! Resolving `[[campaigns]]` and their steps: sending rules with defaults, the mailbox pool
//! (checked for repeats; existence is the planner's question), and the step rules of
//! `service::campaigns::rules` (which the HTTP API applies too), each finding put on its line.

use toml::Spanned;

use super::file::{CampaignDoc, StepDoc};
use super::resolve::{Ctx, Seen};
use super::{CampaignDecl, Reference};
use crate::domain::{SendingRules, StepSpec};
use crate::service::campaigns::rules::{self, StepDraft, StepKey};

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
        .map(|(i, step)| self::step(cx, &format!("{label} step {}", i + 1), i, step))
        .collect();
    CampaignDecl {
        name: doc.name.into_inner(),
        goal: doc.goal,
        ai: crate::domain::CampaignAi {
            provider: doc.ai_provider,
            model: doc
                .ai_model
                .map(|m| m.trim().to_owned())
                .filter(|m| !m.is_empty()),
        },
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

fn step(cx: &mut Ctx<'_>, label: &str, index: usize, doc: Spanned<StepDoc>) -> StepSpec {
    let span = doc.span();
    let doc = doc.into_inner();
    let subject_span = doc.subject.as_ref().map(Spanned::span);
    let body_span = doc.body.span();
    let draft = StepDraft {
        delay: doc.delay,
        subject: doc.subject.map(Spanned::into_inner),
        body: doc.body.into_inner(),
        ai_instructions: doc.ai_instructions,
    };
    let (spec, problems) = rules::step(index, draft);
    for p in problems {
        let at = match (p.key, &subject_span) {
            (StepKey::Subject, Some(subject)) => subject.clone(),
            (StepKey::Body, _) => body_span.clone(),
            _ => span.clone(),
        };
        let mut problem = cx.finding(&at, label, Some(p.key.as_str()), p.message);
        if let (Some(file_line), Some(n)) = (problem.line, p.template_line) {
            // A multi-line string's text starts on the line after its opening quotes.
            let raw = cx.text.get(at.clone()).unwrap_or_default();
            let opens_block = ["\"\"\"\n", "'''\n", "\"\"\"\r\n", "'''\r\n"]
                .iter()
                .any(|q| raw.starts_with(q));
            problem.line = Some(file_line + n - 1 + usize::from(opens_block));
            // The file line now says where; the template's own line number would only confuse.
            if let Some(stripped) = problem.message.strip_suffix(&format!(" (line {n})")) {
                problem.message = stripped.to_owned();
            }
        }
        cx.problems.push(problem);
    }
    spec
}
