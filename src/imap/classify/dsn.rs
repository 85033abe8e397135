//! RFC 3464 `message/delivery-status` bodies (and the same field syntax in RFC 5965
//! `message/feedback-report`): blocks of `Name: value` fields separated by blank lines, the
//! first per message, then one per recipient. mail-parser hands these parts back as bytes.

use super::inbound::MAX_TEXT_BYTES;
use super::text::collapse_ws;
use crate::domain::EmailAddress;

/// A block of fields: lower-cased names, unfolded values.
pub(super) type Fields = Vec<(String, String)>;

const MAX_BLOCKS: usize = 256;

/// One per-recipient block of a DSN.
#[derive(Debug, Default, PartialEq, Eq)]
pub(super) struct DsnRecipient {
    /// From Final-Recipient, else Original-Recipient, when it is a valid address.
    pub email: Option<EmailAddress>,
    /// "failed", "delayed", "delivered", "relayed", "expanded" (lower-cased), if present.
    pub action: Option<String>,
    /// The Status field when it is an RFC 3463 code.
    pub status: Option<String>,
    /// Diagnostic-Code without its type ("smtp;"), unfolded.
    pub diagnostic: Option<String>,
}

impl DsnRecipient {
    /// Failed, or delayed (a warning: soft), or an unknown action with a 4/5 status.
    pub fn is_failure(&self) -> bool {
        match self.action.as_deref() {
            Some("failed" | "delayed") => true,
            Some(_) => false,
            None => self
                .status
                .as_deref()
                .is_some_and(|s| s.starts_with(['4', '5'])),
        }
    }

    pub fn is_delay(&self) -> bool {
        self.action.as_deref() == Some("delayed")
    }
}

/// Field blocks of a DSN or feedback report body.
pub(super) fn field_blocks(bytes: &[u8]) -> Vec<Fields> {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(MAX_TEXT_BYTES)]);
    let mut blocks: Vec<Fields> = Vec::new();
    let mut current: Fields = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !current.is_empty() {
                blocks.push(std::mem::take(&mut current));
            }
            if blocks.len() >= MAX_BLOCKS {
                break;
            }
        } else if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = current.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
        } else if let Some((name, value)) = line.split_once(':') {
            current.push((name.trim().to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    if !current.is_empty() {
        blocks.push(current);
    }
    blocks
}

/// The per-recipient blocks of a `message/delivery-status` body. A block holding several
/// Final-Recipient fields (a generator that forgot the blank lines) is split at each.
pub(super) fn recipients(bytes: &[u8]) -> Vec<DsnRecipient> {
    let mut out = Vec::new();
    for block in field_blocks(bytes) {
        let mut current: Option<DsnRecipient> = None;
        for (name, value) in block {
            if name == "final-recipient"
                && current
                    .as_ref()
                    .is_some_and(|r| r.email.is_some() || r.action.is_some())
            {
                out.extend(current.take());
            }
            let rec = current.get_or_insert_with(DsnRecipient::default);
            match name.as_str() {
                "final-recipient" => rec.email = address(&value).or(rec.email.take()),
                "original-recipient" if rec.email.is_none() => rec.email = address(&value),
                "action" => {
                    rec.action = value.split_whitespace().next().map(str::to_ascii_lowercase)
                }
                "status" => rec.status = status(&value),
                "diagnostic-code" => rec.diagnostic = Some(typed_value(&value)),
                _ => {}
            }
        }
        out.extend(
            current.filter(|r| r.email.is_some() || r.action.is_some() || r.status.is_some()),
        );
    }
    out
}

/// The value of a field, first block that has it.
pub(super) fn field<'a>(blocks: &'a [Fields], name: &str) -> Option<&'a str> {
    blocks
        .iter()
        .flatten()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// An address from "rfc822; <a@b.c>" (the type is optional; brackets are stripped).
pub(super) fn address(value: &str) -> Option<EmailAddress> {
    let raw = typed_value(value);
    let raw = raw.trim().trim_start_matches('<').trim_end_matches('>');
    EmailAddress::parse(raw).ok()
}

fn typed_value(value: &str) -> String {
    let v = match value.split_once(';') {
        Some((kind, rest)) if !kind.contains(char::is_whitespace) && kind.len() <= 16 => rest,
        _ => value,
    };
    collapse_ws(v)
}

fn status(value: &str) -> Option<String> {
    let code = value.split_whitespace().next()?;
    let parts: Vec<&str> = code.split('.').collect();
    let ok = parts.len() == 3
        && matches!(parts[0], "2" | "4" | "5")
        && parts[1..]
            .iter()
            .all(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    ok.then(|| code.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DSN: &str = "Reporting-MTA: dns; mx.example.net\nArrival-Date: Mon, 4 Jan 2027\n\n\
        Final-Recipient: rfc822; lena@beispiel.de\nOriginal-Recipient: rfc822;lena@beispiel.de\n\
        Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 <lena@beispiel.de>:\n\
        \x20   Recipient address rejected: User unknown\n\n\
        Final-Recipient: RFC822; <ok@beispiel.de>\nAction: delivered\nStatus: 2.0.0\n";

    #[test]
    fn per_recipient_blocks_are_parsed_and_unfolded() {
        let recs = recipients(DSN.as_bytes());
        assert_eq!(recs.len(), 2);
        assert_eq!(
            recs[0].email.as_ref().map(|e| e.as_str()),
            Some("lena@beispiel.de")
        );
        assert_eq!(recs[0].status.as_deref(), Some("5.1.1"));
        assert_eq!(
            recs[0].diagnostic.as_deref(),
            Some("550 5.1.1 <lena@beispiel.de>: Recipient address rejected: User unknown")
        );
        assert!(recs[0].is_failure());
        assert!(!recs[1].is_failure());
    }

    #[test]
    fn recipients_without_blank_lines_between_them_are_split() {
        let text = "Final-Recipient: rfc822; a@x.de\nAction: failed\nStatus: 5.1.1\nFinal-Recipient: rfc822; b@x.de\nAction: delayed\nStatus: 4.4.1\n";
        let recs = recipients(text.as_bytes());
        assert_eq!(recs.len(), 2);
        assert!(recs[1].is_delay());
    }

    #[test]
    fn garbage_yields_nothing() {
        assert!(recipients(b"\x00\xff\xfe nonsense\n\n::::\n").is_empty());
        assert_eq!(status("5.1"), None);
        assert_eq!(status("5.1.1 (bad mailbox)").as_deref(), Some("5.1.1"));
    }
}
