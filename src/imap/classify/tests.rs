//! End-to-end unit tests of `classify` on small inline messages; the golden corpus in
//! `tests/data/inbound/` covers real-world shapes.

use std::time::{Duration, Instant};

use super::*;
use crate::domain::{EmailAddress, SendId};
use crate::smtp::message_id_for;

fn send() -> SendId {
    SendId(uuid::Uuid::from_u128(
        0x0190_f3a2_7c4e_7b1a_9d2e_5f6a_7b8c_9d01,
    ))
}

fn reply_from(from: &str, subject: &str, extra_headers: &str, body: &str) -> String {
    format!(
        "From: {from}\r\nTo: jonas@brightlane.io\r\nSubject: {subject}\r\nDate: Mon, 4 Jan 2027 09:00:00 +0100\r\n{extra_headers}Message-ID: <abc@mail.example>\r\n\r\n{body}\r\n"
    )
}

#[test]
fn empty_and_headerless_input_is_a_typed_error() {
    let ctx = ClassifyContext::without_leads();
    assert_eq!(classify(b"", &ctx), Err(ClassifyError::Empty));
    assert_eq!(classify(b" \r\n\t", &ctx), Err(ClassifyError::Empty));
    assert!(classify(b"just some words without a colon\n", &ctx).is_err());
}

#[test]
fn in_reply_to_our_message_id_is_a_reply_to_that_send() {
    let irt = format!(
        "In-Reply-To: {}\r\n",
        message_id_for(send(), "brightlane.io")
    );
    let raw = reply_from(
        "Lena <lena@beispiel.de>",
        "AW: Kurze Frage",
        &irt,
        "Gerne, rufen Sie an.",
    );
    let got = classify(raw.as_bytes(), &ClassifyContext::without_leads()).unwrap();
    assert_eq!(
        got,
        Classification::Reply {
            send_id: Some(send()),
            lead_email: EmailAddress::parse("lena@beispiel.de").ok()
        }
    );
}

#[test]
fn same_message_with_cr_only_line_endings_classifies_the_same() {
    let irt = format!(
        "In-Reply-To: {}\r\n",
        message_id_for(send(), "brightlane.io")
    );
    let crlf = reply_from("lena@beispiel.de", "Re: x", &irt, "Yes.");
    let cr = crlf.replace("\r\n", "\r");
    let lf = crlf.replace("\r\n", "\n");
    let ctx = ClassifyContext::without_leads();
    let want = classify(crlf.as_bytes(), &ctx).unwrap();
    assert!(matches!(
        want,
        Classification::Reply {
            send_id: Some(_),
            ..
        }
    ));
    assert_eq!(classify(cr.as_bytes(), &ctx).unwrap(), want);
    assert_eq!(classify(lf.as_bytes(), &ctx).unwrap(), want);
}

#[test]
fn fallback_match_needs_both_a_lead_sender_and_our_subject() {
    let mut leads = LeadSet::new();
    leads.add_lead(&EmailAddress::parse("Erik@Nordhamn.se").unwrap());
    leads.add_subject("Snabb fråga om er onboarding");
    let ctx = ClassifyContext::new(&leads);
    let ours = reply_from(
        "erik@nordhamn.se",
        "SV: Snabb fråga om er onboarding",
        "",
        "Låter bra.",
    );
    assert!(matches!(
        classify(ours.as_bytes(), &ctx).unwrap(),
        Classification::Reply {
            send_id: None,
            lead_email: Some(_)
        }
    ));
    let stranger = reply_from(
        "anna@nordhamn.se",
        "SV: Snabb fråga om er onboarding",
        "",
        "Hej",
    );
    assert_eq!(
        classify(stranger.as_bytes(), &ctx).unwrap(),
        Classification::Unrelated
    );
    let other_subject = reply_from("erik@nordhamn.se", "Lunch?", "", "Hej");
    assert_eq!(
        classify(other_subject.as_bytes(), &ctx).unwrap(),
        Classification::Unrelated
    );
}

#[test]
fn a_copy_of_our_own_send_is_unrelated() {
    let raw = format!(
        "From: jonas@brightlane.io\nTo: lena@beispiel.de\nSubject: Quick question\nMessage-ID: {}\n\nHi Lena, unsubscribe here.\n",
        message_id_for(send(), "brightlane.io")
    );
    let got = classify(raw.as_bytes(), &ClassifyContext::without_leads()).unwrap();
    assert_eq!(got, Classification::Unrelated);
}

#[test]
fn pathological_inputs_finish_quickly() {
    let ctx = ClassifyContext::without_leads();
    let nested = "Content-Type: multipart/mixed; boundary=b\n\n--b\n".repeat(20_000);
    let many_brackets = format!("From: a@b.de\nReferences: {}\n\nx", "<".repeat(500_000));
    let long_line = format!(
        "Subject: {}\n\n{}",
        "re: ".repeat(100_000),
        "stop ".repeat(200_000)
    );
    let huge = vec![b'a'; MAX_INPUT_BYTES * 2];
    let addresses: String = (0..20_000)
        .map(|i| format!("<user{i}@example.de>: 550 5.1.1 user unknown\n"))
        .collect();
    let many_recipients =
        format!("From: MAILER-DAEMON@mx.example.de\nSubject: failure notice\n\n{addresses}");
    let many_triggers = format!(
        "Subject: Out of office\nAuto-Submitted: auto-replied\n\n{}",
        "bis ab back until 1.1. ".repeat(10_000)
    );
    for input in [
        nested.as_bytes(),
        many_brackets.as_bytes(),
        long_line.as_bytes(),
        &huge,
        many_recipients.as_bytes(),
        many_triggers.as_bytes(),
    ] {
        let started = Instant::now();
        let _ = classify(input, &ctx);
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "took {:?}",
            started.elapsed()
        );
    }
}

#[test]
fn a_threaded_reply_with_a_lone_auto_response_suppress_header_is_still_a_reply() {
    let headers = format!(
        "In-Reply-To: {}\r\nX-Auto-Response-Suppress: All\r\n",
        message_id_for(send(), "brightlane.io")
    );
    let raw = reply_from("lena@beispiel.de", "Re: x", &headers, "Yes, call me.");
    let got = classify(raw.as_bytes(), &ClassifyContext::without_leads()).unwrap();
    assert!(matches!(got, Classification::Reply { .. }), "{got:?}");
}

#[test]
fn our_domains_keep_look_alike_message_ids_of_other_systems_out() {
    let foreign = "<4d5e6f7a8b9c4d0e8f1a2b3c4d5e6f7a@AM6PR10MB2345.prod.outlook.com>";
    let raw = reply_from(
        "lena@beispiel.de",
        "Re: x",
        &format!("In-Reply-To: {foreign}\r\n"),
        "Hi",
    );
    let domains = vec!["brightlane.io".to_owned()];
    let ctx = ClassifyContext::without_leads().with_domains(&domains);
    assert_eq!(
        classify(raw.as_bytes(), &ctx).unwrap(),
        Classification::Unrelated
    );
}
