//! Subject normalisation for threading: reply and forward prefixes in many languages
//! ("Re:", "AW:", "SV:", "RE[2]:", "Antw:", "R:", "Fwd:", "WG:") and bracketed tags such as
//! "[EXTERNAL]" are stripped, case and whitespace folded. Our sent subjects and inbound ones go
//! through the same function, so they compare equal when they thread.

use super::text::{clip, collapse_ws, fold};

/// Reply prefixes (English, German, Scandinavian, Dutch, Italian, Spanish, Portuguese, Polish,
/// Turkish, Greek, Chinese) and forward prefixes, folded.
#[rustfmt::skip]
const PREFIXES: &[&str] = &[
    "re", "aw", "sv", "vs", "antw", "antwort", "ref", "rif", "r", "res", "resp", "odp", "ynt",
    "atb", "bls", "vá", "va", "απ", "回复", "答复", "回覆", "fwd", "fw", "wg", "tr", "rv", "enc",
    "doorst", "vl", "vb", "pd", "i", "fs", "trs",
];

/// The subject with every leading reply/forward prefix and tag removed, folded to lower case
/// with single spaces. An empty result means the subject carried nothing to thread on.
pub fn normalize_subject(subject: &str) -> String {
    let mut rest = collapse_ws(&fold(clip(subject, 1024)));
    // Bounded: each pass removes at least one prefix.
    for _ in 0..32 {
        match strip_one(&rest) {
            Some(shorter) => rest = shorter.trim_start().to_owned(),
            None => break,
        }
    }
    rest.trim().to_owned()
}

/// Strips one leading "prefix:" (optionally "prefix[2]:" or "prefix(2):", ASCII or full-width
/// colon) or one "[tag]".
fn strip_one(s: &str) -> Option<&str> {
    if let Some(tagged) = s.strip_prefix('[') {
        let close = tagged.find(']')?;
        // A tag is short; a subject in brackets is left alone.
        return (close <= 24).then(|| &tagged[close + 1..]);
    }
    let word_end = s
        .char_indices()
        .find(|(_, c)| !c.is_alphabetic())
        .map_or(s.len(), |(i, _)| i);
    let (word, mut after) = s.split_at(word_end);
    if !PREFIXES.contains(&word) {
        return None;
    }
    after = after.trim_start();
    for (open, close) in [('[', ']'), ('(', ')')] {
        if let Some(counted) = after.strip_prefix(open) {
            let end = counted.find(close)?;
            if !counted[..end].chars().all(|c| c.is_ascii_digit()) {
                return None;
            }
            after = counted[end + close.len_utf8()..].trim_start();
        }
    }
    after
        .strip_prefix(':')
        .or_else(|| after.strip_prefix('\u{ff1a}'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_prefixes_in_many_languages_are_stripped() {
        for subject in [
            "Quick question",
            "Re: Quick question",
            "RE: AW: Quick  question",
            "SV: Quick question",
            "Antw: Re[2]: Quick question",
            "R: quick QUESTION",
            "[EXTERNAL] Re: Quick question",
            "Fwd: Re: Quick question ",
            "回复：Quick question",
        ] {
            assert_eq!(normalize_subject(subject), "quick question", "{subject}");
        }
    }

    #[test]
    fn words_that_merely_start_like_prefixes_stay() {
        assert_eq!(
            normalize_subject("Reading list: week 2"),
            "reading list: week 2"
        );
        assert_eq!(normalize_subject("Re question"), "re question");
        assert_eq!(normalize_subject("Réunion: lundi"), "reunion: lundi");
        assert_eq!(normalize_subject("Re:"), "");
    }

    #[test]
    fn accents_are_folded_like_the_rest_of_the_classifier() {
        assert_eq!(
            normalize_subject("AW: Kurze Frage zu Ihrem Büro"),
            "kurze frage zu ihrem buro"
        );
    }
}
