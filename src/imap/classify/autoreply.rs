//! Auto-replies: out-of-office notes, vacation responders, ticket receipts.
//!
//! Strong signs, each enough on its own: RFC 3834 `Auto-Submitted` other than "no";
//! `X-Autoreply` / `X-Autorespond` / `X-Autoresponder` / `X-Auto-Reply`; `Precedence:
//! auto_reply`; Exchange's out-of-office pair (`X-Auto-Response-Suppress` with All/OOF/
//! AutoReply plus `X-MS-Exchange-Inbox-Rules-Loop`); an auto-reply subject in English, German,
//! French, Spanish, Italian, Dutch, Swedish or Portuguese; a body that says it is automatic.
//! Weak signs (`Precedence: bulk/junk`, a null Return-Path) count only when the message refers
//! to one of our sends or comes from a lead. A lone `X-Auto-Response-Suppress` counts for
//! nothing: newsletters and some helpdesk tools set it on mail people write. A body that merely
//! says "out of the office" is not enough either: a person may write that in a real reply, and
//! treating a reply as automatic would keep mailing them.

use super::context::ClassifyContext;
use super::inbound::Inbound;
use super::quote::new_text;
use super::return_date;
use super::text::{clip, collapse_ws, fold, words};
use super::types::{Classification, Confidence};

/// Subject prefixes (folded), followed by ":", " ", "(" or the end.
#[rustfmt::skip]
const SUBJECT_PREFIXES: &[&str] = &[
    "automatic reply", "auto reply", "auto-reply", "autoreply", "auto response", "auto-response",
    "autoresponse", "automated reply", "automated response", "out of office", "out of the office",
    "ooo", "away from office", "on vacation", "vacation reply", "auto:", "automatische antwort",
    "abwesenheitsnotiz", "abwesenheit", "abwesend", "nicht im buro", "reponse automatique",
    "absence du bureau", "absent du bureau", "absente du bureau", "absence", "absent", "absente",
    "respuesta automatica", "fuera de la oficina", "fuera de oficina", "ausente", "ausencia",
    "risposta automatica", "fuori sede", "fuori ufficio", "assente", "assenza",
    "automatisch antwoord", "afwezig", "niet aanwezig", "niet op kantoor", "automatisch bericht",
    "automatiskt svar", "autosvar", "franvaro", "franvarande", "ej pa kontoret",
    "resposta automatica", "fora do escritorio", "ausente do escritorio",
];

/// Phrases anywhere in the subject.
#[rustfmt::skip]
const SUBJECT_ANYWHERE: &[&str] = &[
    "automatic reply", "auto-reply", "autoreply", "out of office", "out of the office",
    "automatische antwort", "abwesenheitsnotiz", "reponse automatique", "respuesta automatica",
    "risposta automatica", "automatisch antwoord", "automatiskt svar", "resposta automatica",
];

/// Body phrases (in `text::words` form) that only automatic messages use.
#[rustfmt::skip]
const BODY_PHRASES: &[&str] = &[
    " this is an automatic", " this is an automated", " this is an auto reply", " automatic reply ",
    " automated reply ", " auto reply ", " autoreply ", " automatically generated",
    " diese nachricht wurde automatisch", " dies ist eine automatische", " automatische antwort",
    " automatisch generiert", " ceci est une reponse automatique", " reponse automatique",
    " message automatique", " respuesta automatica", " mensaje automatico", " risposta automatica",
    " messaggio automatico", " automatisch antwoord", " automatisch gegenereerd",
    " automatiskt svar", " automatiskt genererat", " resposta automatica", " mensagem automatica",
];

/// An auto-reply, or `None`.
pub(super) fn detect(inbound: &Inbound<'_>, ctx: &ClassifyContext<'_>) -> Option<Classification> {
    let send_id = inbound.threaded_send_id();
    let fresh = new_text(&inbound.body);
    let strong = strong_headers(inbound)
        || automatic_subject(&inbound.subject) && {
            inbound.note("auto-reply-subject", "subject", &inbound.subject);
            true
        }
        || automatic_body(&fresh) && {
            inbound.note("auto-reply-body", "body", clip(&fresh, 200));
            true
        };
    if !strong {
        let attributable =
            send_id.is_some() || inbound.from.as_ref().is_some_and(|f| ctx.leads.is_lead(f));
        if !(attributable && weak_headers(inbound)) {
            return None;
        }
        inbound.doubt(Confidence::Medium);
    }
    let text = format!("{}\n{}", inbound.subject, fresh);
    Some(Classification::AutoReply {
        send_id,
        email: inbound.from.clone(),
        return_date: return_date::extract(&text, inbound.date),
    })
}

fn value(inbound: &Inbound<'_>, name: &str) -> Option<String> {
    inbound.header(name).map(|v| v.to_ascii_lowercase())
}

/// `value`, noting the header as evidence when `sign` holds for it.
fn sign(inbound: &Inbound<'_>, rule: &str, name: &str, sign: impl Fn(&str) -> bool) -> bool {
    let found = value(inbound, name).filter(|v| sign(v));
    if let Some(v) = &found {
        inbound.note(rule, format!("header {name}"), v);
    }
    found.is_some()
}

fn strong_headers(inbound: &Inbound<'_>) -> bool {
    let auto_submitted = || {
        sign(inbound, "rfc3834", "auto-submitted", |v| {
            let first = v.split([';', ' ', '(']).next().unwrap_or_default();
            !first.is_empty() && first != "no"
        })
    };
    let x_auto = || {
        [
            "x-autoreply",
            "x-autorespond",
            "x-autoresponder",
            "x-auto-reply",
        ]
        .iter()
        .any(|h| {
            sign(inbound, "x-autoreply", h, |v| {
                !matches!(v, "no" | "false" | "0")
            })
        })
    };
    let precedence = || {
        sign(inbound, "precedence", "precedence", |v| {
            v.contains("auto_reply") || v.contains("auto-reply")
        })
    };
    let exchange_oof = || {
        inbound.header("x-ms-exchange-inbox-rules-loop").is_some()
            && sign(inbound, "exchange-oof", "x-auto-response-suppress", |v| {
                v.contains("all") || v.contains("oof") || v.contains("autoreply")
            })
    };
    auto_submitted() || x_auto() || precedence() || exchange_oof()
}

fn weak_headers(inbound: &Inbound<'_>) -> bool {
    sign(inbound, "precedence-bulk", "precedence", |v| {
        v.contains("bulk") || v.contains("junk")
    }) || sign(inbound, "null-return-path", "return-path", |v| {
        v.trim() == "<>"
    })
}

fn automatic_subject(subject: &str) -> bool {
    let s = collapse_ws(&fold(subject));
    let prefixed = SUBJECT_PREFIXES.iter().any(|p| {
        s.strip_prefix(p).is_some_and(|rest| {
            rest.is_empty() || rest.starts_with([':', ' ', '(', '-']) || p.ends_with(':')
        })
    });
    prefixed || SUBJECT_ANYWHERE.iter().any(|p| s.contains(p))
}

fn automatic_body(new_text: &str) -> bool {
    let w = words(clip(new_text, 2048));
    BODY_PHRASES.iter().any(|p| w.contains(p))
}
