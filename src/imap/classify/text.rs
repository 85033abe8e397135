//! Text helpers shared by the classifiers: case and accent folding (so phrase tables stay ASCII),
//! whole-word search, whitespace collapsing and clipping. All linear in the input.

/// Lower-cases and folds the Latin accents and typographic quotes of the languages we match
/// (English, German, French, Spanish, Italian, Dutch, Swedish, Portuguese) to ASCII.
pub(super) fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ª' => out.push('a'),
            'ç' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' => out.push('i'),
            'ñ' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'º' => out.push('o'),
            'ù' | 'ú' | 'û' | 'ü' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            'ß' => out.push_str("ss"),
            'æ' => out.push_str("ae"),
            'œ' => out.push_str("oe"),
            '\u{2018}' | '\u{2019}' | '`' | '\u{b4}' => out.push('\''),
            '\u{201c}' | '\u{201d}' | '\u{201e}' | '\u{ab}' | '\u{bb}' => out.push('"'),
            '\u{a0}' | '\u{2007}' | '\u{202f}' => out.push(' '),
            '\u{2013}' | '\u{2014}' => out.push('-'),
            // Combining marks left over from decomposed input ("e\u{301}").
            '\u{300}'..='\u{36f}' => {}
            c => out.push(c),
        }
    }
    out
}

/// `fold`, then every run of non-alphanumeric characters becomes one space, with a space at
/// each end: `" please remove me "`. Phrases are then matched as `" remove me"`.
pub(super) fn words(text: &str) -> String {
    let folded = fold(text);
    let mut out = String::with_capacity(folded.len() + 2);
    out.push(' ');
    for c in folded.chars() {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with(' ') {
            out.push(' ');
        }
    }
    if !out.ends_with(' ') {
        out.push(' ');
    }
    out
}

/// Whether `needle` occurs in `hay` where the character before it is not alphanumeric (a word
/// start). The needle may end inside a word, so stems such as "descadastr" match.
pub(super) fn contains_at_word_start(hay: &str, needle: &str) -> bool {
    find_at_word_start(hay, needle, 0).is_some()
}

/// The byte offset of the first word-start occurrence of `needle` at or after `from`.
pub(super) fn find_at_word_start(hay: &str, needle: &str, from: usize) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    let mut start = from;
    while start < hay.len() && !hay.is_char_boundary(start) {
        start += 1;
    }
    while let Some(found) = hay.get(start..).and_then(|rest| rest.find(needle)) {
        let at = start + found;
        let before_ok = hay[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !c.is_alphanumeric());
        if before_ok {
            return Some(at);
        }
        start = at + hay[at..].chars().next().map_or(1, char::len_utf8);
    }
    None
}

/// The 1-based number of the line of `text` that holds byte `at`, for evidence ("body line 3").
#[allow(dead_code)] // used by the bounce and reply rules as they name lines
pub(super) fn line_number(text: &str, at: usize) -> usize {
    let at = at.min(text.len());
    text.as_bytes()[..at]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// Whitespace runs (including line breaks) become single spaces; the ends are trimmed.
pub(super) fn collapse_ws(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// At most `max_bytes` of `text`, cut at a character boundary.
pub(super) fn clip(text: &str, max_bytes: usize) -> &str {
    if text.len() <= max_bytes {
        return text;
    }
    let mut end = max_bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// A diagnostic fit for JSON and logs: whitespace collapsed, at most 400 bytes.
pub(super) fn diagnostic(text: &str) -> Option<String> {
    let collapsed = collapse_ws(clip(text, 4096));
    let clipped = clip(&collapsed, 400).trim();
    (!clipped.is_empty()).then(|| clipped.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_accents_and_case() {
        assert_eq!(
            fold("Réponse AUTOMATIQUE – Zurück, Größe"),
            "reponse automatique - zuruck, grosse"
        );
        assert_eq!(words("Bitte  AUS-tragen!"), " bitte aus tragen ");
    }

    #[test]
    fn word_start_search_skips_matches_inside_words() {
        assert!(contains_at_word_start("please stop it", "stop"));
        assert!(!contains_at_word_start("nonstop flights", "stop"));
        assert!(contains_at_word_start("me descadastrem", "descadastr"));
        assert_eq!(find_at_word_start("ab xab ab", "ab", 1), Some(7));
        assert_eq!(find_at_word_start("ä from: x", "from:", 1), Some(3));
    }

    #[test]
    fn clipping_respects_character_boundaries() {
        assert_eq!(clip("ääää", 3), "ä");
        assert_eq!(
            diagnostic("  550  5.1.1\r\n   user unknown "),
            Some("550 5.1.1 user unknown".into())
        );
        assert_eq!(diagnostic(" \n "), None);
    }
}
