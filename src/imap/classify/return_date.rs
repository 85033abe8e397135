//! The date an auto-reply says its sender is back: "back on 12 January", "zurück am
//! 12.01.2027", "de retour le 12/01", "regresaré el 15 de enero", "tot en met 5 januari"…
//!
//! Triggers that name the first day back ("back", "zurück", "ab", "retour", "regres",
//! "rientr", "terug", "tillbaka", "retorn"…) are tried before "until"-style ones ("until",
//! "bis", "jusqu'au", "hasta", "fino al", "tot", "till", "até"). An inclusive "until"
//! ("through", "bis einschließlich", "tot en met", "till och med") means the next day. A date
//! without a year takes the Date header's year, or the next one if that would be in the past.
//! Slashed dates are day/month except after English triggers, where both numbers ≤ 12 read
//! month/day. Dates before the message or over 400 days after it are ignored.

use chrono::{Days, NaiveDate};

use super::date_tokens::{Tok, parse_date_at, tokenize};
use super::text::{clip, collapse_ws, find_at_word_start, fold};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The date is the first day back.
    Return,
    /// The date is when the absence ends (read as the day back).
    Until,
    /// The date is the last day away.
    Through,
}

struct Trigger {
    phrase: &'static str,
    kind: Kind,
    /// English wording: an ambiguous "1/5" is month/day.
    english: bool,
    /// German and Dutch put the date before the verb ("am 12.01. wieder im Büro").
    date_before: bool,
}

const fn t(phrase: &'static str, kind: Kind, english: bool, date_before: bool) -> Trigger {
    Trigger {
        phrase,
        kind,
        english,
        date_before,
    }
}

const TRIGGERS: &[Trigger] = &[
    t("back ", Kind::Return, true, false),
    t("return", Kind::Return, true, false),
    t("available again", Kind::Return, true, false),
    t("through ", Kind::Through, true, false),
    t("thru ", Kind::Through, true, false),
    t("until ", Kind::Until, true, false),
    t("zuruck", Kind::Return, false, true),
    t("wieder ", Kind::Return, false, true),
    t("ab ", Kind::Return, false, false),
    t("bis einschliesslich", Kind::Through, false, false),
    t("bis inkl", Kind::Through, false, false),
    t("bis ", Kind::Until, false, false),
    t("de retour", Kind::Return, false, false),
    t("retour", Kind::Return, false, false),
    t("a partir d", Kind::Return, false, false),
    t("des le ", Kind::Return, false, false),
    t("reprendrai", Kind::Return, false, false),
    t("jusqu", Kind::Until, false, false),
    t("regres", Kind::Return, false, false),
    t("de vuelta", Kind::Return, false, false),
    t("volvere", Kind::Return, false, false),
    t("vuelvo", Kind::Return, false, false),
    t("reincorpor", Kind::Return, false, false),
    t("hasta ", Kind::Until, false, false),
    t("rientr", Kind::Return, false, false),
    t("di ritorno", Kind::Return, false, false),
    t("tornero", Kind::Return, false, false),
    t("fino ", Kind::Until, false, false),
    t("terug", Kind::Return, false, true),
    t("weer ", Kind::Return, false, true),
    t("vanaf", Kind::Return, false, false),
    t("tot en met", Kind::Through, false, false),
    t("t/m ", Kind::Through, false, false),
    t("tot ", Kind::Until, false, false),
    t("tillbaka", Kind::Return, false, false),
    t("ater ", Kind::Return, false, false),
    t("fran och med", Kind::Return, false, false),
    t("till och med", Kind::Through, false, false),
    t("t.o.m", Kind::Through, false, false),
    t("till ", Kind::Until, false, false),
    t("retorn", Kind::Return, false, false),
    t("de volta", Kind::Return, false, false),
    t("voltarei", Kind::Return, false, false),
    t("volto ", Kind::Return, false, false),
    t("ate ", Kind::Until, false, false),
];

/// Words after an "until" date that make it inclusive ("bis 12.01. einschließlich").
#[rustfmt::skip]
const INCLUSIVE: &[&str] = &[
    "einschl", "inkl", "inclusive", "inclus", "incluido", "incluso", "compreso", "inbegrepen",
];

/// Trigger words looked at; real auto-replies have a handful.
const MAX_HITS: usize = 64;
const AFTER_BYTES: usize = 80;
const BEFORE_BYTES: usize = 40;

/// The return date stated in `text` (an auto-reply's subject and new text), relative to
/// `reference` (the message's Date).
pub(super) fn extract(text: &str, reference: Option<NaiveDate>) -> Option<NaiveDate> {
    let folded = collapse_ws(&fold(clip(text, 8 * 1024)));
    let mut hits: Vec<(bool, usize, &Trigger)> = Vec::new();
    for trigger in TRIGGERS {
        let mut from = 0;
        while let Some(at) = find_at_word_start(&folded, trigger.phrase, from) {
            if hits.len() >= MAX_HITS {
                break;
            }
            // A longer trigger at the same place ("tot en met" over "tot") wins: keep the first.
            if !hits.iter().any(|(_, pos, _)| *pos == at) {
                hits.push((trigger.kind != Kind::Return, at, trigger));
            }
            from = at + trigger.phrase.len();
        }
    }
    hits.sort_by_key(|(until_like, at, _)| (*until_like, *at));
    hits.into_iter()
        .find_map(|(_, at, trigger)| date_for(&folded, at, trigger, reference))
}

fn date_for(
    folded: &str,
    at: usize,
    trigger: &Trigger,
    reference: Option<NaiveDate>,
) -> Option<NaiveDate> {
    let start = at + trigger.phrase.len();
    let after = clip(folded.get(start..)?, AFTER_BYTES);
    let toks = tokenize(after);
    let found = (0..toks.len().min(12)).find_map(|i| {
        parse_date_at(&toks, i, trigger.english).map(|(md, end)| (md, toks[i].start(), end))
    });
    if let Some((md, date_start, date_end)) = found {
        let date = md.resolve(reference)?;
        let tail = clip(after.get(date_end..).unwrap_or_default(), 24);
        let inclusive = trigger.kind == Kind::Through
            || INCLUSIVE
                .iter()
                .any(|w| after[..date_start].contains(w) || tail.contains(w));
        return if inclusive {
            date.checked_add_days(Days::new(1))
        } else {
            Some(date)
        };
    }
    if !trigger.date_before {
        return None;
    }
    let mut begin = at.saturating_sub(BEFORE_BYTES);
    while !folded.is_char_boundary(begin) {
        begin += 1;
    }
    let toks: Vec<Tok> = tokenize(&folded[begin..at]);
    (0..toks.len())
        .rev()
        .find_map(|i| parse_date_at(&toks, i, trigger.english))
        .and_then(|(md, _)| md.resolve(reference))
}

#[cfg(test)]
mod tests;
