//! IMAP over TLS against a real Dovecot (a private instance with a certificate from a CA made
//! for the test): implicit TLS and STARTTLS with the CA trusted (APPEND, FETCH, SEARCH and IDLE
//! over TLS), and an untrusted certificate
//! failing clearly, both for one session and for a poller (its IMAP status says why, and it
//! retries with backoff, never in a loop).

use std::time::Duration;

use outreachd::domain::SmtpSecurity;
use outreachd::imap::{IdleEnd, ImapError, ImapSession, ImapTarget};

use crate::helpers::install_crypto_provider;
use crate::peers::peers;
use crate::private_dovecot::PrivateDovecot;
use crate::setup::{lead, two_steps, world};
use crate::support::TestBackend;

fn target(
    dovecot: &PrivateDovecot,
    address: &str,
    host: &str,
    security: SmtpSecurity,
) -> ImapTarget {
    let tls = dovecot.tls.as_ref().expect("a TLS Dovecot");
    let port = match security {
        SmtpSecurity::Tls => tls.imaps_port,
        _ => dovecot.peers.imap_port,
    };
    let mut target = dovecot.peers.target(address, &dovecot.peers.password);
    target.host = host.to_owned();
    target.port = port;
    target.security = security;
    target.extra_root_pem = Some(tls.ca_pem.clone());
    target
}

/// Connects, retrying only while Dovecot has not reread its users (a refused login).
async fn connect(target: &ImapTarget) -> Result<ImapSession, ImapError> {
    let mut tries = 0;
    loop {
        match ImapSession::connect(target).await {
            Err(e) if e.is_auth() && tries < 20 => {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            other => return other,
        }
    }
}

/// APPEND then FETCH back over `target`: the bytes come back unchanged.
async fn round_trip(target: &ImapTarget) {
    let mut session = connect(target).await.unwrap_or_else(|e| {
        panic!(
            "{:?} to {}:{}: {e}",
            target.security, target.host, target.port
        )
    });
    let id = format!("<{}@tls.test>", uuid::Uuid::new_v4());
    let raw = format!(
        "From: <a@tls.test>\r\nTo: <b@tls.test>\r\nSubject: over TLS\r\nMessage-ID: {id}\r\n\
         \r\nHello over {:?}.\r\n",
        target.security
    );
    let before = session.examine("INBOX").await.expect("EXAMINE");
    session
        .append("INBOX", raw.as_bytes())
        .await
        .expect("APPEND");
    session.examine("INBOX").await.expect("EXAMINE again");
    assert!(session.has_message_id(&id).await.expect("SEARCH"));
    let fetched = session
        .fetch_after(before.uidnext.saturating_sub(1), 10)
        .await
        .expect("UID FETCH");
    assert!(
        fetched.iter().any(|f| f.raw == raw.as_bytes()),
        "the appended message comes back: {fetched:?}"
    );
    session.logout().await;
}

#[tokio::test]
async fn implicit_tls_and_starttls_with_a_trusted_private_ca_read_and_write() {
    install_crypto_provider();
    let Some(shared) = peers() else { return };
    let dovecot = PrivateDovecot::start_tls(&shared).await;
    let user = dovecot.peers.add_user("tls");
    // By name and by IP address (the certificate names both).
    round_trip(&target(&dovecot, &user, "localhost", SmtpSecurity::Tls)).await;
    round_trip(&target(&dovecot, &user, "127.0.0.1", SmtpSecurity::Tls)).await;
    round_trip(&target(
        &dovecot,
        &user,
        "localhost",
        SmtpSecurity::Starttls,
    ))
    .await;
    idle_sees_new_mail(&target(&dovecot, &user, "localhost", SmtpSecurity::Tls)).await;
    dovecot.stop().await;
}

/// IDLE over TLS (the poller's usual wait) ends when another connection appends a message.
async fn idle_sees_new_mail(target: &ImapTarget) {
    let mut session = connect(target).await.expect("TLS connect");
    assert!(session.supports_idle());
    session.examine("INBOX").await.expect("EXAMINE");
    let cancel = tokio_util::sync::CancellationToken::new();
    let writer = async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let mut other = connect(target).await.expect("second TLS connect");
        other
            .append("INBOX", b"Subject: wake\r\n\r\nup\r\n")
            .await
            .expect("APPEND");
        other.logout().await;
    };
    let idle = session.idle(Duration::from_secs(30), &cancel, std::future::pending());
    let (idled, ()) = tokio::join!(idle, writer);
    let (session, end) = idled.expect("IDLE over TLS");
    assert_eq!(end, IdleEnd::Changed);
    session.logout().await;
}

