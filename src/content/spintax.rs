//! Spintax: `{Hi|Hello|Hey}` picks one option, groups nest (`{Hi|Hello {there|friend}}`), and
//! the pick is made by a seeded generator so the same (lead, step) always reads the same: a
//! retried step sends the text that was generated the first time.
//!
//! Jinja's own delimiters pass through untouched (`{{ … }}`, `{% … %}`, `{# … #}`, and whatever
//! sits between `{% raw %}` and `{% endraw %}`), so a `|` inside `{{ name | upper }}` never splits
//! a group. A `{` without a matching `}` and a group without `|` (`{a}`) are literal text. A group
//! whose first option is itself a group must start with a space (`{ {a|b}|c}`): `{{` opens Jinja.
//! Pure and linear in the input; nesting deeper than [`MAX_DEPTH`] stays literal so adversarial
//! input cannot blow the stack.

use sha2::{Digest, Sha256};

use crate::domain::LeadId;

/// Groups nested deeper than this are left as literal text.
pub const MAX_DEPTH: usize = 16;

/// The seed for (lead, step): a stable hash, the same on every machine, build and restart (std's
/// hasher is randomised per process, which would change the text on a retry).
pub fn spin_seed(lead_id: LeadId, step_order: u32) -> u64 {
    let mut hash = Sha256::new();
    hash.update(b"outreachd/spintax/v1");
    hash.update(lead_id.0.as_bytes());
    hash.update(step_order.to_be_bytes());
    let digest = hash.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first)
}

/// Expands every spintax group in `input`, choosing options with a generator seeded by `seed`.
pub fn expand(input: &str, seed: u64) -> String {
    if !input.contains('|') {
        // No group can have a choice: everything is literal.
        return input.to_owned();
    }
    let tokens = tokenize(input.as_bytes());
    let matches = match_braces(&tokens);
    let mut out = String::with_capacity(input.len());
    let mut expander = Expander {
        src: input,
        tokens: &tokens,
        matches: &matches,
        rng: SplitMix64(seed),
    };
    expander.emit(0, input.len(), 0, tokens.len(), 0, &mut out);
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Open,
    Close,
    Bar,
}

#[derive(Clone, Copy, Debug)]
struct Token {
    at: usize,
    kind: Kind,
}

/// The `{`, `}` and `|` outside Jinja tags, in order. They are ASCII, so their byte offsets are
/// always char boundaries.
fn tokenize(bytes: &[u8]) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let kind = match bytes[i] {
            b'{' if matches!(bytes.get(i + 1), Some(b'{' | b'%' | b'#')) => {
                i = skip_jinja(bytes, i);
                continue;
            }
            b'{' => Kind::Open,
            b'}' => Kind::Close,
            b'|' => Kind::Bar,
            _ => {
                i += 1;
                continue;
            }
        };
        tokens.push(Token { at: i, kind });
        i += 1;
    }
    tokens
}

/// Returns the offset just past the Jinja construct starting at `start` (past `{% endraw %}` for
/// a raw block); the end of input when it is unclosed, which minijinja then reports.
fn skip_jinja(bytes: &[u8], start: usize) -> usize {
    let end = tag_end(bytes, start);
    if bytes[start + 1] == b'%' && tag_word(&bytes[start..end]) == b"raw" {
        let mut i = end;
        while let Some(offset) = find(&bytes[i..], b"{%") {
            let tag_start = i + offset;
            let tag_stop = tag_end(bytes, tag_start);
            if tag_word(&bytes[tag_start..tag_stop]) == b"endraw" {
                return tag_stop;
            }
            i = tag_stop;
        }
        return bytes.len();
    }
    end
}

/// End of one `{{ }}`, `{% %}` or `{# #}` tag; quoted strings inside expressions are skipped so
/// `{{ "}}" }}` is one tag.
fn tag_end(bytes: &[u8], start: usize) -> usize {
    let closer = match bytes[start + 1] {
        b'{' => b'}',
        b'%' => b'%',
        _ => b'#',
    };
    let mut quote: Option<u8> = None;
    let mut i = start + 2;
    while i < bytes.len() {
        let b = bytes[i];
        match quote {
            Some(_) if b == b'\\' => i += 1,
            Some(q) if b == q => quote = None,
            Some(_) => {}
            None if closer != b'#' && (b == b'"' || b == b'\'') => quote = Some(b),
            None if b == closer && bytes.get(i + 1) == Some(&b'}') => return i + 2,
            None => {}
        }
        i += 1;
    }
    bytes.len()
}

