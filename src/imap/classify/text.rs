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

/// Top-level domains a host name in a diagnostic ends with; anything dotted with three or more
/// labels counts too. Keeps "found.Please" (a missing space) a pair of words.
#[rustfmt::skip]
const TLDS: &[&str] = &[
    "com", "net", "org", "edu", "gov", "mil", "int", "info", "biz", "io", "co", "me", "eu",
    "de", "fr", "uk", "jp", "es", "it", "nl", "se", "pt", "at", "ch", "au", "ca", "us", "be",
    "dk", "no", "fi", "pl", "cz", "ru", "br", "cn", "in", "kr", "tw", "hk", "nz", "za", "ie",
    "gr", "hu", "ro", "mx", "ar", "local", "lan", "internal", "arpa", "cloud", "online",
];

/// `text` with host names, e-mail addresses and links replaced by a space, everything else
/// kept: a diagnostic's words without "relay.example.com" or "spamfilter.example.net" in them.
/// A token is a run between whitespace and `()<>[]{},;:"'=`. Linear in the input.
pub(super) fn blank_hosts(text: &str) -> String {
    let is_sep = |c: char| c.is_whitespace() || "()<>[]{},;:\"'=".contains(c);
    let mut out = String::with_capacity(text.len());
    let mut token_start: Option<usize> = None;
    let flush = |out: &mut String, token: &str| {
        if is_host_like(token) {
            out.push(' ');
        } else {
            out.push_str(token);
        }
    };
    for (at, c) in text.char_indices() {
        if is_sep(c) {
            if let Some(start) = token_start.take() {
                flush(&mut out, &text[start..at]);
            }
            out.push(c);
        } else if token_start.is_none() {
            token_start = Some(at);
        }
    }
    if let Some(start) = token_start {
        flush(&mut out, &text[start..]);
    }
    out
}

fn is_host_like(token: &str) -> bool {
    if token.contains('@') || token.contains('/') {
        return true;
    }
    let host = token.trim_end_matches(['.', '!', '?']);
    if !host.contains('.')
        || !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return false;
    }
    let labels = host.split('.').count();
    let last = host
        .rsplit('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let alphabetic = (2..=6).contains(&last.len()) && last.bytes().all(|b| b.is_ascii_alphabetic());
    alphabetic && (labels >= 3 || TLDS.contains(&last.as_str()))
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

    #[test]
    fn host_names_addresses_and_links_are_blanked_but_words_stay() {
        assert_eq!(
            blank_hosts("host relay.example.com[192.0.2.1] said: 550 user unknown"),
            "host  [192.0.2.1] said: 550 user unknown"
        );
        assert_eq!(blank_hosts("(a@b.de:blocked)"), "( :blocked)");
        assert_eq!(
            blank_hosts("see https://support.google.com/mail/?p=x now"),
            "see https: =x now"
        );
        assert_eq!(
            blank_hosts("RESOLVER.ADR.RecipNotFound; not found.Please"),
            "RESOLVER.ADR.RecipNotFound; not found.Please"
        );
    }
}