#[tokio::test]
async fn an_untrusted_certificate_fails_with_a_tls_error() {
    install_crypto_provider();
    let Some(shared) = peers() else { return };
    let dovecot = PrivateDovecot::start_tls(&shared).await;
    let user = dovecot.peers.add_user("tls");
    for security in [SmtpSecurity::Tls, SmtpSecurity::Starttls] {
        let mut untrusted = target(&dovecot, &user, "localhost", security);
        untrusted.extra_root_pem = None;
        let error = match ImapSession::connect(&untrusted).await {
            Ok(_) => panic!("{security:?}: a private CA must not be trusted by default"),
            Err(e) => e,
        };
        assert!(
            matches!(&error, ImapError::Tls { host, .. } if host == "localhost"),
            "{security:?}: {error:?}"
        );
        let text = error.to_string();
        assert!(
            text.contains("UnknownIssuer") && text.contains("not signed by a trusted CA"),
            "{security:?}: {text}"
        );
        assert!(!text.contains(&dovecot.peers.password), "{text}");
    }
    // Text that holds no certificate is refused: nothing would be trusted.
    let mut garbage = target(&dovecot, &user, "localhost", SmtpSecurity::Tls);
    garbage.extra_root_pem = Some("not a certificate".into());
    let Err(e) = ImapSession::connect(&garbage).await else {
        panic!("a CA text without a certificate must be refused");
    };
    assert!(e.to_string().contains("invalid root certificate"), "{e}");
    dovecot.stop().await;
}

/// Handshakes Dovecot saw fail (each failed connection logs one line).
fn failed_handshakes(dovecot: &PrivateDovecot) -> usize {
    let log =
        std::fs::read_to_string(dovecot.peers.dir.join("dovecot/dovecot.log")).unwrap_or_default();
    log.lines()
        .filter(|l| l.contains("imap-login") && l.contains("Disconnected"))
        .count()
}

async fn a_poller_facing_an_untrusted_certificate_says_so_without_a_loop(backend: TestBackend) {
    let Some(shared) = peers() else { return };
    let dovecot = PrivateDovecot::start_tls(&shared).await;
    let peers = &dovecot.peers;
    let leads = [lead("tls")];
    let w = world(
        backend,
        peers,
        &leads,
        two_steps("1h"),
        &peers.password,
        &[],
    )
    .await;
    // The daemon has no way to trust the test CA: implicit TLS must fail on the certificate.
    let mut spec = peers.mailbox_spec(&w.sender, w.sink.port, &peers.password);
    let imap = spec.imap.as_mut().expect("IMAP configured");
    imap.host = "localhost".into();
    imap.port = dovecot.tls.as_ref().expect("tls").imaps_port;
    imap.security = SmtpSecurity::Tls;
    w.store().upsert_mailbox(w.ws, &spec).await.unwrap();
    let status = w
        .eventually("the IMAP status names the TLS failure", || async {
            w.store()
                .imap_status(w.ws, w.mailbox)
                .await
                .unwrap()
                .filter(|s| {
                    s.status == "error" && s.reason.as_deref().is_some_and(|r| r.contains("TLS"))
                })
        })
        .await;
    let reason = status.reason.unwrap_or_default();
    assert!(
        reason.contains("UnknownIssuer") && reason.contains("not signed by a trusted CA"),
        "{reason}"
    );
    assert!(!reason.contains(&peers.password), "{reason}");
    let first = failed_handshakes(&dovecot);
    assert!(first > 0, "Dovecot logged the failed handshakes");
    // max_reconnect_backoff is 1 s in the tests: a loop would fail hundreds of times here.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let more = failed_handshakes(&dovecot) - first;
    assert!(
        more <= 6,
        "{more} failed TLS handshakes in 3 s: a retry loop"
    );
    drop(w);
    dovecot.stop().await;
}

crate::on_both_backends!(a_poller_facing_an_untrusted_certificate_says_so_without_a_loop);
