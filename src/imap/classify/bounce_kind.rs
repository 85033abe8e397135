//! Hard or soft, from a recipient's status code and the remote server's words.
//!
//! Soft wins every doubt, because a false hard bounce suppresses a good lead:
//! 1. A delay, or any 4.x.x / 4xx, is soft.
//! 2. Wording about quota, greylisting, rates, spam, blocklists, reputation, policy, content,
//!    authentication (SPF/DKIM/DMARC), our own sender address, or a disabled or suspended
//!    account is soft, whatever the code says (a "5.1.1" with "blocked" is a policy block).
//! 3. Status 5.1.1 (no such mailbox), 5.1.2 (no such domain), 5.1.3 (malformed address),
//!    5.1.6 (moved, no forwarding) and 5.1.10 (null MX; Exchange's RecipientNotFound) are hard.
//! 4. Otherwise a permanent failure worded as "user unknown", "no such user", "does not
//!    exist", "domain not found", "unrouteable address" (and their translations) is hard.
//! 5. Anything else is soft.

use super::text::{contains_at_word_start, fold};
use super::types::{BounceCause, BounceKind};

#[rustfmt::skip]
const SOFT: &[&str] = &[

    // Mailbox full.

    "mailbox full", "mailbox is full", "mailbox quota", "over quota", "overquota", "quota",

    "exceeded storage", "insufficient storage", "insufficient system storage", "full mailbox",

    "postfach voll", "postfach ist voll", "speicherplatz", "boite pleine", "buzon lleno",

    "casella piena", "brevlada full",

    // Temporary conditions and rates.

    "greylist", "graylist", "try again later", "try later", "temporar", "deferred", "too many",

    "rate limit", "ratelimit", "unusual rate", "rate that prevents", "receiving mail at a rate",

    "too quickly", "too fast", "throttl", "timeout", "timed out", "connection refused",

    // Spam, blocklists, reputation, policy, content.

    "spam", "unsolicited", "blocked", "block list", "blocklist", "blacklist", "denylist", "dnsbl",

    "rbl", "barracuda", "reputation", "policy", "policies", "prohibited", "virus", "malware",

    "phish", "content rejected", "message content", "message too large", "message size",

    "size exceeds", "too big",

    // Our side: authentication, sender identity, relaying, transport.

    "dmarc", "spf", "dkim", "authentication", "not authorized", "unauthenticated",

    "sender address rejected", "sender domain", "sender rejected", "client host rejected", "helo",

    "ptr", "reverse dns", "rdns", "tls", "starttls", "relay", "relaying",

    // Accounts that exist but do not take mail now.

    "disabled", "suspended", "inactive", "deactivated", "locked", "on hold", "frozen",
];

#[rustfmt::skip]
const HARD: &[&str] = &[

    // The address does not exist.

    "user unknown", "unknown user", "unknown recipient", "recipient unknown", "unknown local part",

    "unknown address", "address unknown", "unknown mailbox", "mailbox unknown", "no such user",

    "no such recipient", "no such mailbox", "no such address", "no such person",

    "no mailbox here by that name", "no mailbox by that name", "mailbox not found",

    "mailbox does not exist", "mailbox doesn't exist", "invalid mailbox", "invalid recipient",

    "recipient not found", "recipient does not exist", "user not found", "user does not exist",

    "user doesn't exist", "address does not exist", "address doesn't exist", "does not exist",

    "user doesn't have a", "user doesnt have a", "address couldn't be found",

    "address could not be found", "wasn't found at", "was not found at",

    "resolver.adr.recipnotfound", "resolver.adr.recipientnotfound", "resolver.adr.exrecipnotfound",

    "recipient address rejected: access denied", "no longer accepts mail", "no longer valid",

    "no longer exists", "not listed in domino directory", "not listed in public name",
    "empfanger unbekannt", "benutzer unbekannt", "unbekannter empfanger",

    "utilisateur inconnu", "destinataire inconnu", "adresse inconnue", "usuario desconocido",

    "destinatario desconocido", "no existe", "utente sconosciuto", "utente inesistente",

    "onbekende gebruiker", "onbekende ontvanger", "okand mottagare", "okand anvandare",

    "usuario inexistente", "usuario desconhecido",

    // The domain does not exist.

    "host or domain name not found", "domain not found", "no such domain", "domain does not exist",

    "domain name not found", "unrouteable address", "unroutable address", "host unknown",

    "unknown host", "nxdomain", "null mx", "does not accept mail",
];

