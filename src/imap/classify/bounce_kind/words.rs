//! The wording of delivery failures, by what it says the failure is about. Phrases are folded
//! (see `text::fold`) and matched at a word start in a diagnostic whose host names, addresses
//! and links were blanked first (`text::blank_hosts`), so "relay.example.com said: 550 5.1.1
//! User unknown" reads as an unknown user, not as a relay refusal.

use super::super::text::contains_at_word_start;
use super::super::types::BounceCause;

/// Our side: the sender address or domain, its authentication (SPF, DKIM, DMARC), our server's
/// name or reverse DNS, our sending limits, or our membership of a list. Checked before the
/// hard wording because "Domain of sender address … does not exist" is about us.
#[rustfmt::skip]
pub(super) const SENDER: &[&str] = &[
    "sender address rejected", "sender address does not exist", "domain of sender address",
    "sender domain", "sender's domain", "senders domain", "domain of sender", "sender rejected",
    "sender verify failed", "sender verification", "unverified sender", "sender unknown",
    "unknown sender", "invalid sender", "sender is unauthenticated", "sender not allowed",
    "sender denied", "sender blocked", "bad sender", "from address", "envelope sender",
    "envelope from", "return path", "return-path", "sending from", "your domain",
    "in reply to mail from", "after mail from", "dmarc", "spf", "dkim", "sender policy framework",
    "domainkeys", "unauthenticated", "not authenticated", "authentication required",
    "authentication failed", "failed authentication", "must be authenticated", "ptr",
    "reverse dns", "reverse lookup", "rdns", "forward dns", "helo", "ehlo",
    "sending quota", "sending limit", "daily user sending", "not a member", "not member",
    "are not member", "only members", "members only", "non-member", "nonmember",
];

/// The mailbox exists but is full.
#[rustfmt::skip]
pub(super) const FULL: &[&str] = &[
    "mailbox full", "mailbox is full", "mailbox quota", "over quota", "overquota", "quota",
    "exceeded storage", "insufficient storage", "insufficient system storage", "full mailbox",
    "mailfolder is full", "mailbox size limit", "storage limit", "their mailbox is full",
    "quotaexceeded", "postfach voll", "postfach ist voll", "speicherplatz", "boite pleine",
    "boite aux lettres pleine", "buzon lleno", "casella piena", "brevlada full",
    "caixa cheia", "mailbox vol",
];

/// The account exists but is disabled, suspended or inactive.
#[rustfmt::skip]
pub(super) const INACTIVE: &[&str] = &[
    "disabled", "suspended", "inactive", "deactivated", "locked", "on hold", "frozen",
    "account expired", "no longer active", "temporarily limited", "not active",
];

/// Spam, content, blocklists, reputation, relaying and other policy refusals.
#[rustfmt::skip]
pub(super) const POLICY: &[&str] = &[
    "spam", "unsolicited", "blocked", "block list", "blocklist", "blacklist", "denylist",
    "dnsbl", "rbl", "barracuda", "reputation", "policy", "policies", "prohibited", "virus",
    "malware", "phish", "content rejected", "message content", "message too large",
    "message size", "size exceeds", "too big", "not authorized", "not permitted",
    "relay access denied", "relaying denied", "relay denied", "relay not permitted",
    "unable to relay", "relaying not allowed", "not permitted to relay", "we do not relay",
    "tls", "starttls", "rejected due to", "rejected for", "filtered",
    "bulk email", "bulk mail", "suspicious", "not accepted due", "restricted",
    "accept mail from", "accept email from", "accept messages from",
];

/// Delays, greylisting, rates and other passing conditions.
#[rustfmt::skip]
pub(super) const TRANSIENT: &[&str] = &[
    "greylist", "graylist", "try again later", "try later", "temporar", "deferred", "too many",
    "rate limit", "ratelimit", "unusual rate", "rate that prevents", "receiving mail at a rate",
    "too quickly", "too fast", "throttl", "timeout", "timed out", "connection refused",
    "no route to host", "network is unreachable", "retry time", "not yet been delivered",
    "will retry", "will be retried", "still trying", "maintenance", "excessive load",
    "resources temporarily", "not responding", "lost connection", "connection reset",
    "was not delivered within",
];

