//! A small tokenizer and grammar for the dates people write in out-of-office texts, over
//! folded text (see `text::fold`): "12.01.2027", "12/01", "2027-01-12", "12 January",
//! "12th of January", "12. Januar 2027", "12 de enero de 2027", "1er janvier", "January 12th, 2027".

use chrono::{Datelike, Days, NaiveDate};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum TokKind<'a> {
    /// A run of digits; `value` is `u32::MAX` past four digits (never a date part).
    Num {
        value: u32,
        digits: usize,
    },
    Word(&'a str),
    Sep(char),
}

#[derive(Clone, Copy, Debug)]
pub(super) struct Tok<'a> {
    pub kind: TokKind<'a>,
    start: usize,
    end: usize,
}

impl Tok<'_> {
    pub fn start(&self) -> usize {
        self.start
    }
}

const MAX_TOKENS: usize = 48;

/// Words, digit runs and single punctuation characters, with their byte ranges.
pub(super) fn tokenize(text: &str) -> Vec<Tok<'_>> {
    let mut toks = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if toks.len() >= MAX_TOKENS {
            break;
        }
        if c.is_whitespace() {
            continue;
        }
        let same_class = |x: char| {
            if c.is_ascii_digit() {
                x.is_ascii_digit()
            } else {
                x.is_alphabetic()
            }
        };
        if !(c.is_ascii_digit() || c.is_alphabetic()) {
            toks.push(Tok {
                kind: TokKind::Sep(c),
                start,
                end: start + c.len_utf8(),
            });
            continue;
        }
        let mut end = start + c.len_utf8();
        while let Some((i, x)) = chars.next_if(|(_, x)| same_class(*x)) {
            end = i + x.len_utf8();
        }
        let s = &text[start..end];
        let kind = if c.is_ascii_digit() {
            let value = if s.len() <= 4 {
                s.parse().unwrap_or(u32::MAX)
            } else {
                u32::MAX
            };
            TokKind::Num {
                value,
                digits: s.len(),
            }
        } else {
            TokKind::Word(s)
        };
        toks.push(Tok { kind, start, end });
    }
    toks
}

/// A day and month, with the year when the text gave one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct MonthDay {
    day: u32,
    month: u32,
    year: Option<u32>,
}

impl MonthDay {
    /// The calendar date, placing a year-less date on or after `reference`, and refusing dates
    /// before `reference` (minus a day) or more than 400 days after it.
    pub fn resolve(&self, reference: Option<NaiveDate>) -> Option<NaiveDate> {
        let year = match self.year {
            Some(y) if y < 100 => 2000 + i32::try_from(y).ok()?,
            Some(y) => i32::try_from(y).ok()?,
            None => reference?.year(),
        };
        let mut date = NaiveDate::from_ymd_opt(year, self.month, self.day)?;
        if let Some(r) = reference {
            if self.year.is_none() && date < r {
                date = NaiveDate::from_ymd_opt(year + 1, self.month, self.day)?;
            }
            let earliest = r.checked_sub_days(Days::new(1))?;
            let latest = r.checked_add_days(Days::new(400))?;
            if date < earliest || date > latest {
                return None;
            }
        }
        Some(date)
    }
}

