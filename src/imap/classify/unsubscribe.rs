//! Unsubscribe requests in replies: explicit phrases in eight languages anywhere in the new
//! text, a bare "stop"-like word when it is nearly all the sender wrote, or an unsubscribe
//! subject (what a `mailto:` List-Unsubscribe link sends).
//!
//! Only the new text counts (see `quote.rs`): our quoted footer says "unsubscribe" too.
//!
//! A keyword is not an intent. A phrase counts only where it is a request: not negated in its
//! own clause ("don't remove me"; a negation never reaches over ".", "!", "?", ";", "," or a
//! line break, so "No thanks. Please remove me." is a request), not a noun ("unsubscribe
//! rates"), not about who is on the CC line or an invite, not another object ("stop sending
//! invoices by hand"). Client signatures ("Sent from my iPhone") do not count as words for the
//! bare-word rule. A request that is conditional ("if this isn't relevant, remove me"), offers
//! an alternative ("otherwise…"), defers ("check back in Q3"), or sits beside a buying question
//! is `Ask::Unsure`: a person decides, and the caller answers with a reply.

use super::inbound::Inbound;
use super::quote::new_text;
use super::subject::normalize_subject;
use super::text::{clip, collapse_ws, fold, line_number, words};

mod tables;

use tables::*;

/// What a reply's text says about being mailed again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Ask {
    /// Nothing, or opt-out words in another sense.
    No,
    /// A clear request to stop.
    Stop,
    /// An opt-out phrase that is hedged, conditional or beside a buying question: a person
    /// decides, and the best guess is a reply.
    Unsure,
}

/// Where and how the new text asks to stop.
#[derive(Debug, PartialEq, Eq)]
struct Found {
    ask: Ask,
    /// 1-based line of the body.
    line: usize,
    text: String,
}

/// Whether a reply asks us to stop writing (noting the subject or phrase as evidence).
pub(super) fn requested(inbound: &Inbound<'_>) -> Ask {
    if is_unsubscribe_subject(&inbound.subject) {
        inbound.note("unsubscribe-subject", "subject", &inbound.subject);
        return Ask::Stop;
    }
    let Some(found) = find(&new_text(&inbound.body)) else {
        return Ask::No;
    };
    let rule = match found.ask {
        Ask::Unsure => "unsubscribe-or-reply",
        _ => "unsubscribe-wording",
    };
    inbound.note(rule, format!("body line {}", found.line), &found.text);
    found.ask
}

/// Whether the subject alone is an unsubscribe request.
pub(super) fn is_unsubscribe_subject(subject: &str) -> bool {
    let normalized = words(&normalize_subject(subject));
    SUBJECTS.iter().any(|s| normalized.trim() == *s)
}

/// One sentence of the new text: where it starts, its first body line, its text, whether it
/// asks something. A sentence may run over line breaks (hard-wrapped text); a blank line
/// ends it.
struct Sentence<'a> {
    start: usize,
    text: &'a str,
    question: bool,
}

/// Sentences kept per message: far more than any real reply has.
const MAX_SENTENCES: usize = 512;

/// The sentences of `text`: split after ".", "!", "?", ";" and at blank lines.
fn sentences(text: &str) -> Vec<Sentence<'_>> {
    let mut out = Vec::new();
    let mut push = |start: usize, end: usize| {
        let piece = &text[start..end];
        if out.len() < MAX_SENTENCES && piece.chars().any(char::is_alphanumeric) {
            out.push(Sentence {
                start,
                text: piece,
                question: piece.trim_end().ends_with('?'),
            });
        }
    };
    let bytes = text.as_bytes();
    let mut start = 0;
    for (i, b) in bytes.iter().enumerate() {
        let end = match b {
            b'.' | b'!' | b'?' | b';' => Some(i + 1),
            b'\n' if blank_line_follows(&bytes[i + 1..]) => Some(i),
            _ => None,
        };
        if let Some(end) = end.filter(|e| *e > start) {
            push(start, end);
            start = end;
        }
    }
    push(start, text.len());
    out
}

