//! SMTP against real servers: Postfix `smtp-sink` processes on loopback, one per test, with
//! fault options. Counts what the server received; no fakes.

#[path = "../support/mod.rs"]
mod support;
use support::{certs, sink};

mod delivery;
mod dkim;
mod faults;
mod pipelining;
mod proxy;
mod tls;

use std::time::Duration;

use chrono::Utc;
use outreachd::domain::{EmailAddress, SendId, SmtpSecurity};
use outreachd::smtp::{
    Envelope, ListUnsubscribe, OutgoingMessage, SmtpEndpoint, Timeouts, build, message_id_for,
};
use secrecy::SecretString;

/// A plain, unauthenticated endpoint on a loopback port.
pub fn endpoint(port: u16) -> SmtpEndpoint {
    SmtpEndpoint {
        host: "127.0.0.1".to_owned(),
        port,
        security: SmtpSecurity::Plain,
        username: String::new(),
        password: SecretString::from(""),
        helo_name: "outreachd.test".to_owned(),
        extra_root_pem: None,
    }
}

/// Short limits so a broken peer fails a test in seconds, not minutes.
pub fn timeouts() -> Timeouts {
    Timeouts {
        connect: Duration::from_secs(5),
        command: Duration::from_secs(5),
        data: Duration::from_secs(5),
    }
}

pub fn message(n: usize) -> OutgoingMessage {
    let send = SendId::new();
    OutgoingMessage {
        from_name: "Sam Sender".to_owned(),
        from: EmailAddress::parse("sam@sender.test").expect("from"),
        to: EmailAddress::parse(&format!("lead{n}@lead.test")).expect("to"),
        to_name: Some(format!("Lead {n}")),
        subject: format!("Quick question #{n}"),
        text_body: format!("Hi Lead {n},\n\na short note.\n\nSam"),
        html_body: None,
        message_id: message_id_for(send, "sender.test"),
        in_reply_to: None,
        references: Vec::new(),
        list_unsubscribe: Some(ListUnsubscribe {
            mailto: Some("mailto:unsubscribe@sender.test".to_owned()),
            https_url: Some(format!(
                "https://t.sender.test/unsubscribe/{}/token",
                send.0.simple()
            )),
        }),
        date: Utc::now(),
    }
}

pub fn built(m: &OutgoingMessage) -> (Envelope, Vec<u8>) {
    build(m).expect("message builds")
}

/// The part of a smtp-sink dump after its own headers (which end with its 3-line Received:).
pub fn received_message(dump: &str) -> &str {
    let after_received = dump
        .find("\nReceived: ")
        .expect("smtp-sink Received header");
    let rest = &dump[after_received + 1..];
    // Received spans three lines: "Received: from ...", "\tby ...", "\ttimestamp".
    let mut offset = 0;
    for _ in 0..3 {
        offset += rest[offset..].find('\n').expect("Received line") + 1;
    }
    &rest[offset..]
}
