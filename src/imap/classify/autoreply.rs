//! Auto-replies: out-of-office notes, vacation responders, ticket receipts.
//!
//! Strong signs, each enough on its own: RFC 3834 `Auto-Submitted` other than "no";
//! `X-Autoreply` / `X-Autorespond` / `X-Autoresponder` / `X-Auto-Reply`; `Precedence:
//! auto_reply`; Exchange's out-of-office pair (`X-Auto-Response-Suppress` with All/OOF/
//! AutoReply plus `X-MS-Exchange-Inbox-Rules-Loop`); a subject that is an auto-reply label in
//! English, German, French, Spanish, Italian, Dutch, Swedish or Portuguese (an away word with a
//! colon, "Out of Office: …", or automatic-reply wording, "Automatic reply: …"); a body that says
//! it is automatic. A subject that only talks about being away ("Out of office next week — can
//! we meet after?") counts only outside a thread ("Re: …") and beside away wording in a body
//! that asks nothing.
//! Weak signs (`Precedence: bulk/junk`, a null Return-Path) count only when the message refers
//! to one of our sends or comes from a lead. A lone `X-Auto-Response-Suppress` counts for
//! nothing: newsletters and some helpdesk tools set it on mail people write. A body that merely
//! says "out of the office" is not enough either: a person may write that in a real reply, and
//! treating a reply as automatic would keep mailing them.

use super::context::ClassifyContext;
use super::inbound::Inbound;
use super::quote::new_text;
use super::return_date;
use super::subject::normalize_subject;
use super::text::{clip, collapse_ws, fold, words};
use super::types::{Classification, Confidence};

/// Away words (folded) that label an auto-reply subject when a colon follows them ("Out of
/// Office: …", "Abwesend: …") and only talk about being away otherwise.
#[rustfmt::skip]
const AWAY_PREFIXES: &[&str] = &[
    "out of office", "out of the office", "ooo", "away from office", "on vacation",
    "vacation reply", "abwesenheit", "abwesend", "nicht im buro", "absence du bureau",
    "absent du bureau", "absente du bureau", "absence", "absent", "absente",
    "fuera de la oficina", "fuera de oficina", "ausente", "ausencia", "fuori sede",
    "fuori ufficio", "assente", "assenza", "afwezig", "niet aanwezig", "niet op kantoor",
    "franvaro", "franvarande", "ej pa kontoret", "fora do escritorio", "ausente do escritorio",
];

/// Automatic-reply wording (folded) that labels a subject at its start, whatever follows.
#[rustfmt::skip]
const AUTO_PREFIXES: &[&str] = &[
    "auto reply", "auto response", "auto-response", "autoresponse", "automated reply",
    "automated response", "automatisch bericht", "autosvar",
];

/// Automatic-reply wording (folded) that labels a subject anywhere in it.
#[rustfmt::skip]
const AUTO_ANYWHERE: &[&str] = &[
    "automatic reply", "auto-reply", "autoreply", "automatische antwort", "abwesenheitsnotiz",
    "reponse automatique", "respuesta automatica", "risposta automatica", "automatisch antwoord",
    "automatiskt svar", "resposta automatica",
];

/// Words of a subject that talks about being away.
#[rustfmt::skip]
const AWAY_TALK: &[&str] = &[
    " out of office ", " out of the office ", " ooo ", " away ", " vacation ", " holiday ",
    " holidays ", " on leave ", " abwesend ", " urlaub ", " absent ", " absente ", " vacances ",
    " conge ", " vacaciones ", " ferie ", " vakantie ", " semester ", " ferias ",
];

