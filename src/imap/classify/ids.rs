//! Recognising our own Message-IDs. `smtp::message_id_for` writes `<{send id as 32 hex
//! digits}@{from domain}>`, so a Message-ID of that shape names the send directly; the poller
//! checks that the send exists. Other systems also write 32 hex digits before the "@" (MD5
//! based ids), so when the context names our From domains, an id must also be at one of them.

use uuid::Uuid;

use crate::domain::SendId;

/// Our Message-ID shape, restricted to our From domains when any are known.
#[derive(Clone, Copy, Debug)]
pub(super) struct OurIds<'a> {
    domains: &'a [String],
}

impl<'a> OurIds<'a> {
    /// `domains` as `message_id_for` writes them; empty accepts any domain.
    pub fn new(domains: &'a [String]) -> Self {
        Self { domains }
    }

    /// The send named by one Message-ID (with or without angle brackets), if it is ours.
    pub fn of(&self, message_id: &str) -> Option<SendId> {
        let id = message_id.trim();
        let id = id.strip_prefix('<').unwrap_or(id);
        let id = id.strip_suffix('>').unwrap_or(id);
        let (local, domain) = id.rsplit_once('@')?;
        let domain_ok = !domain.is_empty()
            && domain.len() <= 253
            && domain
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
            && (self.domains.is_empty()
                || self.domains.iter().any(|d| d.eq_ignore_ascii_case(domain)));
        if local.len() != 32 || !local.bytes().all(|b| b.is_ascii_hexdigit()) || !domain_ok {
            return None;
        }
        Uuid::try_parse(local).ok().map(SendId)
    }

    /// Every send named in a header value holding Message-IDs (In-Reply-To, References,
    /// Message-ID), in order of appearance. Ids are read between angle brackets; a value
    /// without any brackets is read as whitespace-separated tokens.
    pub fn in_value(&self, value: &str) -> Vec<SendId> {
        let mut found = Vec::new();
        let mut rest = value;
        let mut saw_bracket = false;
        while let Some(open) = rest.find('<') {
            saw_bracket = true;
            let after = &rest[open + 1..];
            let Some(close) = after.find('>') else { break };
            found.extend(self.of(&after[..close]));
            rest = &after[close + 1..];
        }
        if !saw_bracket {
            found.extend(value.split_whitespace().filter_map(|t| self.of(t)));
        }
        found
    }

    /// Sends named by `Message-ID:` lines in free text (an inline copy of a returned message).
    pub fn in_message_id_lines(&self, text: &str) -> Vec<SendId> {
        let mut found = Vec::new();
        let mut lines = text.lines().peekable();
        while let Some(line) = lines.next() {
            let trimmed = line.trim_start_matches(['>', ' ', '\t']);
            let Some((name, value)) = trimmed.split_once(':') else {
                continue;
            };
            if !name.trim().eq_ignore_ascii_case("message-id") {
                continue;
            }
            let mut ids = self.in_value(value);
            // A folded header puts the id on the next line.
            if ids.is_empty()
                && value.trim().is_empty()
                && let Some(next) = lines.peek()
            {
                ids = self.in_value(next);
            }
            found.extend(ids);
        }
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::message_id_for;

    const ANY: OurIds<'static> = OurIds { domains: &[] };

    #[test]
    fn our_message_ids_name_their_send() {
        let send = SendId::new();
        let id = message_id_for(send, "Brightlane.io");
        assert_eq!(ANY.of(&id), Some(send));
        assert_eq!(ANY.in_value(&format!("<a@b> {id}\r\n <c@d>")), vec![send]);
        let bare = id.trim_matches(['<', '>']);
        assert_eq!(ANY.in_value(bare), vec![send]);
    }

    #[test]
    fn other_message_ids_are_not_ours() {
        for other in [
            "<CAF=abc123@mail.gmail.com>",
            "<0123456789abcdef0123456789abcde@x.io>",
            "<0123456789abcdef0123456789abcdefg@x.io>",
            "<0123456789abcdef0123456789abcdef@>",
            "<0123456789abcdef0123456789abcdef@bad domain>",
            "",
            "<>",
        ] {
            assert_eq!(ANY.of(other), None, "{other}");
        }
    }

    #[test]
    fn known_domains_reject_look_alike_ids_elsewhere() {
        let domains = vec!["brightlane.io".to_owned()];
        let ours = OurIds::new(&domains);
        let hex = "4d5e6f7a8b9c4d0e8f1a2b3c4d5e6f7a";
        assert!(ours.of(&format!("<{hex}@BRIGHTLANE.io>")).is_some());
        assert_eq!(
            ours.of(&format!("<{hex}@AM6PR10MB2345.prod.outlook.com>")),
            None
        );
        assert!(
            ANY.of(&format!("<{hex}@AM6PR10MB2345.prod.outlook.com>"))
                .is_some()
        );
    }

    #[test]
    fn message_id_lines_are_found_in_inline_copies() {
        let send = SendId::new();
        let text = format!(
            "--- Below this line is a copy of the message.\n\nSubject: x\nMessage-ID:\n {}\n",
            message_id_for(send, "a.io")
        );
        assert_eq!(ANY.in_message_id_lines(&text), vec![send]);
    }
}