#[rustfmt::skip]
const MONTHS: &[(&str, u32)] = &[

    ("january", 1), ("jan", 1), ("januar", 1), ("janner", 1), ("janvier", 1), ("janv", 1),

    ("enero", 1), ("ene", 1), ("gennaio", 1), ("gen", 1), ("januari", 1), ("janeiro", 1),

    ("february", 2), ("feb", 2), ("februar", 2), ("fevrier", 2), ("fevr", 2), ("fev", 2),

    ("febrero", 2), ("febbraio", 2), ("februari", 2), ("fevereiro", 2), ("march", 3), ("mar", 3),

    ("marz", 3), ("maerz", 3), ("mars", 3), ("marzo", 3), ("maart", 3), ("mrt", 3), ("marco", 3),

    ("april", 4), ("apr", 4), ("avril", 4), ("avr", 4), ("abril", 4), ("abr", 4), ("aprile", 4),

    ("may", 5), ("mai", 5), ("mayo", 5), ("maggio", 5), ("mag", 5), ("mei", 5), ("maj", 5),

    ("maio", 5), ("june", 6), ("jun", 6), ("juni", 6), ("juin", 6), ("junio", 6), ("giugno", 6),

    ("giu", 6), ("junho", 6), ("july", 7), ("jul", 7), ("juli", 7), ("juillet", 7), ("juil", 7),

    ("julio", 7), ("luglio", 7), ("lug", 7), ("julho", 7), ("august", 8), ("aug", 8), ("aout", 8),

    ("agosto", 8), ("ago", 8), ("augustus", 8), ("augusti", 8), ("september", 9), ("sep", 9),

    ("sept", 9), ("septembre", 9), ("septiembre", 9), ("setiembre", 9), ("settembre", 9),

    ("setembro", 9), ("october", 10), ("oct", 10), ("oktober", 10), ("okt", 10), ("octobre", 10),

    ("octubre", 10), ("ottobre", 10), ("ott", 10), ("outubro", 10), ("november", 11), ("nov", 11),

    ("novembre", 11), ("noviembre", 11), ("novembro", 11), ("december", 12), ("dec", 12),

    ("dezember", 12), ("dez", 12), ("decembre", 12), ("diciembre", 12), ("dic", 12),

    ("dicembre", 12), ("dezembro", 12),
];

/// Words allowed between a day number and its month ("12th of", "12 de", "1er").
#[rustfmt::skip]
const DAY_FILLERS: &[&str] = &[
    "th", "st", "nd", "rd", "er", "e", "o", "de", "of", "del", "den",
];

fn month_of(word: &str) -> Option<u32> {
    MONTHS
        .iter()
        .find(|(name, _)| *name == word)
        .map(|(_, m)| *m)
}

fn kind<'a>(toks: &[Tok<'a>], i: usize) -> Option<TokKind<'a>> {
    toks.get(i).map(|t| t.kind)
}