/// The keyword of a `{% … %}` tag with whitespace-control marks removed: `{%- raw +%}` → `raw`.
fn tag_word(tag: &[u8]) -> &[u8] {
    let inner = tag.get(2..tag.len().saturating_sub(2)).unwrap_or_default();
    let trimmed = inner.trim_ascii();
    let trimmed = trimmed
        .strip_prefix(b"-")
        .or_else(|| trimmed.strip_prefix(b"+"))
        .unwrap_or(trimmed);
    let trimmed = trimmed
        .strip_suffix(b"-")
        .or_else(|| trimmed.strip_suffix(b"+"))
        .unwrap_or(trimmed);
    trimmed.trim_ascii()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// For each token, the index of the matching close token when it is an `Open` that has one.
/// Unmatched braces on either side are literal.
fn match_braces(tokens: &[Token]) -> Vec<Option<usize>> {
    let mut matches = vec![None; tokens.len()];
    let mut open = Vec::new();
    for (index, token) in tokens.iter().enumerate() {
        match token.kind {
            Kind::Open => open.push(index),
            Kind::Close => {
                if let Some(opener) = open.pop() {
                    matches[opener] = Some(index);
                }
            }
            Kind::Bar => {}
        }
    }
    matches
}

/// SplitMix64: tiny, well distributed and fixed forever, unlike `StdRng`, whose algorithm may
/// change between rand releases (and with it every retried email).
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (n > 0), by multiply-shift; the bias is below 2^-50 for any real n.
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next()) * n as u128) >> 64) as usize
    }
}

struct Expander<'a> {
    src: &'a str,
    tokens: &'a [Token],
    matches: &'a [Option<usize>],
    rng: SplitMix64,
}

impl Expander<'_> {
    /// Writes `src[from..to]`, whose tokens are `tokens[first..last]`, expanding the groups in it.
    fn emit(
        &mut self,
        from: usize,
        to: usize,
        first: usize,
        last: usize,
        depth: usize,
        out: &mut String,
    ) {
        let mut copied = from;
        let mut t = first;
        while t < last {
            let (token, close) = (self.tokens[t], self.matches[t]);
            let Some(close) = close.filter(|_| depth < MAX_DEPTH) else {
                t += 1;
                continue;
            };
            out.push_str(&self.src[copied..token.at]);
            let close_at = self.tokens[close].at;
            let bars = self.bars_between(t + 1, close);
            if bars.is_empty() {
                out.push('{');
                self.emit(token.at + 1, close_at, t + 1, close, depth + 1, out);
                out.push('}');
            } else {
                // Option k spans from the separator before it to the one after it.
                let pick = self.rng.below(bars.len() + 1);
                let start_tok = if pick == 0 { t } else { bars[pick - 1] };
                let end_tok = bars.get(pick).copied().unwrap_or(close);
                let (start, end) = (self.tokens[start_tok].at + 1, self.tokens[end_tok].at);
                self.emit(start, end, start_tok + 1, end_tok, depth + 1, out);
            }
            copied = close_at + 1;
            t = close + 1;
        }
        out.push_str(&self.src[copied..to]);
    }

    /// Indexes of the `|` tokens directly inside a group (not inside a nested group).
    fn bars_between(&self, first: usize, last: usize) -> Vec<usize> {
        let mut bars = Vec::new();
        let mut t = first;
        while t < last {
            match (self.tokens[t].kind, self.matches[t]) {
                (Kind::Open, Some(close)) => t = close + 1,
                (Kind::Bar, _) => {
                    bars.push(t);
                    t += 1;
                }
                _ => t += 1,
            }
        }
        bars
    }
}

#[cfg(test)]
mod tests;
