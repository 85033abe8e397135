//! PIPELINING (RFC 2920): the envelope in one write when the server offers it, one command at a
//! time when it does not, the content and its final dot in one write either way, and every
//! fault classified as it is without pipelining. A recording proxy shows what left together.

use outreachd::domain::EmailAddress;
use outreachd::smtp::{Envelope, Phase, SmtpConnection, classify, classify_error};

use crate::proxy::Proxy;
use crate::sink::Sink;
use crate::support::mail_peers::MailPeers;
use crate::{built, endpoint, message, timeouts};

/// What one message over a fresh connection came to: whether the session pipelined (None:
/// it did not open), the failed phase, the reply code and the outcome label.
#[derive(Debug, PartialEq)]
struct Verdict {
    pipelined: Option<bool>,
    phase: Option<Phase>,
    code: Option<u16>,
    outcome: String,
}

/// Sends one message to a smtp-sink started with `faults`, through a proxy; `pipelined`
/// decides whether the server announces PIPELINING.
async fn verdict(faults: &[&str], pipelined: bool) -> Verdict {
    let mut options = faults.to_vec();
    if !pipelined {
        options.push("-p");
    }
    let sink = Sink::start(&options).await;
    let proxy = Proxy::start(sink.port, pipelined).await;
    let mut conn = match SmtpConnection::connect(&endpoint(proxy.port), &timeouts()).await {
        Ok(conn) => conn,
        Err(error) => {
            return Verdict {
                pipelined: None,
                phase: Some(error.phase),
                code: error.reply().map(|r| r.code),
                outcome: classify_error(&error).label().to_owned(),
            };
        }
    };
    let pipelines = conn.pipelines();
    let (envelope, bytes) = built(&message(1));
    let result = conn.send(&envelope, &bytes).await;
    let error = result.as_ref().err();
    Verdict {
        pipelined: Some(pipelines),
        phase: error.map(|e| e.phase),
        code: error.and_then(|e| e.reply()).map(|r| r.code),
        outcome: classify(&result).label().to_owned(),
    }
}

fn envelope_line(n: usize) -> String {
    format!("MAIL FROM:<sam@sender.test>\r\nRCPT TO:<lead{n}@lead.test>\r\nDATA\r\n")
}

/// The reads after EHLO, up to QUIT.
fn transaction_reads(proxy: &Proxy) -> Vec<String> {
    let reads = proxy.client_reads();
    assert!(reads[0].starts_with("EHLO "), "{reads:?}");
    assert_eq!(
        reads.last().map(String::as_str),
        Some("QUIT\r\n"),
        "{reads:?}"
    );
    reads[1..reads.len() - 1].to_vec()
}

fn is_content_with_its_final_dot(read: &str) -> bool {
    read.contains("\r\nMessage-ID: ") && read.ends_with("\r\n.\r\n")
}

#[tokio::test]
async fn a_pipelining_server_gets_the_envelope_in_one_write_and_the_content_in_one_more() {
    let sink = Sink::start(&[]).await;
    let proxy = Proxy::start(sink.port, false).await;
    let mut conn = SmtpConnection::connect(&endpoint(proxy.port), &timeouts())
        .await
        .expect("connect");
    assert!(conn.pipelines(), "smtp-sink announces PIPELINING");
    for n in 0..3 {
        let (envelope, bytes) = built(&message(n));
        let reply = conn.send(&envelope, &bytes).await.expect("send");
        assert_eq!(reply.code, 250, "{reply}");
    }
    conn.quit().await;

    let reads = transaction_reads(&proxy);
    assert_eq!(reads.len(), 6, "two writes per message: {reads:#?}");
    for (n, pair) in reads.chunks(2).enumerate() {
        assert_eq!(pair[0], envelope_line(n), "{reads:#?}");
        assert!(is_content_with_its_final_dot(&pair[1]), "{:?}", pair[1]);
    }
    assert_eq!(sink.dumps(3).await.len(), 3);
}

#[tokio::test]
async fn without_pipelining_each_command_waits_for_its_reply_and_fifty_messages_arrive_once() {
    let sink = Sink::start(&["-p"]).await;
    let proxy = Proxy::start(sink.port, false).await;
    let mut conn = SmtpConnection::connect(&endpoint(proxy.port), &timeouts())
        .await
        .expect("connect");
    assert!(
        !conn.pipelines(),
        "smtp-sink -p does not announce PIPELINING"
    );
    let mut ids = Vec::new();
    for n in 0..50 {
        let m = message(n);
        let (envelope, bytes) = built(&m);
        conn.send(&envelope, &bytes).await.expect("send");
        ids.push(m.message_id);
    }
    conn.quit().await;

    let reads = transaction_reads(&proxy);
    assert_eq!(reads.len(), 4 * 50, "four writes per message: {reads:#?}");
    for (n, step) in reads.chunks(4).enumerate() {
        let line = envelope_line(n);
        let envelope: Vec<&str> = line.split_inclusive("\r\n").collect();
        assert_eq!(step[..3], envelope[..], "{step:#?}");
        assert!(is_content_with_its_final_dot(&step[3]), "{:?}", step[3]);
    }
    let dumps = sink.dumps(50).await;
    assert_eq!(dumps.len(), 50);
    for id in &ids {
        assert_eq!(dumps.iter().filter(|d| d.contains(id.as_str())).count(), 1);
    }
}

