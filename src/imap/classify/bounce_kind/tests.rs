//! Hard versus soft on diagnostics from real MTA wording.

use super::*;
use crate::imap::classify::types::BounceCause;
use crate::imap::classify::types::BounceKind::{self, Hard, Soft};

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

fn verdict(status: Option<&str>, diag: &str) -> (BounceKind, BounceCause, bool) {
    let v = decide(status, Some(diag), false);
    (v.kind, v.cause, v.needs_review)
}

#[test]
fn every_recipient_gets_the_cause_its_code_and_words_name() {
    use BounceCause::*;
    for (status, diag, want) in [
        (
            Some("5.1.1"),
            "550 5.1.1 <a@b.de>: Recipient address rejected: User unknown",
            (Hard, Recipient),
        ),
        (Some("5.2.2"), "552 5.2.2 Mailbox full", (Soft, MailboxFull)),
        (
            None,
            "The users mailfolder is over the allowed quota (size). (#5.2.2)",
            (Soft, MailboxFull),
        ),
        (
            Some("5.2.1"),
            "550 5.2.1 The email account that you tried to reach is disabled.",
            (Soft, Inactive),
        ),
        (
            Some("5.7.1"),
            "554 5.7.1 Client host [198.51.100.7] blocked using zen.spamhaus.org",
            (Soft, Policy),
        ),
        (
            Some("5.3.4"),
            "552 5.3.4 Message size exceeds fixed limit",
            (Soft, Policy),
        ),
        (
            Some("4.2.0"),
            "450 4.2.0 Greylisted, please try again later",
            (Soft, Transient),
        ),
        (Some("4.2.2"), "452 4.2.2 Mailbox full", (Soft, MailboxFull)),
        (
            Some("5.0.0"),
            "550 Requested action not taken: mailbox unavailable",
            (Soft, Unknown),
        ),
        (Some("5.4.7"), "Delivery time expired", (Soft, Transient)),
    ] {
        let (kind, cause, _) = verdict(status, diag);
        assert_eq!((kind, cause), want, "{status:?} {diag}");
    }
}

#[test]
fn errors_about_our_sender_pause_the_mailbox_and_never_suppress_the_lead() {
    for (status, diag) in [
        (
            Some("5.1.0"),
            "553 5.1.0 Domain of sender address jonas@brightlane.io does not exist",
        ),
        (
            Some("5.1.8"),
            "553 5.1.8 <jonas@brightlane.io>: Sender address rejected: Domain not found",
        ),
        (Some("5.1.7"), "550 5.1.7 Invalid address"),
        (
            Some("5.7.23"),
            "550 5.7.23 The message was rejected because of Sender Policy Framework violation",
        ),
        (
            Some("5.7.25"),
            "550 5.7.25 [198.51.100.20] The IP address sending this message does not have a PTR record setup",
        ),
        (
            Some("5.7.26"),
            "550 5.7.26 This mail has been blocked because the sender is unauthenticated.",
        ),
        (
            Some("5.7.1"),
            "550 5.7.1 Unauthenticated email from brightlane.io is not accepted due to domain's DMARC policy",
        ),
        (Some("5.7.1"), "550 5.7.1 Email rejected per DKIM policy"),
        (Some("5.5.4"), "550 5.5.4 Sender verify failed"),
        (
            None,
            "You are not a member of this mailing list <kaigi@tokyo-bunka.jp>.",
        ),
        (
            Some("5.4.5"),
            "550 5.4.5 Daily user sending quota exceeded.",
        ),
    ] {
        let (kind, cause, _) = verdict(status, diag);
        assert_eq!(
            (kind, cause),
            (Soft, BounceCause::Sender),
            "{status:?} {diag}"
        );
    }
}

#[test]
fn words_beat_a_generic_or_wrong_code_when_they_are_specific() {
    use BounceCause::*;
    assert_eq!(
        verdict(Some("5.1.1"), "550 5.1.1 <a@b.pt>: mailbox is full"),
        (Soft, MailboxFull, false)
    );
    assert_eq!(
        verdict(
            Some("5.1.1"),
            "550 5.1.1 Message rejected as spam by content filter"
        ),
        (Soft, Policy, false)
    );
    assert_eq!(
        verdict(Some("5.0.0"), "550 Unknown user riko.ito@docomo.ne.jp"),
        (Hard, Recipient, false)
    );
    assert_eq!(
        verdict(
            Some("5.7.1"),
            "550 5.7.1 RESOLVER.RST.NotAuthorized; not authorized"
        ),
        (Soft, Policy, false)
    );
}

