//! Hard versus soft on diagnostics from real MTA wording.

use super::*;
use crate::imap::classify::types::BounceKind::{Hard, Soft};

#[test]
fn missing_addresses_and_domains_are_hard() {
    for (status, diag) in [
        (Some("5.1.1"), None),
        (
            Some("5.1.1"),
            Some(
                "smtp; 550 5.1.1 <a@b.de>: Recipient address rejected: User unknown in virtual mailbox table",
            ),
        ),
        (
            Some("5.1.10"),
            Some(
                "smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
            ),
        ),
        (
            Some("5.4.4"),
            Some(
                "X-Postfix; Host or domain name not found. Name service error for name=nope.example type=A: Host not found",
            ),
        ),
        (
            None,
            Some(
                "554 delivery error: dd This user doesn't have a yahoo.com account (a@yahoo.com) [0]",
            ),
        ),
        (None, Some("Sorry, no mailbox here by that name. (#5.1.1)")),
        (Some("5.0.0"), Some("Unrouteable address")),
        (
            Some("5.4.1"),
            Some("550 5.4.1 Recipient address rejected: Access denied. AS(201806281)"),
        ),
    ] {
        assert_eq!(
            decide(status, diag, false).kind,
            Hard,
            "{status:?} {diag:?}"
        );
    }
}

#[test]
fn full_mailboxes_blocks_policies_and_delays_are_soft() {
    for (status, diag, delayed) in [
        (Some("5.2.2"), Some("552 5.2.2 Mailbox full"), false),
        (
            Some("4.2.0"),
            Some("450 4.2.0 Greylisted, please try again later"),
            true,
        ),
        (
            Some("5.7.1"),
            Some(
                "554 5.7.1 Service unavailable; Client host [198.51.100.7] blocked using zen.spamhaus.org",
            ),
            false,
        ),
        (
            Some("5.1.1"),
            Some("550 5.1.1 Message blocked by policy"),
            false,
        ),
        (
            Some("5.1.8"),
            Some("553 5.1.8 <j@brightlane.io>: Sender address rejected: Domain not found"),
            false,
        ),
        (
            Some("5.2.1"),
            Some("550-5.2.1 The email account that you tried to reach is disabled."),
            false,
        ),
        (
            Some("5.0.0"),
            Some("550 Requested action not taken: mailbox unavailable"),
            false,
        ),
        (None, None, false),
        (
            Some("4.4.1"),
            Some("connect to mx.example.com[203.0.113.9]:25: Connection timed out"),
            true,
        ),
    ] {
        assert_eq!(
            decide(status, diag, delayed).kind,
            Soft,
            "{status:?} {diag:?}"
        );
    }
}

#[test]
fn statuses_are_read_from_diagnostics_but_not_from_ip_addresses() {
    assert_eq!(
        status_in("said: 550 5.1.1 <x@y.z>: user unknown").as_deref(),
        Some("5.1.1")
    );
    assert_eq!(
        status_in("#550 5.1.1 RESOLVER.ADR.RecipNotFound; not found ##").as_deref(),
        Some("5.1.1")
    );
    assert_eq!(status_in("550-5.1.10 x").as_deref(), Some("5.1.10"));
    assert_eq!(status_in("554: delivery error").as_deref(), Some("5.0.0"));
    assert_eq!(status_in("host 10.5.1.1 port 2525 said nothing"), None);
    assert_eq!(status_in("host [5.1.1.9] refused"), None);
    assert!(has_code("    (reason: 550 5.1.1 <x@y.z>... User unknown)"));
    assert!(!has_code("Giving up on 192.0.2.45."));
}
