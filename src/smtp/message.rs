//! `OutgoingMessage` and `build`: one cold email as RFC 5322 bytes plus its SMTP envelope, made
//! with lettre's builder (never raw: RUSTSEC-2026-0561), quoted-printable bodies with CRLF line
//! ends only, a deterministic Message-ID and the RFC 2369 / RFC 8058 unsubscribe headers.
//! `build_signed` adds DKIM signatures over the finished bytes (see dkim.rs).

use std::time::SystemTime;

use chrono::{DateTime, Utc};
use lettre::Address;
use lettre::address::Envelope;
use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::{Body, Mailbox, Message, MultiPart, SinglePart};

use super::dkim::DkimSigner;
use super::error::SmtpError;
use super::headers::{
    ListUnsubscribeHeader, ListUnsubscribePostHeader, clean_body_text, clean_header_text,
    has_bare_line_break, validate_message_id, validate_unsubscribe_uri,
};
use super::quoted_printable;
use crate::domain::{EmailAddress, SendId};

/// Everything needed to write one email. Text fields may hold anything (lead data, LLM output):
/// `build` cleans them. `message_id`, `in_reply_to`, `references` and the unsubscribe URIs are
/// ours and are validated.
#[derive(Clone, Debug)]
pub struct OutgoingMessage {
    pub from_name: String,
    pub from: EmailAddress,
    pub to: EmailAddress,
    pub to_name: Option<String>,
    pub subject: String,
    pub text_body: String,
    /// Sent as a multipart/alternative beside the text when present.
    pub html_body: Option<String>,
    /// From [`message_id_for`]: the same send always has the same Message-ID, which is how an
    /// `unknown` send is found again in the Sent folder and how replies are matched.
    pub message_id: String,
    /// The Message-ID of the previous step, to keep follow-ups in one thread.
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub list_unsubscribe: Option<ListUnsubscribe>,
    pub date: DateTime<Utc>,
}

/// Targets for `List-Unsubscribe`. With an https URL, `List-Unsubscribe-Post` is added too, so
/// the URL must accept a one-click POST (RFC 8058).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListUnsubscribe {
    /// `mailto:unsubscribe@example.com?subject=unsubscribe`
    pub mailto: Option<String>,
    /// `https://t.example.com/unsubscribe/<send>/<token>` (see `unsubscribe.rs`).
    pub https_url: Option<String>,
}

/// The Message-ID of a send: `<{send id, 32 hex digits}@{from domain}>`.
pub fn message_id_for(send_id: SendId, from_domain: &str) -> String {
    let domain: String = from_domain
        .trim()
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '.'))
        .collect();
    let domain = if domain.is_empty() {
        "outreachd.invalid"
    } else {
        domain.as_str()
    };
    format!("<{}@{domain}>", send_id.0.simple())
}

/// Builds the envelope (MAIL FROM = From, RCPT TO = To) and the message bytes, unsigned.
pub fn build(message: &OutgoingMessage) -> Result<(Envelope, Vec<u8>), SmtpError> {
    build_signed(message, None)
}

/// `build`, then DKIM-signed by `dkim` when given (`DkimSigners::build` picks the signer of the
/// From domain).
pub fn build_signed(
    message: &OutgoingMessage,
    dkim: Option<&DkimSigner>,
) -> Result<(Envelope, Vec<u8>), SmtpError> {
    validate_message_id("Message-ID", &message.message_id)?;
    let from = mailbox(Some(&message.from_name), &message.from, "From")?;
    let to = mailbox(message.to_name.as_deref(), &message.to, "To")?;
    // Given, not derived: without it lettre parses the From and To headers it has just written
    // back into addresses, the same two addresses we hold here.
    let envelope = Envelope::new(Some(from.email.clone()), vec![to.email.clone()])
        .map_err(|e| SmtpError::Build(e.to_string()))?;
    let mut builder = Message::builder()
        .envelope(envelope)
        .from(from)
        .to(to)
        .subject(clean_header_text(&message.subject))
        .date(SystemTime::from(message.date))
        .message_id(Some(message.message_id.clone()));

    if let Some(parent) = &message.in_reply_to {
        validate_message_id("In-Reply-To", parent)?;
        builder = builder.in_reply_to(parent.clone());
    }
    if !message.references.is_empty() {
        for id in &message.references {
            validate_message_id("References", id)?;
        }
        builder = builder.references(message.references.join(" "));
    }
    if let Some(unsubscribe) = &message.list_unsubscribe {
        let mut targets = Vec::new();
        if let Some(mailto) = &unsubscribe.mailto {
            validate_unsubscribe_uri("mailto:", mailto)?;
            targets.push(format!("<{mailto}>"));
        }
        if let Some(url) = &unsubscribe.https_url {
            validate_unsubscribe_uri("https://", url)?;
            targets.push(format!("<{url}>"));
            builder = builder.header(ListUnsubscribePostHeader);
        }
        if !targets.is_empty() {
            builder = builder.header(ListUnsubscribeHeader(targets.join(", ")));
        }
    }

    let text = text_part(ContentType::TEXT_PLAIN, &message.text_body);
    let built = match &message.html_body {
        Some(html) => builder.multipart(
            MultiPart::alternative()
                .singlepart(text)
                .singlepart(text_part(ContentType::TEXT_HTML, html)),
        ),
        None => builder.singlepart(text),
    }
    .map_err(|e| SmtpError::Build(e.to_string()))?;

    let bytes = match dkim {
        Some(signer) => signer.sign(&built.formatted(), built.envelope())?,
        None => built.formatted(),
    };
    // Defence in depth: the cleaning above and lettre's encoders should make this impossible.
    if has_bare_line_break(&bytes) {
        return Err(SmtpError::Build(
            "the built message contains a bare CR or LF".to_owned(),
        ));
    }
    Ok((built.envelope().clone(), bytes))
}