#[test]
fn domains_that_do_not_exist_or_take_no_mail_are_hard() {
    for (status, diag) in [
        (Some("5.4.4"), "550 5.4.4 Invalid domain"),
        (
            Some("5.4.4"),
            "554 5.4.4 SMTPSEND.DNS.NonExistentDomain; nonexistent domain",
        ),
        (Some("5.1.10"), "556 5.1.10 Recipient address has null MX"),
        (
            Some("5.1.0"),
            "X-Postfix; Domain altwerk-gmbh.de does not accept mail (nullMX)",
        ),
        (
            None,
            "521 5.3.2 mx.fabrik-ost.de System not accepting network messages",
        ),
        (None, "556 Domain does not accept mail"),
        (None, "As the remote domain doesnt exist."),
        (
            None,
            "The recipient's e-mail address may be misspelled, or the account or domain may not exist.",
        ),
        (None, "The e-mail address you entered couldn't be found."),
        (None, "The recipient name is not recognized"),
    ] {
        let (kind, cause, review) = verdict(status, diag);
        assert_eq!(
            (kind, cause, review),
            (Hard, BounceCause::Recipient, false),
            "{status:?} {diag}"
        );
    }
}

#[test]
fn host_names_in_a_diagnostic_do_not_count_as_words() {
    let diag = "host spamfilter1.mx-relay.kessler-bau.de[203.0.113.14] said: 550 5.1.1 \
        <j@kessler-bau.de>: Recipient address rejected: User unknown in relay recipient table";
    assert_eq!(verdict(Some("5.1.1"), diag).0, Hard);
    let diag = "554 5.7.1 <x@y.de>: Relay access denied";
    assert_eq!(verdict(Some("5.7.1"), diag).1, BounceCause::Policy);
}

#[test]
fn words_pointing_both_ways_are_soft_and_ask_for_review() {
    use BounceCause::*;
    assert_eq!(
        verdict(
            Some("5.1.1"),
            "550 5.1.1 <d@m.it>... User unknown or mailbox full"
        ),
        (Soft, MailboxFull, true)
    );
    assert_eq!(
        verdict(Some("5.2.2"), "552 5.2.2 <d@m.it>: no such user"),
        (Soft, MailboxFull, true)
    );
    assert_eq!(
        verdict(Some("5.2.1"), "550 5.2.1 recipient does not exist"),
        (Soft, Inactive, true)
    );
    // A code alone never asks: only contradictory evidence does.
    assert_eq!(
        verdict(Some("5.1.1"), "550 5.1.1 Message rejected"),
        (Hard, Recipient, false)
    );
}

#[test]
fn the_verdict_names_the_rule_and_what_decided() {
    let v = decide(Some("5.1.1"), Some("550 5.1.1 User unknown"), false);
    assert_eq!(
        (v.rule, v.because.as_str()),
        ("diagnostic-wording", "user unknown")
    );
    let v = decide(Some("5.1.1"), None, false);
    assert_eq!((v.rule, v.because.as_str()), ("status-code", "5.1.1"));
    let v = decide(Some("5.1.1"), Some("550 5.1.1 mailbox full"), true);
    assert_eq!(v.kind, Soft);
    assert!(v.explain().contains("mailbox full"));
    let v = decide(None, None, false);
    assert_eq!((v.rule, v.cause), ("no-evidence", BounceCause::Unknown));
}

#[test]
fn delay_reports_are_recognised_by_their_words() {
    assert!(is_delay_report(
        "A message that you sent has not yet been delivered to one or more of its recipients"
    ));
    assert!(!is_delay_report(
        "This is a permanent error. The following address(es) failed:"
    ));
    assert_eq!(
        report_cause("The user(s) account is disabled.").map(|c| c.0),
        Some(BounceCause::Inactive)
    );
}
