//! Each server fault maps to the outcome the step contract needs.

use std::time::Duration;

use outreachd::smtp::{Cause, Phase, SmtpConnection, Timeouts, classify, classify_error};

use crate::sink::{Sink, free_port};
use crate::{built, endpoint, message, timeouts};

async fn send_one(
    sink: &Sink,
    limits: &Timeouts,
) -> (
    outreachd::domain::StepOutcome,
    Result<outreachd::smtp::Reply, outreachd::smtp::SendError>,
) {
    let mut conn = SmtpConnection::connect(&endpoint(sink.port), limits)
        .await
        .expect("connect");
    let (envelope, bytes) = built(&message(1));
    let result = conn.send(&envelope, &bytes).await;
    (classify(&result), result)
}

#[tokio::test]
async fn a_4xx_on_rcpt_is_a_retry_and_the_session_stays_in_step() {
    let sink = Sink::start(&["-r", "RCPT"]).await;
    let mut conn = SmtpConnection::connect(&endpoint(sink.port), &timeouts())
        .await
        .expect("connect");
    for n in 0..3 {
        let (envelope, bytes) = built(&message(n));
        let error = conn
            .send(&envelope, &bytes)
            .await
            .expect_err("RCPT is refused");
        // RSET after each refusal: the next transaction fails at RCPT again, not out of step.
        assert_eq!(error.phase, Phase::Rcpt, "{error}");
        assert_eq!(error.reply().map(|r| r.code), Some(450), "{error}");
        assert_eq!(classify_error(&error).label(), "retry", "{error}");
    }
    assert!(conn.is_alive().await);
    assert!(sink.dumps(0).await.is_empty());
}

#[tokio::test]
async fn a_550_5_1_1_on_rcpt_is_a_hard_bounce() {
    let sink = Sink::start(&[
        "-f",
        "RCPT",
        "-B",
        "550 5.1.1 <lead1@lead.test>: User unknown",
    ])
    .await;
    let (outcome, result) = send_one(&sink, &timeouts()).await;
    assert_eq!(outcome.label(), "hard_bounce", "{result:?}");
    assert!(outcome.suppresses_recipient());
    assert!(outcome.detail().contains("550 5.1.1"), "{outcome}");
}

#[tokio::test]
async fn a_full_mailbox_on_rcpt_is_a_soft_bounce() {
    let sink = Sink::start(&["-f", "RCPT", "-B", "552 5.2.2 Mailbox full"]).await;
    let (outcome, result) = send_one(&sink, &timeouts()).await;
    assert_eq!(outcome.label(), "soft_bounce", "{result:?}");
    assert!(!outcome.suppresses_recipient());
}

#[tokio::test]
async fn a_421_greeting_throttles_the_mailbox() {
    let sink = Sink::start(&["-Q", "CONNECT"]).await;
    let error = match SmtpConnection::connect(&endpoint(sink.port), &timeouts()).await {
        Ok(_) => panic!("a 421 greeting must fail the connection"),
        Err(e) => e,
    };
    assert_eq!(error.phase, Phase::Greeting, "{error}");
    assert_eq!(error.reply().map(|r| r.code), Some(421), "{error}");
    let outcome = classify_error(&error);
    assert_eq!(outcome.label(), "mailbox_throttled");
    assert!(!outcome.counts_as_attempt());
}

#[tokio::test]
async fn a_disconnect_after_the_final_dot_is_unknown() {
    let sink = Sink::start(&["-q", "."]).await;
    let (outcome, result) = send_one(&sink, &timeouts()).await;
    let error = result.expect_err("no reply after the dot");
    assert_eq!(error.phase, Phase::AfterData, "{error}");
    assert_eq!(outcome.label(), "unknown", "{error}");
}

#[tokio::test]
async fn no_reply_after_the_final_dot_within_the_limit_is_unknown() {
    let sink = Sink::start(&["-W", ".:3"]).await;
    let limits = Timeouts {
        data: Duration::from_millis(700),
        ..timeouts()
    };
    let (outcome, result) = send_one(&sink, &limits).await;
    let error = result.expect_err("the reply comes too late");
    assert!(matches!(error.cause, Cause::Timeout(_)), "{error}");
    assert_eq!(error.phase, Phase::AfterData, "{error}");
    assert_eq!(outcome.label(), "unknown");
}

#[tokio::test]
async fn a_5xx_after_the_final_dot_fails_the_message_without_blaming_the_address() {
    let sink = Sink::start(&["-f", ".", "-B", "554 5.6.0 Message content rejected"]).await;
    let (outcome, result) = send_one(&sink, &timeouts()).await;
    let error = result.expect_err("content refused");
    assert_eq!(error.phase, Phase::AfterData, "{error}");
    assert_eq!(outcome.label(), "failed", "{error}");
}

#[tokio::test]
async fn a_refused_connection_throttles_the_mailbox() {
    let error = match SmtpConnection::connect(&endpoint(free_port()), &timeouts()).await {
        Ok(_) => panic!("nobody listens there"),
        Err(e) => e,
    };
    assert_eq!(error.phase, Phase::Connect, "{error}");
    assert_eq!(classify_error(&error).label(), "mailbox_throttled");
}

#[tokio::test]
async fn a_server_that_does_not_offer_starttls_is_refused_before_any_mail() {
    let sink = Sink::start(&[]).await;
    let mut starttls = endpoint(sink.port);
    starttls.security = outreachd::domain::SmtpSecurity::Starttls;
    starttls.host = "localhost".to_owned();
    let error = match SmtpConnection::connect(&starttls, &timeouts()).await {
        Ok(_) => panic!("smtp-sink offers no STARTTLS"),
        Err(e) => e,
    };
    assert_eq!(error.phase, Phase::Starttls, "{error}");
    assert_eq!(classify_error(&error).label(), "mailbox_misconfigured");
}

#[tokio::test]
async fn a_content_write_cut_off_before_the_final_dot_is_not_sent() {
    // smtp-sink stops reading for 3 s after DATA, with a small TCP window: an 8 MB message
    // fills the socket buffers and the write is still going when the 700 ms limit ends it.
    let sink = Sink::start(&["-H", "3", "-T", "4096"]).await;
    let limits = Timeouts {
        data: Duration::from_millis(700),
        ..timeouts()
    };
    let mut conn = SmtpConnection::connect(&endpoint(sink.port), &limits)
        .await
        .expect("connect");
    let (envelope, _) = built(&message(1));
    let mut big = String::from("Subject: big\r\n\r\n");
    for _ in 0..200_000 {
        big.push_str(".0123456789012345678901234567890123456789\r\n");
    }
    let result = conn.send(&envelope, big.as_bytes()).await;
    let error = result.as_ref().expect_err("the write cannot finish");
    assert!(matches!(error.cause, Cause::Timeout(_)), "{error}");
    // The final dot never reached the socket: certainly not sent, safe to send again.
    assert_eq!(error.phase, Phase::Payload, "{error}");
    assert_ne!(classify(&result).label(), "unknown");
}
