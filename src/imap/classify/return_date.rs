//! The date an auto-reply says its sender is back: "back on 12 January", "zurück am
//! 12.01.2027", "de retour le 12/01", "regresaré el 15 de enero", "tot en met 5 januari"…
//!
//! Triggers that name the first day back ("back", "zurück", "ab", "retour", "regres",
//! "rientr", "terug", "tillbaka", "retorn"…) are tried before "until"-style ones ("until",
//! "bis", "jusqu'au", "hasta", "fino al", "tot", "till", "til", "até"), and "from (and
//! including)" ones ("från och med", "fra og med", "vanaf", "à partir du") last, because they
//! often start the absence rather than end it. An inclusive "until"
//! ("through", "until and including", "bis einschließlich", "bis inkl.", "tot en met", "t/m",
//! "till och med", "til og med", "t.o.m.") means the next day; "back on", "zurück am",
//! "tillbaka den" name the day itself. A date without a year takes the Date header's year, or
//! the next one if that would be in the past; an ordinal day alone ("through the 31st",
//! "bis einschließlich 31.") takes the message's month, or the next one. Slashed dates are
//! day/month except after English triggers, where both numbers ≤ 12 read month/day. Dates
//! before the message or over 400 days after it are ignored.
//!
//! Words that double as prepositions ("till", "til", "tot", "tom", "bis", "hasta", "fino",
//! "até") anchor a date only when it follows at once (past articles and weekdays): "Autosvar:
//! Till Anna" names a person, not a date. The subject and the body are read apart, so a
//! trigger in one never reaches a number in the other.

use chrono::{Days, NaiveDate};

use super::date_tokens::{Tok, TokKind, parse_date_at, parse_day_at, resolve_day, tokenize};
use super::text::{clip, find_at_word_start, fold, line_number};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// The date is the first day back.
    Return,
    /// The date is when the absence ends (read as the day back).
    Until,
    /// The date is the last day away.
    Through,
    /// "From (and including)": the first day back when nothing else is said, but often the
    /// first day away ("ledig från och med 2 jan till och med 5 jan"), so tried last.
    Since,
}

impl Kind {
    /// Trigger order: return words, then until words, then since words.
    fn rank(self) -> u8 {
        match self {
            Self::Return => 0,
            Self::Until | Self::Through => 1,
            Self::Since => 2,
        }
    }
}

struct Trigger {
    phrase: &'static str,
    kind: Kind,
    /// English wording: an ambiguous "1/5" is month/day.
    english: bool,
    /// German and Dutch put the date before the verb ("am 12.01. wieder im Büro").
    date_before: bool,
    /// A preposition in other senses too: the date must follow at once.
    near: bool,
}

const fn t(phrase: &'static str, kind: Kind, english: bool, date_before: bool) -> Trigger {
    Trigger {
        phrase,
        kind,
        english,
        date_before,
        near: false,
    }
}

/// A trigger that is also an everyday preposition (see `Trigger::near`).
const fn p(phrase: &'static str, kind: Kind) -> Trigger {
    Trigger {
        phrase,
        kind,
        english: false,
        date_before: false,
        near: true,
    }
}