/// (value, digit count) of a number token.
fn num(toks: &[Tok<'_>], i: usize) -> Option<(u32, usize)> {
    match kind(toks, i)? {
        TokKind::Num { value, digits } => Some((value, digits)),
        _ => None,
    }
}

/// A date starting at token `i`, with the byte offset where it ends. `month_first` reads an
/// ambiguous slashed "1/5" as January 5 (US English).
pub(super) fn parse_date_at(
    toks: &[Tok<'_>],
    i: usize,
    month_first: bool,
) -> Option<(MonthDay, usize)> {
    match kind(toks, i)? {
        TokKind::Num { .. } => numeric(toks, i, month_first).or_else(|| day_first(toks, i)),
        TokKind::Word(_) => month_first_text(toks, i),
        TokKind::Sep(_) => None,
    }
}

fn numeric(toks: &[Tok<'_>], i: usize, month_first: bool) -> Option<(MonthDay, usize)> {
    let (a, da) = num(toks, i)?;
    let Some(TokKind::Sep(sep @ ('.' | '/' | '-'))) = kind(toks, i + 1) else {
        return None;
    };
    let (b, db) = num(toks, i + 2)?;
    let third = (kind(toks, i + 3) == Some(TokKind::Sep(sep)))
        .then(|| num(toks, i + 4))
        .flatten();
    if da == 4 && db <= 2 {
        let (c, dc) = third?;
        let md = (dc <= 2).then(|| valid(c, b, Some(a))).flatten()?;
        return Some((md, toks[i + 4].end));
    }
    if da > 2 || db > 2 {
        return None;
    }
    let swap = a <= 12 && (b > 12 || (sep == '/' && month_first));
    let (day, month) = if swap { (b, a) } else { (a, b) };
    match third {
        Some((year, 2 | 4)) => valid(day, month, Some(year)).map(|md| (md, toks[i + 4].end)),
        Some(_) => None,
        None => valid(day, month, None).map(|md| (md, toks[i + 2].end)),
    }
}

fn day_first(toks: &[Tok<'_>], i: usize) -> Option<(MonthDay, usize)> {
    let (day, 1 | 2) = num(toks, i)? else {
        return None;
    };
    let mut j = i + 1;
    for _ in 0..3 {
        match kind(toks, j) {
            Some(TokKind::Sep('.')) => j += 1,
            Some(TokKind::Word(w)) if DAY_FILLERS.contains(&w) => j += 1,
            _ => break,
        }
    }
    let TokKind::Word(name) = kind(toks, j)? else {
        return None;
    };
    let month = month_of(name)?;
    let (year, end) = year_after(toks, j + 1).unwrap_or((None, toks[j].end));
    valid(day, month, year).map(|md| (md, end))
}

fn month_first_text(toks: &[Tok<'_>], i: usize) -> Option<(MonthDay, usize)> {
    let TokKind::Word(name) = kind(toks, i)? else {
        return None;
    };
    let month = month_of(name)?;
    let mut j = i + 1;
    if kind(toks, j) == Some(TokKind::Sep('.')) {
        j += 1;
    }
    let (day, 1 | 2) = num(toks, j)? else {
        return None;
    };
    if let Some(TokKind::Word("th" | "st" | "nd" | "rd")) = kind(toks, j + 1) {
        j += 1;
    }
    let (year, end) = year_after(toks, j + 1).unwrap_or((None, toks[j].end));
    valid(day, month, year).map(|md| (md, end))
}

/// A four-digit year after a date, past at most two of ",", ".", "de", "del", "of".
fn year_after(toks: &[Tok<'_>], mut j: usize) -> Option<(Option<u32>, usize)> {
    for _ in 0..2 {
        match kind(toks, j) {
            Some(TokKind::Sep(',' | '.')) | Some(TokKind::Word("de" | "del" | "of")) => j += 1,
            _ => break,
        }
    }
    match num(toks, j)? {
        (value, 4) => Some((Some(value), toks[j].end)),
        _ => None,
    }
}

/// An ordinal day of the month on its own, starting at token `i`: "31st", "31." (German and
/// Nordic ordinals), "1er", with the byte offset where it ends. "17 Uhr", "17.30", "5pm" and a
/// day followed by a month (a full date) are not.
pub(super) fn parse_day_at(toks: &[Tok<'_>], i: usize) -> Option<(u32, usize)> {
    let (day, 1 | 2) = num(toks, i)? else {
        return None;
    };
    if !(1..=31).contains(&day) {
        return None;
    }
    let ordinal = match kind(toks, i + 1)? {
        TokKind::Word("st" | "nd" | "rd" | "th" | "er" | "e") => true,
        TokKind::Sep('.') => !matches!(kind(toks, i + 2), Some(TokKind::Num { .. })),
        _ => false,
    };
    let month_follows = toks
        .get(i + 1..(i + 4).min(toks.len()))
        .unwrap_or_default()
        .iter()
        .any(|t| matches!(t.kind, TokKind::Word(w) if month_of(w).is_some()));
    (ordinal && !month_follows).then(|| (day, toks[i + 1].end))
}

/// The date of an ordinal `day` alone: in the month of `reference`, or the next month when that
/// day has passed. `None` without a reference or when the month has no such day.
pub(super) fn resolve_day(day: u32, reference: Option<NaiveDate>) -> Option<NaiveDate> {
    let r = reference?;
    let (mut year, mut month) = (r.year(), r.month());
    if day < r.day() {
        (year, month) = if month == 12 {
            (year + 1, 1)
        } else {
            (year, month + 1)
        };
    }
    NaiveDate::from_ymd_opt(year, month, day)
}

fn valid(day: u32, month: u32, year: Option<u32>) -> Option<MonthDay> {
    ((1..=31).contains(&day) && (1..=12).contains(&month)).then_some(MonthDay { day, month, year })
}