/// The address does not exist.
#[rustfmt::skip]
pub(super) const RECIPIENT: &[&str] = &[
    "user unknown", "unknown user", "unknown recipient", "recipient unknown",
    "unknown local part", "unknown address", "address unknown", "unknown mailbox",
    "mailbox unknown", "no such user", "no such recipient", "no such mailbox", "no such address",
    "no such person", "no mailbox here by that name", "no mailbox by that name",
    "mailbox not found", "mailbox does not exist", "mailbox doesn't exist", "invalid mailbox",
    "invalid recipient", "invalid address", "recipient not found", "recipient does not exist",
    "user not found", "user does not exist", "user doesn't exist", "address does not exist",
    "address doesn't exist", "account does not exist", "account doesn't exist",
    "does not exist", "doesn't exist", "doesnt exist", "may not exist", "user doesn't have a",
    "user doesnt have a", "address couldn't be found", "address could not be found", "you entered couldn't be found",
    "you entered could not be found",
    "wasn't found at", "was not found at", "not found in the recipient's e-mail system",
    "not found in the recipient's email system", "recipient name is not recognized",
    "resolver.adr.recipnotfound", "resolver.adr.recipientnotfound",
    "resolver.adr.exrecipnotfound", "recipnotfound", "recipient address rejected: access denied",
    "no longer accepts mail", "no longer valid", "no longer exists", "not a valid recipient",
    "not a valid mailbox", "not listed in domino directory", "not listed in public name",
    "addressee unknown", "bad destination mailbox", "mailbox unavailable or does not exist",
    "empfanger unbekannt", "benutzer unbekannt", "unbekannter empfanger",
    "utilisateur inconnu", "destinataire inconnu", "adresse inconnue", "usuario desconocido",
    "destinatario desconocido", "no existe", "utente sconosciuto", "utente inesistente",
    "onbekende gebruiker", "onbekende ontvanger", "okand mottagare", "okand anvandare",
    "usuario inexistente", "usuario desconhecido",
];

/// The domain does not exist or accepts no mail (RFC 7505 null MX, RFC 7504 521/556).
#[rustfmt::skip]
pub(super) const DOMAIN: &[&str] = &[
    "host or domain name not found", "domain not found", "no such domain",
    "domain does not exist", "domain doesnt exist", "domain doesn't exist",
    "domain name not found", "unrouteable address", "unroutable address", "host unknown",
    "unknown host", "nxdomain", "null mx", "nullmx", "does not accept mail",
    "does not accept email", "accepts no mail", "not accepting network messages",
    "invalid domain", "domain is invalid", "nonexistent domain", "non-existent domain",
    "nonexistentdomain", "domain name in the e-mail address is incorrect",
    "domain name in the email address is incorrect", "destination e-mail system is unknown",
    "unknown domain", "domain unknown", "no mx record", "no mail exchanger",
];

/// Markers of a report that is only a warning: the message is still queued.
#[rustfmt::skip]
pub(super) const DELAY_REPORT: &[&str] = &[
    "has not yet been delivered", "has not been delivered yet", "will continue trying",
    "will keep trying", "still trying to deliver", "this is a warning message only",
    "you do not need to resend", "no action is required on your part", "delivery is delayed",
    "delivery has been delayed", "will be retried",
];

/// The first phrase of `phrases` found at a word start of the folded, blanked `text`.
pub(super) fn find(text: &str, phrases: &[&'static str]) -> Option<&'static str> {
    phrases
        .iter()
        .copied()
        .find(|p| contains_at_word_start(text, p))
}

/// A soft reading of the wording, strongest first: full, inactive, policy, passing.
pub(super) fn soft_reading(text: &str) -> Option<(BounceCause, &'static str)> {
    [
        (BounceCause::MailboxFull, FULL),
        (BounceCause::Inactive, INACTIVE),
        (BounceCause::Policy, POLICY),
        (BounceCause::Transient, TRANSIENT),
    ]
    .into_iter()
    .find_map(|(cause, phrases)| find(text, phrases).map(|p| (cause, p)))
}

/// A hard reading of the wording: the address or its domain does not exist.
pub(super) fn hard_reading(text: &str) -> Option<&'static str> {
    find(text, RECIPIENT).or_else(|| find(text, DOMAIN))
}