fn mailbox(
    name: Option<&str>,
    address: &EmailAddress,
    field: &'static str,
) -> Result<Mailbox, SmtpError> {
    let parsed: Address =
        address
            .as_str()
            .parse()
            .map_err(|e: lettre::address::AddressError| {
                SmtpError::invalid(field, address.as_str(), e.to_string())
            })?;
    let name = name.map(clean_header_text).filter(|n| !n.is_empty());
    Ok(Mailbox::new(name, parsed))
}

/// Quoted-printable always: it encodes anything that is not plain printable ASCII, keeps
/// lines under 76 characters, and leaves CRLF as the only line break.
///
/// Encoded here (exactly as lettre would, see quoted_printable.rs) and handed over as
/// pre-encoded: lettre's own path scans the text for an encoding and inserts CRs one by one.
fn text_part(content_type: ContentType, text: &str) -> SinglePart {
    let encoded = quoted_printable::encode_text(&clean_body_text(text));
    let body = Body::dangerous_pre_encoded(encoded, ContentTransferEncoding::QuotedPrintable);
    SinglePart::builder().header(content_type).body(body)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use uuid::Uuid;

    use super::*;
    use crate::smtp::headers::validate_message_id;

    fn sample() -> OutgoingMessage {
        let send = SendId(Uuid::from_u128(0x0190_f5c2_a1b2_7c3d_8e4f_5a6b_7c8d_9e0f));
        OutgoingMessage {
            from_name: "Sam Sender".into(),
            from: EmailAddress::parse("sam@sender.example").unwrap(),
            to: EmailAddress::parse("lea@lead.example").unwrap(),
            to_name: Some("Léa Lead".into()),
            subject: "Quick question".into(),
            text_body: "Hi Léa,\n\nshort note.\n\nSam".into(),
            html_body: None,
            message_id: message_id_for(send, "Sender.Example"),
            in_reply_to: None,
            references: Vec::new(),
            list_unsubscribe: Some(ListUnsubscribe {
                mailto: Some("mailto:unsubscribe@sender.example?subject=unsubscribe".into()),
                https_url: Some("https://t.sender.example/unsubscribe/abc/def".into()),
            }),
            date: Utc.with_ymd_and_hms(2025, 3, 4, 9, 30, 0).unwrap(),
        }
    }

    fn text(bytes: &[u8]) -> String {
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    fn header_block(bytes: &[u8]) -> String {
        let s = text(bytes);
        s.split("\r\n\r\n").next().unwrap().to_owned()
    }

    #[test]
    fn message_ids_are_derived_from_the_send_id_at_the_from_domain() {
        let id = SendId(Uuid::from_u128(1));
        assert_eq!(
            message_id_for(id, "Example.COM"),
            "<00000000000000000000000000000001@example.com>"
        );
        assert_eq!(
            message_id_for(id, "a\r\nb.com"),
            "<00000000000000000000000000000001@ab.com>"
        );
        let odd = message_id_for(id, "ü\u{0}<evil> @x.com");
        assert_eq!(odd, "<00000000000000000000000000000001@evilx.com>");
        assert!(validate_message_id("Message-ID", &odd).is_ok());
        assert_eq!(
            message_id_for(id, "@"),
            "<00000000000000000000000000000001@outreachd.invalid>"
        );
    }

    #[test]
    fn a_built_message_has_every_required_header() {
        let (envelope, bytes) = build(&sample()).unwrap();
        let headers = header_block(&bytes);
        assert!(
            headers.contains("From: \"Sam Sender\" <sam@sender.example>"),
            "{headers}"
        );
        assert!(headers.contains("To: =?utf-8?"), "{headers}");
        assert!(headers.contains("Subject: Quick question"), "{headers}");
        assert!(
            headers.contains("Date: Tue, 04 Mar 2025 09:30:00 +0000"),
            "{headers}"
        );
        assert!(
            headers.contains("Message-ID: <0190f5c2a1b27c3d8e4f5a6b7c8d9e0f@sender.example>"),
            "{headers}"
        );
        assert!(
            headers.contains(
                "List-Unsubscribe: <mailto:unsubscribe@sender.example?subject=unsubscribe>,"
            ),
            "{headers}"
        );
        assert!(
            headers.contains("<https://t.sender.example/unsubscribe/abc/def>"),
            "{headers}"
        );
        assert!(
            headers.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"),
            "{headers}"
        );
        assert!(
            headers.contains("Content-Transfer-Encoding: quoted-printable"),
            "{headers}"
        );
        assert_eq!(
            envelope.from().map(ToString::to_string).as_deref(),
            Some("sam@sender.example")
        );
        assert_eq!(envelope.to().len(), 1);
    }

    #[test]
    fn without_an_https_url_there_is_no_one_click_header() {
        let mut m = sample();
        m.list_unsubscribe = Some(ListUnsubscribe {
            mailto: Some("mailto:u@sender.example".into()),
            https_url: None,
        });
        let headers = header_block(&build(&m).unwrap().1);
        assert!(headers.contains("List-Unsubscribe: <mailto:u@sender.example>"));
        assert!(!headers.contains("List-Unsubscribe-Post"));
    }

    #[test]
    fn injected_line_breaks_never_start_a_header() {
        let mut m = sample();
        m.subject = "Hi\r\nBcc: evil@x.test".into();
        m.from_name = "Sam\r\nX-Evil: 1\nBcc: evil@x.test".into();
        m.to_name = Some("Lea\rBcc: evil@x.test".into());
        let (envelope, bytes) = build(&m).unwrap();
        let headers = header_block(&bytes);
        for line in headers.split("\r\n") {
            assert!(
                !line.starts_with("Bcc") && !line.starts_with("X-Evil"),
                "{line:?} in\n{headers}"
            );
        }
        assert!(
            headers.contains("Subject: Hi Bcc: evil@x.test"),
            "{headers}"
        );
        assert_eq!(envelope.to().len(), 1);
        assert!(!has_bare_line_break(&bytes));
    }

    #[test]
    fn bodies_keep_lone_dots_as_text_with_crlf_line_ends_only() {
        let mut m = sample();
        m.text_body = "one\r\n.\r\nMAIL FROM:<x@y>\n.\nbare\rcr\u{0}".into();
        m.html_body = Some("<p>hi</p>\n.\n".into());
        let (_, bytes) = build(&m).unwrap();
        assert!(!has_bare_line_break(&bytes));
        let body = text(&bytes);
        assert!(body.contains("multipart/alternative"), "{body}");
        assert!(
            body.contains("\r\n.\r\nMAIL FROM:<x@y>\r\n.\r\nbare\r\ncr"),
            "{body}"
        );
    }

    #[test]
    fn malformed_ids_and_uris_of_ours_are_refused() {
        let mut m = sample();
        m.message_id = "no-brackets@x".into();
        assert!(matches!(
            build(&m),
            Err(SmtpError::InvalidField {
                field: "Message-ID",
                ..
            })
        ));
        let mut m = sample();
        m.references = vec!["<a@b>".into(), "<c d@e>".into()];
        assert!(build(&m).is_err());
        let mut m = sample();
        m.list_unsubscribe = Some(ListUnsubscribe {
            mailto: None,
            https_url: Some("https://x>, <https://y".into()),
        });
        assert!(build(&m).is_err());
    }

    #[test]
    fn follow_ups_carry_their_thread() {
        let mut m = sample();
        m.in_reply_to = Some("<first@sender.example>".into());
        m.references = vec![
            "<first@sender.example>".into(),
            "<second@sender.example>".into(),
        ];
        let headers = header_block(&build(&m).unwrap().1);
        assert!(
            headers.contains("In-Reply-To: <first@sender.example>"),
            "{headers}"
        );
        assert!(
            headers.contains("References: <first@sender.example> <second@sender.example>"),
            "{headers}"
        );
    }
}