#[tokio::test]
async fn every_fault_is_classified_the_same_whether_the_envelope_is_pipelined_or_not() {
    let faults: &[&[&str]] = &[
        &["-r", "RCPT"],
        &[
            "-f",
            "RCPT",
            "-B",
            "550 5.1.1 <lead1@lead.test>: User unknown",
        ],
        &["-f", "RCPT", "-B", "552 5.2.2 Mailbox full"],
        &["-r", "MAIL"],
        &["-f", "MAIL", "-B", "550 5.7.1 Sender rejected"],
        &["-f", "DATA", "-B", "554 5.7.1 Rejected"],
        &["-Q", "MAIL"],
        &["-Q", "RCPT"],
        &["-Q", "DATA"],
        &["-q", "RCPT"],
        &["-q", "DATA"],
        &["-A", "0"],
        &["-q", "."],
        &["-Q", "."],
        &["-f", ".", "-B", "554 5.6.0 Message content rejected"],
        &["-Q", "CONNECT"],
        &[],
    ];
    for fault in faults {
        let pipelined = verdict(fault, true).await;
        let step_by_step = verdict(fault, false).await;
        if *fault != ["-Q", "CONNECT"] {
            assert_eq!(pipelined.pipelined, Some(true), "{fault:?}");
            assert_eq!(step_by_step.pipelined, Some(false), "{fault:?}");
        }
        let strip = |v: Verdict| (v.phase, v.code, v.outcome);
        assert_eq!(strip(pipelined), strip(step_by_step), "{fault:?}");
    }
}

#[tokio::test]
async fn refusals_the_step_contract_depends_on_keep_their_phase_and_outcome_when_pipelined() {
    let cases: &[(&[&str], Phase, Option<u16>, &str)] = &[
        (&["-r", "RCPT"], Phase::Rcpt, Some(450), "retry"),
        (
            &[
                "-f",
                "RCPT",
                "-B",
                "550 5.1.1 <lead1@lead.test>: User unknown",
            ],
            Phase::Rcpt,
            Some(550),
            "hard_bounce",
        ),
        (
            &["-f", "RCPT", "-B", "552 5.2.2 Mailbox full"],
            Phase::Rcpt,
            Some(552),
            "soft_bounce",
        ),
        (&["-q", "."], Phase::AfterData, None, "unknown"),
        (
            &["-f", ".", "-B", "554 5.6.0 Message content rejected"],
            Phase::AfterData,
            Some(554),
            "failed",
        ),
    ];
    for (fault, phase, code, outcome) in cases {
        let got = verdict(fault, true).await;
        let expected = Verdict {
            pipelined: Some(true),
            phase: Some(*phase),
            code: *code,
            outcome: (*outcome).to_owned(),
        };
        assert_eq!(got, expected, "{fault:?}");
    }
}

#[tokio::test]
async fn after_a_refused_rcpt_the_pipelined_session_resets_and_stays_in_step() {
    let sink = Sink::start(&["-r", "RCPT"]).await;
    let proxy = Proxy::start(sink.port, true).await;
    let mut conn = SmtpConnection::connect(&endpoint(proxy.port), &timeouts())
        .await
        .expect("connect");
    assert!(conn.pipelines());
    for n in 0..3 {
        let (envelope, bytes) = built(&message(n));
        let error = conn
            .send(&envelope, &bytes)
            .await
            .expect_err("RCPT is refused");
        // Out of step, the next MAIL would read a stale reply or get "503 nested MAIL".
        assert_eq!(error.phase, Phase::Rcpt, "{error}");
        assert_eq!(error.reply().map(|r| r.code), Some(450), "{error}");
    }
    assert!(conn.is_alive().await);
    conn.quit().await;

    assert_eq!(proxy.connections(), 1, "no reconnect was needed");
    let reads = transaction_reads(&proxy);
    let mut expected: Vec<String> = (0..3)
        .flat_map(|n| [envelope_line(n), "RSET\r\n".to_owned()])
        .collect();
    expected.push("NOOP\r\n".to_owned());
    assert_eq!(reads, expected);
    assert!(sink.dumps(0).await.is_empty());
}