/// Body phrases (`text::words` form) of an away notice; with an away subject and no question
/// they make the message automatic.
#[rustfmt::skip]
const AWAY_BODY: &[&str] = &[
    " i am out of the office", " i m out of the office", " i am currently out",
    " i m currently out", " i am away", " i m away", " i am on vacation", " i m on vacation",
    " i am on leave", " limited access to email", " limited access to e mail",
    " no access to email", " no access to e mail", " upon my return", " when i return",
    " will be back", " i will return", " ich bin abwesend", " ich bin nicht im buro",
    " bin ich nicht im buro", " bin ich abwesend", " je suis absent", " je suis absente",
    " estoy fuera", " sono fuori", " ik ben afwezig", " jag ar pa semester", " jag ar borta",
    " estou fora", " for urgent matters", " in dringenden fallen", " en cas d urgence",
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
        || phrase_line(&fresh, BODY_PHRASES).is_some_and(|(line, text)| {
            inbound.note("auto-reply-body", format!("body line {line}"), &text);
            true
        })
        || away_talk(&inbound.subject) && !fresh.contains('?') && {
            phrase_line(&fresh, AWAY_BODY).is_some_and(|(line, text)| {
                inbound.note("away-subject", "subject", &inbound.subject);
                inbound.note("away-body", format!("body line {line}"), &text);
                inbound.doubt(Confidence::Medium);
                true
            })
        };
    if !strong {
        let attributable =
            send_id.is_some() || inbound.from.as_ref().is_some_and(|f| ctx.leads.is_lead(f));
        if !(attributable && weak_headers(inbound)) {
            return None;
        }
        inbound.doubt(Confidence::Medium);
    }
    let found = return_date::extract(&inbound.subject, inbound.date)
        .map(|(date, _)| (date, "subject".to_owned()))
        .or_else(|| {
            return_date::extract(&fresh, inbound.date)
                .map(|(date, line)| (date, format!("body line {line}")))
        });
    if let Some((date, at)) = &found {
        inbound.note("return-date", at.as_str(), &date.to_string());
    }
    Some(Classification::AutoReply {
        send_id,
        email: inbound.from.clone(),
        return_date: found.map(|(date, _)| date),
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

/// Whether the subject is an auto-reply label: an away word followed by a colon, or
/// automatic-reply wording at its start (after "[tags]") or anywhere.
fn automatic_subject(subject: &str) -> bool {
    let s = collapse_ws(&fold(subject));
    let s = untagged(&s);
    let away_label = AWAY_PREFIXES.iter().any(|p| {
        s.strip_prefix(p)
            .is_some_and(|rest| rest.trim_start().starts_with(':'))
    });
    let auto_label = s.starts_with("auto:")
        || AUTO_PREFIXES.iter().any(|p| {
            s.strip_prefix(p)
                .is_some_and(|rest| rest.is_empty() || rest.starts_with([':', ' ', '(', '-']))
        })
        || AUTO_ANYWHERE.iter().any(|p| s.contains(p));
    away_label || auto_label
}

/// The subject without leading "[EXTERNAL]"-style tags.
fn untagged(mut s: &str) -> &str {
    for _ in 0..4 {
        match s.strip_prefix('[').and_then(|t| t.split_once(']')) {
            Some((tag, rest)) if tag.len() <= 24 => s = rest.trim_start(),
            _ => break,
        }
    }
    s
}

/// Whether the subject talks about being away (without being a label) and answers nothing:
/// "Re: Before I'm away on vacation" is a person writing in a thread.
fn away_talk(subject: &str) -> bool {
    let w = words(subject);
    let in_thread = normalize_subject(subject) != collapse_ws(&fold(subject)).trim();
    !in_thread && AWAY_TALK.iter().any(|p| w.contains(p))
}

/// The first line of `new_text` holding one of `phrases` (`text::words` form), with the text
/// of that line; a phrase wrapped over two lines counts on the first.
fn phrase_line(new_text: &str, phrases: &[&str]) -> Option<(usize, String)> {
    let lines: Vec<&str> = clip(new_text, 4096).lines().collect();
    let holds = |text: &str| {
        let w = words(text);
        phrases.iter().any(|p| w.contains(p))
    };
    (0..lines.len()).find_map(|i| {
        if holds(lines[i]) {
            return Some((i + 1, lines[i].to_owned()));
        }
        let next = lines.get(i + 1).filter(|next| !holds(next))?;
        let pair = format!("{} {next}", lines[i]);
        holds(&pair).then(|| (i + 1, pair))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::imap::classify::judge;

    fn message(subject: &str, headers: &str, body: &str) -> String {
        format!(
            "From: Lena <lena@beispiel.de>\nTo: jonas@brightlane.io\nSubject: {subject}\n\
             Date: Mon, 21 Dec 2026 09:00:00 +0100\nMessage-ID: <x1@beispiel.de>\n\
             In-Reply-To: <0190f3a27c4e7b1a9d2e5f6a7b8c9d01@brightlane.io>\n{headers}\n{body}"
        )
    }

    #[test]
    fn a_return_date_and_an_automatic_body_name_their_body_lines() {
        let raw = message(
            "Re: Kurze Frage",
            "",
            "Guten Tag,\n\nDies ist eine automatische Antwort.\nIch bin bis einschließlich 31. nicht im Büro.\n",
        );
        let got = judge(raw.as_bytes(), &ClassifyContext::without_leads()).unwrap();
        let Classification::AutoReply { return_date, .. } = got.classification else {
            panic!("{got:?}");
        };
        assert_eq!(return_date, chrono::NaiveDate::from_ymd_opt(2027, 1, 1));
        let at = |rule: &str| {
            got.evidence
                .iter()
                .find(|e| e.rule == rule)
                .map(|e| e.at.clone())
        };
        assert_eq!(at("auto-reply-body").as_deref(), Some("body line 3"));
        assert_eq!(at("return-date").as_deref(), Some("body line 4"));
    }

    #[test]
    fn an_away_subject_with_a_question_is_a_reply_and_without_one_an_auto_reply() {
        let ctx = ClassifyContext::without_leads();
        let human = message(
            "Out of office next week - can we meet after?",
            "",
            "Hi Jonas, I am out of the office next week. Could we meet the week after?\n",
        );
        assert!(matches!(
            judge(human.as_bytes(), &ctx).unwrap().classification,
            Classification::Reply { .. }
        ));
        let notice = message(
            "Out of office",
            "",
            "I am out of the office with limited access to email until 4 January.\n",
        );
        assert!(matches!(
            judge(notice.as_bytes(), &ctx).unwrap().classification,
            Classification::AutoReply { .. }
        ));
    }

    #[test]
    fn a_subject_that_is_an_auto_reply_label_is_automatic() {
        for subject in [
            "Automatic reply: Quick question",
            "Out of Office: Quick question",
            "Abwesenheitsnotiz: Kurze Frage",
            "Réponse automatique : Une question",
            "Autosvar: Till Anna",
            "[EXTERNAL] Out of Office: Quick question",
            "Out of Office AutoReply: Quick question",
            "AW: Abwesenheitsnotiz",
        ] {
            assert!(automatic_subject(subject), "{subject}");
        }
    }

    #[test]
    fn a_subject_that_talks_about_being_away_is_no_label() {
        for subject in [
            "Out of office next week - can we meet after?",
            "Re: Before I'm away on vacation",
            "Re: Quick question (out of office Friday)",
            "Absent tomorrow, call Monday?",
        ] {
            assert!(!automatic_subject(subject), "{subject}");
        }
        assert!(away_talk("Out of office next week - can we meet after?"));
        assert!(!away_talk("Re: Before I'm away on vacation"));
    }

    #[test]
    fn the_line_of_a_body_phrase_is_named() {
        let body = "Hello,\n\nThis is an automatic reply.\nI am away.";
        assert_eq!(
            phrase_line(body, BODY_PHRASES).map(|(line, _)| line),
            Some(3)
        );
        assert_eq!(
            phrase_line("Hi\nI have limited access\nto email.", AWAY_BODY).map(|(l, _)| l),
            Some(2)
        );
        assert_eq!(phrase_line("Hi there", AWAY_BODY), None);
    }
}
