//! Messages that should arrive: many over one connection, hostile content, a server restart
//! between sends, and the per-connection rate.

use std::time::Instant;

use outreachd::smtp::{SmtpConnection, classify};

use crate::sink::Sink;
use crate::{built, endpoint, message, received_message, timeouts};

#[tokio::test]
async fn two_hundred_messages_over_one_connection_all_arrive() {
    let sink = Sink::start(&[]).await;
    let mut conn = SmtpConnection::connect(&endpoint(sink.port), &timeouts())
        .await
        .expect("connect");
    let mut ids = Vec::new();
    for n in 0..200 {
        let m = message(n);
        let (envelope, bytes) = built(&m);
        let reply = conn.send(&envelope, &bytes).await.expect("send");
        assert_eq!(reply.code, 250, "{reply}");
        ids.push(m.message_id);
    }
    conn.quit().await;

    let dumps = sink.dumps(200).await;
    assert_eq!(dumps.len(), 200);
    for id in &ids {
        let found = dumps
            .iter()
            .filter(|d| d.contains(&format!("Message-ID: {id}")))
            .count();
        assert_eq!(found, 1, "{id} arrived {found} times");
    }
}

#[tokio::test]
async fn injection_attempts_arrive_as_one_message_with_one_header_block() {
    let sink = Sink::start(&[]).await;
    let mut conn = SmtpConnection::connect(&endpoint(sink.port), &timeouts())
        .await
        .expect("connect");

    let mut hostile = message(1);
    hostile.subject = "Hi\r\nBcc: evil@x.test".to_owned();
    hostile.from_name = "Sam\r\nBcc: evil@x.test\r\n".to_owned();
    hostile.to_name = Some("Lead\nX-Injected: yes".to_owned());
    hostile.text_body =
        "Hello\r\n.\r\nMAIL FROM:<x@y>\r\nRCPT TO:<evil@x.test>\r\nDATA\r\n.\nbare\rend\n."
            .to_owned();
    let (envelope, bytes) = built(&hostile);
    conn.send(&envelope, &bytes)
        .await
        .expect("hostile message is sent");
    // The session is still in step: a second message is its own transaction.
    let (envelope, bytes) = built(&message(2));
    conn.send(&envelope, &bytes)
        .await
        .expect("next message is sent");
    conn.quit().await;

    let dumps = sink.dumps(2).await;
    assert_eq!(dumps.len(), 2, "exactly two transactions: {dumps:#?}");
    let dump = dumps
        .iter()
        .find(|d| d.contains(&hostile.message_id))
        .expect("hostile message arrived");
    assert_eq!(dump.matches("X-Rcpt-Args:").count(), 1, "{dump}");
    assert!(dump.contains("X-Rcpt-Args: <lead1@lead.test>"), "{dump}");
    assert!(!dump.contains("evil@x.test>\nX-"), "{dump}");

    let received = received_message(dump);
    let (headers, body) = received.split_once("\n\n").expect("header block then body");
    for line in headers.lines() {
        assert!(
            !line.starts_with("Bcc") && !line.starts_with("X-Injected"),
            "injected header line {line:?} in\n{headers}"
        );
    }
    assert_eq!(
        headers.matches("\nSubject: ").count() + usize::from(headers.starts_with("Subject: ")),
        1
    );
    assert!(
        headers.contains("Subject: Hi Bcc: evil@x.test"),
        "{headers}"
    );
    // The body still holds the text, lone dots included, as plain lines of the one message.
    assert!(
        body.contains("\n.\nMAIL FROM:<x@y>\nRCPT TO:<evil@x.test>\nDATA\n.\nbare\nend\n."),
        "{body}"
    );
}

#[tokio::test]
async fn a_session_the_server_dropped_is_reopened_without_losing_the_message() {
    let sink = Sink::start(&[]).await;
    let mut conn = SmtpConnection::connect(&endpoint(sink.port), &timeouts())
        .await
        .expect("connect");
    let (envelope, bytes) = built(&message(1));
    conn.send(&envelope, &bytes).await.expect("first send");
    assert_eq!(sink.dumps(1).await.len(), 1);

    // The server goes away (idle timeout, restart) and comes back on the same port.
    let port = sink.stop();
    let sink = Sink::start_on(port, &[]).await;
    let (envelope, bytes) = built(&message(2));
    let result = conn.send(&envelope, &bytes).await;
    assert_eq!(classify(&result).label(), "sent", "{result:?}");
    assert_eq!(sink.dumps(1).await.len(), 1);
}

#[tokio::test]
async fn one_connection_sends_a_thousand_messages_and_reports_the_rate() {
    let sink = Sink::start(&[]).await;
    let mut conn = SmtpConnection::connect(&endpoint(sink.port), &timeouts())
        .await
        .expect("connect");
    let messages: Vec<_> = (0..1000).map(|n| built(&message(n))).collect();
    let started = Instant::now();
    for (envelope, bytes) in &messages {
        conn.send(envelope, bytes).await.expect("send");
    }
    let elapsed = started.elapsed();
    conn.quit().await;
    assert_eq!(sink.dumps(1000).await.len(), 1000);
    println!(
        "smtp rate: 1000 messages over one TCP_NODELAY connection in {:.2} s = {:.0} messages/s",
        elapsed.as_secs_f64(),
        1000.0 / elapsed.as_secs_f64()
    );
}

/// The reason we open the socket ourselves: lettre's own `connect_tokio1` leaves Nagle on.
/// Prints both rates; no timing assertion (benches live in benches/).
#[tokio::test]
async fn lettre_own_socket_without_nodelay_is_reported_beside_ours() {
    use lettre::transport::smtp::client::AsyncSmtpConnection;
    use lettre::transport::smtp::extension::ClientId;

    const N: usize = 100;
    let sink = Sink::start(&[]).await;
    let messages: Vec<_> = (0..N).map(|n| built(&message(n))).collect();

    let mut theirs = AsyncSmtpConnection::connect_tokio1(
        ("127.0.0.1", sink.port),
        None,
        &ClientId::Domain("outreachd.test".to_owned()),
        None,
        None,
    )
    .await
    .expect("lettre connects");
    let started = Instant::now();
    for (envelope, bytes) in &messages {
        theirs.send(envelope, bytes).await.expect("lettre sends");
    }
    let lettre_rate = N as f64 / started.elapsed().as_secs_f64();

    let mut ours = SmtpConnection::connect(&endpoint(sink.port), &timeouts())
        .await
        .expect("connect");
    let started = Instant::now();
    for (envelope, bytes) in &messages {
        ours.send(envelope, bytes).await.expect("send");
    }
    let our_rate = N as f64 / started.elapsed().as_secs_f64();
    assert_eq!(sink.dumps(2 * N).await.len(), 2 * N);
    println!(
        "smtp rate over one connection: lettre's socket {lettre_rate:.0} messages/s, ours (TCP_NODELAY) {our_rate:.0} messages/s"
    );
}