/// Whether the next line is blank (spaces and tabs only).
fn blank_line_follows(rest: &[u8]) -> bool {
    rest.iter()
        .find(|b| !matches!(b, b' ' | b'\t' | b'\r'))
        .is_none_or(|b| *b == b'\n')
}

/// The new text with client signature lines blanked (line numbering kept).
fn without_client_signatures(text: &str) -> String {
    text.lines()
        .map(|line| {
            let f = fold(line.trim());
            let signature = CLIENT_SIGNATURES.iter().any(|s| f.starts_with(s));
            if signature { "" } else { line }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn find(new_text: &str) -> Option<Found> {
    let text = without_client_signatures(clip(new_text, 8 * 1024));
    let all = sentences(&text);
    let whole = words(&text);
    let otherwise = OTHERWISE.iter().any(|o| whole.contains(&format!(" {o} ")))
        || DEFERRALS.iter().any(|d| whole.contains(d));
    for (k, sentence) in all.iter().enumerate() {
        let Some(phrase) = phrase_in(sentence.text) else {
            continue;
        };
        let handover = HANDOVER.iter().any(|h| whole.contains(h));
        if phrase.thread && handover {
            continue;
        }
        let buying_question = all.iter().enumerate().any(|(j, other)| {
            j != k && other.question && {
                let w = words(other.text);
                INTEREST.iter().any(|i| w.contains(&format!(" {i} ")))
            }
        });
        let ask = if phrase.conditional || phrase.thread || otherwise || buying_question {
            Ask::Unsure
        } else {
            Ask::Stop
        };
        return Some(Found {
            ask,
            line: line_number(&text, sentence.start + phrase.at),
            text: collapse_ws(sentence.text),
        });
    }
    short_request(&text)
}

/// A bare "STOP" / "Remove" / "Unsubscribe": at most four words in all, and a clause of only
/// short and polite words.
fn short_request(text: &str) -> Option<Found> {
    if words(text).split_whitespace().count() > SHORT_LIMIT_WORDS {
        return None;
    }
    text.lines()
        .enumerate()
        .flat_map(|(i, line)| clauses(line).into_iter().map(move |c| (i, line, c.1)))
        .find(|(_, _, clause)| {
            let w = words(clause);
            let mut any_short = false;
            let only_short = w.split_whitespace().all(|word| {
                let short = SHORT_WORDS.contains(&word);
                any_short |= short;
                short || POLITE.contains(&word)
            });
            only_short && any_short
        })
        .map(|(i, line, _)| Found {
            ask: Ask::Stop,
            line: i + 1,
            text: line.trim().to_owned(),
        })
}

/// Clauses of a sentence with their byte offsets: split at commas, colons, parentheses and
/// dashes between words. Line breaks stay inside (see `clause_words`).
fn clauses(sentence: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut prev = ' ';
    let mut chars = sentence.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map_or(' ', |(_, n)| *n);
        let boundary = matches!(c, ',' | ':' | '(' | ')' | '\u{2013}' | '\u{2014}')
            || (c == '-' && prev.is_whitespace() && next.is_whitespace());
        if boundary {
            out.push((start, &sentence[start..i]));
            start = i + c.len_utf8();
        }
        prev = c;
    }
    out.push((start, &sentence[start..]));
    out
}

/// A clause as a `text::words` string, with the offset in it where each of its lines starts.
fn clause_words(clause: &str) -> (String, Vec<usize>) {
    let mut w = String::from(" ");
    let mut starts = Vec::new();
    for line in clause.split('\n') {
        starts.push(w.len() - 1);
        w.push_str(words(line).trim_start());
    }
    (w, starts)
}

/// An affirmed opt-out phrase in `sentence`.
struct Phrase {
    /// Byte offset in the sentence of the line the phrase starts on.
    at: usize,
    /// An "if"/"unless" in the sentence hedges it.
    conditional: bool,
    /// It asks to leave a thread ("remove me from this thread").
    thread: bool,
}

fn phrase_in(sentence: &str) -> Option<Phrase> {
    let (at, thread) = clauses(sentence).into_iter().find_map(|(offset, clause)| {
        let (w, starts) = clause_words(clause);
        let (at, thread) = PHRASES.iter().find_map(|p| affirmed(&w, &starts, p))?;
        let line = starts.iter().rposition(|s| *s <= at).unwrap_or(0);
        // The byte offset of that line in the sentence.
        let line_offset: usize = clause.split('\n').take(line).map(|l| l.len() + 1).sum();
        Some((offset + line_offset, thread))
    })?;
    // Spanish "Sí" (yes) folds to the conditional "si".
    let yes = sentence.contains("sí") || sentence.contains("Sí");
    Some(Phrase {
        at,
        conditional: conditional(&words(sentence), yes),
        thread,
    })
}

/// "We unsubscribed from three vendors": a past opt-out from someone else's mail is a report,
/// not a request ("I unsubscribed from your emails" still is one).
fn reported_elsewhere(word: &str, after: &[&str]) -> bool {
    word == "unsubscribed"
        && after.first() == Some(&"from")
        && after
            .get(1)
            .is_some_and(|next| !OUR_MAIL.contains(next) && !matches!(*next, "the" | "all" | "you"))
}

/// Whether a `text::words` string holds a conditional that is not a polite "if you could".
fn conditional(w: &str, spanish_yes: bool) -> bool {
    let tokens: Vec<&str> = w.split_whitespace().collect();
    tokens.iter().enumerate().any(|(i, t)| {
        CONDITIONALS.contains(t) && !(spanish_yes && *t == "si") && {
            let next = tokens
                .get(i + 1..(i + 3).min(tokens.len()))
                .unwrap_or_default();
            let next = next.join(" ");
            !POLITE_IF.iter().any(|p| next.starts_with(p))
        }
    })
}

/// The offset of `phrase` in `w` (one clause as a `text::words` string) where it is a request:
/// not negated ("don't remove me from the thread"), not a noun ("unsubscribe rates"), not
/// about a conversation ("take me off the CC"), not another object ("stop sending invoices").
fn affirmed(w: &str, line_starts: &[usize], phrase: &str) -> Option<(usize, bool)> {
    let needle = format!(" {phrase}");
    let mut from = 0;
    while let Some(found) = w.get(from..).and_then(|rest| rest.find(&needle)) {
        let at = from + found;
        let end = at + needle.len();
        // A negation never reaches back over a line break.
        let line_start = line_starts
            .iter()
            .rev()
            .find(|s| **s <= at)
            .copied()
            .unwrap_or(0);
        let before: Vec<&str> = w[line_start..at].split_whitespace().rev().take(4).collect();
        // The rest of the word the phrase ends in ("unsubscrib|ing"), then the words after.
        let tail = w[end..].split_once(' ').map_or("", |(_, t)| t);
        let after: Vec<&str> = tail.split_whitespace().take(5).collect();
        let negated = before
            .iter()
            .position(|word| NEGATIONS.contains(word))
            .is_some_and(|n| before[..n].iter().all(|f| NEGATION_FILLERS.contains(f)));
        let word = w[at + 1..].split(' ').next().unwrap_or_default();
        let noun = NOUN_PHRASES.contains(&phrase)
            && (after.first().is_some_and(|a| NOUN_AFTER.contains(a))
                || before.first().is_some_and(|b| NOUN_BEFORE.contains(b))
                || word == "unsubscribes"
                || reported_elsewhere(word, &after));
        let conversation = after.iter().any(|a| CONVERSATION_OBJECTS.contains(a));
        let other_object = OBJECT_PHRASES.contains(&phrase)
            && after.first().is_some_and(|a| !OUR_MAIL.contains(a));
        if !(negated || noun || conversation || other_object) {
            let thread = after.iter().any(|a| THREAD_OBJECTS.contains(a));
            return Some((at, thread));
        }
        from = end;
    }
    None
}

#[cfg(test)]
mod tests;