const TRIGGERS: &[Trigger] = &[
    t("back ", Kind::Return, true, false),
    t("return", Kind::Return, true, false),
    t("available again", Kind::Return, true, false),
    t("until and including", Kind::Through, true, false),
    t("up to and including", Kind::Through, true, false),
    t("through ", Kind::Through, true, false),
    t("thru ", Kind::Through, true, false),
    t("until ", Kind::Until, true, false),
    t("zuruck", Kind::Return, false, true),
    t("wieder ", Kind::Return, false, true),
    t("ab ", Kind::Return, false, false),
    t("bis einschl", Kind::Through, false, false),
    t("bis inkl", Kind::Through, false, false),
    t("bis und mit", Kind::Through, false, false),
    p("bis ", Kind::Until),
    t("de retour", Kind::Return, false, false),
    t("retour", Kind::Return, false, false),
    t("a partir d", Kind::Since, false, false),
    t("des le ", Kind::Since, false, false),
    t("reprendrai", Kind::Return, false, false),
    t("jusqu", Kind::Until, false, false),
    t("regres", Kind::Return, false, false),
    t("de vuelta", Kind::Return, false, false),
    t("volvere", Kind::Return, false, false),
    t("vuelvo", Kind::Return, false, false),
    t("reincorpor", Kind::Return, false, false),
    p("hasta ", Kind::Until),
    t("rientr", Kind::Return, false, false),
    t("di ritorno", Kind::Return, false, false),
    t("tornero", Kind::Return, false, false),
    p("fino ", Kind::Until),
    t("terug", Kind::Return, false, true),
    t("weer ", Kind::Return, false, true),
    t("vanaf", Kind::Since, false, false),
    t("tot en met", Kind::Through, false, false),
    t("t/m ", Kind::Through, false, false),
    p("tot ", Kind::Until),
    t("tillbaka", Kind::Return, false, false),
    t("ater ", Kind::Return, false, false),
    t("fran och med", Kind::Since, false, false),
    t("fra og med", Kind::Since, false, false),
    t("till och med", Kind::Through, false, false),
    t("t.o.m", Kind::Through, false, false),
    p("till ", Kind::Until),
    t("tilbake", Kind::Return, false, false),
    t("tilbage", Kind::Return, false, false),
    t("til og med", Kind::Through, false, false),
    p("tom ", Kind::Through),
    p("til ", Kind::Until),
    t("retorn", Kind::Return, false, false),
    t("de volta", Kind::Return, false, false),
    t("voltarei", Kind::Return, false, false),
    t("volto ", Kind::Return, false, false),
    p("ate ", Kind::Until),
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

/// Words that may stand between a preposition trigger and its date ("till den 8 januari",
/// "bis Montag, 4. Januar", "until the 31st").
#[rustfmt::skip]
const NEAR_FILLERS: &[&str] = &[
    "the", "on", "den", "dem", "der", "zum", "le", "el", "il", "al", "o", "a", "em", "op", "am",
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "mon", "tue",
    "wed", "thu", "fri", "montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag",
    "sonntag", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "lunes", "martes", "miercoles",
    "jueves", "viernes", "lunedi", "martedi", "mercoledi", "giovedi", "venerdi", "maandag",
    "dinsdag", "woensdag", "donderdag", "vrijdag", "mandag", "tisdag", "tirsdag", "onsdag",
    "torsdag", "fredag", "mandagen", "segunda", "terca", "quarta", "quinta", "sexta", "feira",
];
const NEAR_TOKENS: usize = 4;

/// The return date stated in `text` (an auto-reply's subject, or its new text), relative to
/// `reference` (the message's Date), with the 1-based line of `text` that states it.
pub(super) fn extract(text: &str, reference: Option<NaiveDate>) -> Option<(NaiveDate, usize)> {
    let lined = squeeze(&fold(clip(text, 8 * 1024)));
    // Same bytes with line breaks as spaces: a phrase or date may wrap.
    let folded = lined.replace('\n', " ");
    let mut hits: Vec<(u8, usize, &Trigger)> = Vec::new();
    for trigger in TRIGGERS {
        let mut from = 0;
        while let Some(at) = find_at_word_start(&folded, trigger.phrase, from) {
            if hits.len() >= MAX_HITS {
                break;
            }
            // A longer trigger at the same place ("tot en met" over "tot") wins: keep the first.
            if !hits.iter().any(|(_, pos, _)| *pos == at) {
                hits.push((trigger.kind.rank(), at, trigger));
            }
            from = at + trigger.phrase.len();
        }
    }
    hits.sort_by_key(|(rank, at, _)| (*rank, *at));
    hits.into_iter().find_map(|(_, at, trigger)| {
        date_for(&folded, at, trigger, reference).map(|d| (d, line_number(&lined, at)))
    })
}

/// Runs of spaces and tabs become one space; line breaks stay, one for one, so line numbers
/// hold.
fn squeeze(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        if c == '\n' {
            out.push('\n');
            space = false;
        } else if c.is_whitespace() {
            space = !out.is_empty() && !out.ends_with('\n');
        } else {
            if std::mem::take(&mut space) {
                out.push(' ');
            }
            out.push(c);
        }
    }
    out
}

/// Whether the tokens before `i` are only articles, weekdays and punctuation, and few.
fn follows_at_once(toks: &[Tok<'_>], i: usize) -> bool {
    i <= NEAR_TOKENS
        && toks[..i].iter().all(|t| match t.kind {
            TokKind::Word(w) => NEAR_FILLERS.contains(&w),
            TokKind::Sep(c) => matches!(c, ',' | '.'),
            TokKind::Num { .. } => false,
        })
}

fn date_for(
    folded: &str,
    at: usize,
    trigger: &Trigger,
    reference: Option<NaiveDate>,
) -> Option<NaiveDate> {
    // Past the rest of a word the phrase ends inside ("bis einschl|ießlich", "return|ing").
    let end = at + trigger.phrase.len();
    let inside_word = trigger.phrase.ends_with(|c: char| c.is_alphanumeric());
    let rest_of_word = folded
        .get(end..)?
        .find(|c: char| !inside_word || !c.is_alphanumeric())
        .unwrap_or(folded.len() - end);
    let start = end + rest_of_word;
    let after = clip(folded.get(start..)?, AFTER_BYTES);
    let toks = tokenize(after);
    let found = (0..toks.len().min(12)).find_map(|i| {
        if trigger.near && !follows_at_once(&toks, i) {
            return None;
        }
        parse_date_at(&toks, i, trigger.english).map(|(md, end)| (md, toks[i].start(), end))
    });
    let found = found.map(|(md, start, end)| (md.resolve(reference), start, end));
    // An ordinal day alone right after the trigger ("through the 31st", "til og med den 31.").
    let found = found.or_else(|| {
        (0..toks.len().min(NEAR_TOKENS + 1))
            .filter(|i| follows_at_once(&toks, *i))
            .find_map(|i| parse_day_at(&toks, i).map(|(day, end)| (day, toks[i].start(), end)))
            .map(|(day, start, end)| (resolve_day(day, reference), start, end))
    });
    if let Some((date, date_start, date_end)) = found {
        let date = date?;
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