/// Postfix from the mail peers: relays nothing (550 5.7.1 at RCPT for other domains) and
/// delivers `@$MAILPEERS_DOMAIN` to Dovecot, so one connection meets both answers.
fn postfix() -> Option<(u16, String)> {
    let peers = MailPeers::from_env()?;
    Some((peers.smtp_port, peers.domain))
}

#[tokio::test]
async fn postfix_takes_the_next_message_on_the_same_connection_after_a_refused_recipient() {
    let Some((port, domain)) = postfix() else {
        return;
    };
    let proxy = Proxy::start(port, false).await;
    let mut conn = SmtpConnection::connect(&endpoint(proxy.port), &timeouts())
        .await
        .expect("connect");
    assert!(conn.pipelines(), "Postfix announces PIPELINING");

    let (envelope, bytes) = built(&message(1));
    let error = conn
        .send(&envelope, &bytes)
        .await
        .expect_err("no relaying to lead.test");
    assert_eq!(error.phase, Phase::Rcpt, "{error}");
    assert_eq!(error.reply().map(|r| r.code), Some(550), "{error}");

    let mut local = message(2);
    local.to = EmailAddress::parse(&format!("recipient1@{domain}")).expect("address");
    let (envelope, bytes) = built(&local);
    let reply = conn.send(&envelope, &bytes).await.expect("delivered");
    assert_eq!(reply.code, 250, "{reply}");
    conn.quit().await;
    assert_eq!(proxy.connections(), 1);
}

#[tokio::test]
async fn postfix_opening_data_for_half_the_recipients_of_a_refused_message_costs_the_connection() {
    let Some((port, domain)) = postfix() else {
        return;
    };
    let proxy = Proxy::start(port, false).await;
    let mut conn = SmtpConnection::connect(&endpoint(proxy.port), &timeouts())
        .await
        .expect("connect");

    // One local recipient (accepted) and one elsewhere (refused): Postfix answers DATA with
    // 354, and a lone "." would deliver an empty message to the first. The transaction is
    // dropped with the connection instead, and the refusal reported as without pipelining.
    let (_, bytes) = built(&message(1));
    let local = format!("recipient2@{domain}").parse().expect("address");
    let elsewhere = "lead1@lead.test".parse().expect("address");
    let from = "sam@sender.test".parse().expect("address");
    let both = Envelope::new(Some(from), vec![local, elsewhere]).expect("envelope");
    let error = conn
        .send(&both, &bytes)
        .await
        .expect_err("one recipient is refused");
    assert_eq!(error.phase, Phase::Rcpt, "{error}");
    assert_eq!(error.reply().map(|r| r.code), Some(550), "{error}");
    assert!(
        !conn.is_open(),
        "the half-open DATA is abandoned with the connection"
    );
    assert!(
        !proxy.client_reads().iter().any(|r| r.starts_with(".\r\n")),
        "no empty message was ended"
    );

    let mut next = message(2);
    next.to = EmailAddress::parse(&format!("recipient2@{domain}")).expect("address");
    let (envelope, bytes) = built(&next);
    let reply = conn
        .send(&envelope, &bytes)
        .await
        .expect("reopened and sent");
    assert_eq!(reply.code, 250, "{reply}");
    assert_eq!(proxy.connections(), 2);
}

#[tokio::test]
async fn after_starttls_postfix_is_asked_again_and_the_envelope_is_still_pipelined() {
    let Some(peers) = MailPeers::from_env() else {
        return;
    };
    let (port, ca, domain, password) =
        (peers.starttls_port, peers.ca, peers.domain, peers.password);
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sender = format!("sender1@{domain}");
    let mut starttls = endpoint(port);
    starttls.host = "localhost".to_owned();
    starttls.security = outreachd::domain::SmtpSecurity::Starttls;
    starttls.username = sender.clone();
    starttls.password = secrecy::SecretString::from(password);
    starttls.extra_root_pem = Some(std::fs::read_to_string(ca).expect("CA file"));

    let mut conn = SmtpConnection::connect(&starttls, &timeouts())
        .await
        .expect("STARTTLS and AUTH");
    // The cleartext EHLO no longer counts after STARTTLS; this is the answer over TLS.
    assert!(
        conn.pipelines(),
        "Postfix announces PIPELINING over TLS too"
    );
    let mut m = message(1);
    m.from = EmailAddress::parse(&sender).expect("address");
    m.to = EmailAddress::parse(&format!("recipient3@{domain}")).expect("address");
    let (envelope, bytes) = built(&m);
    let reply = conn.send(&envelope, &bytes).await.expect("sent");
    assert_eq!(reply.code, 250, "{reply}");
    conn.quit().await;
}