/// Statuses that by themselves say the address or domain does not exist.
const HARD_STATUSES: &[&str] = &["5.1.1", "5.1.2", "5.1.3", "5.1.6", "5.1.10"];

/// Hard or soft for one recipient, and what it is about (see the module comment for the order
/// of the rules).
pub(super) fn decide(
    status: Option<&str>,
    diagnostic: Option<&str>,
    delayed: bool,
) -> (BounceKind, BounceCause) {
    let text = fold(diagnostic.unwrap_or_default());
    let derived = status_in(&text);
    let status = status.map(str::to_owned).or(derived.clone());
    let class = status.as_deref().and_then(|s| s.chars().next());
    if delayed || class == Some('4') || class == Some('2') {
        return (BounceKind::Soft, BounceCause::Transient);
    }
    if matches_any(&text, SOFT) {
        return (BounceKind::Soft, BounceCause::Unknown);
    }
    let hard_status = [status.as_deref(), derived.as_deref()]
        .into_iter()
        .flatten()
        .any(|s| HARD_STATUSES.contains(&s));
    if hard_status || matches_any(&text, HARD) {
        return (BounceKind::Hard, BounceCause::Recipient);
    }
    (BounceKind::Soft, BounceCause::Unknown)
}

/// Whether `text` (any case) reads like a delivery failure: a hard or soft phrase.
pub(super) fn mentions_failure(text: &str) -> bool {
    let folded = fold(text);
    matches_any(&folded, HARD) || matches_any(&folded, SOFT)
}

fn matches_any(folded: &str, phrases: &[&str]) -> bool {
    phrases.iter().any(|p| contains_at_word_start(folded, p))
}

/// The status a diagnostic states: its first RFC 3463 code ("5.1.1", also "#5.1.1"), else its
/// basic SMTP code as "5.0.0" / "4.0.0".
pub(super) fn status_in(text: &str) -> Option<String> {
    enhanced_in(text).or_else(|| basic_code_in(text).map(|c| format!("{}.0.0", c / 100)))
}

/// Whether a line carries an SMTP reply code or enhanced status.
pub(super) fn has_code(line: &str) -> bool {
    enhanced_in(line).is_some() || basic_code_in(line).is_some()
}

fn boundary_before(text: &str, at: usize) -> bool {
    text[..at].chars().next_back().is_none_or(|c| {
        c.is_whitespace()
            || matches!(
                c,
                '#' | '(' | '\'' | '"' | ':' | '[' | ';' | '<' | '=' | '-'
            )
    })
}

fn enhanced_in(text: &str) -> Option<String> {
    text.bytes()
        .enumerate()
        .filter(|(at, b)| matches!(b, b'2' | b'4' | b'5') && boundary_before(text, *at))
        .find_map(|(at, _)| enhanced_at(&text[at..]))
}

/// "5.1.1" at the start of `s`, not as part of a longer dotted number (an IP address).
fn enhanced_at(s: &str) -> Option<String> {
    let b = s.as_bytes();
    if b.get(1) != Some(&b'.') {
        return None;
    }
    let subject = digits_len(&b[2..]);
    let dot = 2 + subject;
    if !(1..=3).contains(&subject) || b.get(dot) != Some(&b'.') {
        return None;
    }
    let detail = digits_len(&b[dot + 1..]);
    let end = dot + 1 + detail;
    let longer = b.get(end) == Some(&b'.') && b.get(end + 1).is_some_and(u8::is_ascii_digit);
    ((1..=3).contains(&detail) && !longer).then(|| s[..end].to_owned())
}

fn digits_len(b: &[u8]) -> usize {
    b.iter().take_while(|c| c.is_ascii_digit()).count()
}

fn basic_code_in(text: &str) -> Option<u16> {
    let bytes = text.as_bytes();
    for at in 0..bytes.len().saturating_sub(2) {
        let code = &bytes[at..at + 3];
        let valid = matches!(code[0], b'4' | b'5')
            && matches!(code[1], b'0'..=b'5')
            && code[2].is_ascii_digit();
        if !valid || !boundary_before(text, at) {
            continue;
        }
        if bytes
            .get(at + 3)
            .is_none_or(|c| matches!(c, b' ' | b'-' | b':' | b'\t'))
        {
            return text[at..at + 3].parse().ok();
        }
    }
    None
}

#[cfg(test)]
mod tests;
