//! `SmtpConnection`: one mailbox's SMTP session, reused for many transactions.
//!
//! We open the TCP socket ourselves (TCP_NODELAY: lettre never sets it), then speak SMTP
//! through lettre's `AsyncSmtpConnection` one phase at a time (see `stream.rs` for how the
//! socket is handed over). Every phase runs under a time limit (lettre has none after connect)
//! and fails with a `SendError` naming the phase. When the server offers PIPELINING, MAIL, RCPT
//! and DATA go in one write (`pipelining.rs`); the content and its final dot always go in one
//! write (`payload.rs`). A transaction that failed on a reply is followed by RSET so the session
//! can carry the next one; a session that broke is reopened on the next `send`, and a reused
//! session that turns out dead at MAIL FROM (idle timeout) is reopened once and the transaction
//! retried: nothing had been sent for it yet.

use std::net::IpAddr;
use std::time::Duration;

use lettre::address::Envelope;
#[allow(deprecated)] // the only way to hand lettre a socket we opened; see stream.rs
use lettre::transport::smtp::client::AsyncNetworkStream;
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Ehlo, Mail, Noop, Quit, Rcpt, Rset};
use lettre::transport::smtp::extension::{
    ClientId, Extension, MailBodyParameter, MailParameter, ServerInfo,
};
use secrecy::SecretString;
use tokio::net::TcpStream;

use super::failure::{Cause, Phase, SendError, within};
use super::pipelining::{self, Cleanup};
use super::reply::Reply;
use super::stream::{CountedStream, PrimedStream, SentBytes};
use super::{auth, payload, tls};
use crate::domain::SmtpSecurity;

/// Where and how one mailbox submits mail.
#[derive(Clone, Debug)]
pub struct SmtpEndpoint {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// Empty: do not log in (a local relay, a test sink).
    pub username: String,
    pub password: SecretString,
    /// The EHLO argument: a host name (usually the From domain's sending host) or an IP
    /// address. Empty: this machine's host name.
    pub helo_name: String,
    /// Extra trusted root certificates (PEM) for servers with a private CA.
    pub extra_root_pem: Option<String>,
}

impl SmtpEndpoint {
    /// The endpoint of a mailbox's SMTP server, as its actor and a connection check use it.
    pub fn for_server(
        server: &crate::domain::ServerInfo,
        password: SecretString,
        helo_name: &str,
        extra_root_pem: Option<&str>,
    ) -> Self {
        Self {
            host: server.host.clone(),
            port: server.port,
            security: server.security,
            username: server.username.clone(),
            password,
            helo_name: helo_name.to_owned(),
            extra_root_pem: extra_root_pem.map(str::to_owned),
        }
    }
}

/// Time limits per phase. Defaults: 10 s to connect (TCP + implicit TLS), 30 s per command
/// (greeting, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, RSET), 120 s for the content and the
/// final reply (servers scan the message before answering).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    pub command: Duration,
    pub data: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(10),
            command: Duration::from_secs(30),
            data: Duration::from_secs(120),
        }
    }
}

/// An open, logged-in session. Not `Clone`: one transaction at a time.
pub struct SmtpConnection {
    /// Boxed: lettre's connection and buffers are over a kilobyte, and callers keep an
    /// `SmtpConnection` inline in their own state (an enum of transports, an actor).
    state: Box<State>,
}

struct State {
    endpoint: SmtpEndpoint,
    timeouts: Timeouts,
    session: Option<Session>,
}

pub(super) struct Session {
    pub(super) inner: AsyncSmtpConnection,
    /// The real server's extensions (lettre's own copy describes the primed stream).
    server: ServerInfo,
    /// The server offers PIPELINING (lettre's `ServerInfo` cannot say: it drops the keyword).
    pipelining: bool,
    /// Bytes written to the socket: how far a content write got before it failed.
    sent: SentBytes,
    /// False once a pipelined envelope left replies unread or DATA open: RSET cannot bring
    /// such a session back, it is closed instead.
    in_step: bool,
    transactions: u64,
}

impl SmtpConnection {
    /// Opens and logs in. Fails in a setup phase (connect … auth).
    pub async fn connect(endpoint: &SmtpEndpoint, timeouts: &Timeouts) -> Result<Self, SendError> {
        let session = Session::open(endpoint, timeouts, &mut |_, _| {}).await?;
        Ok(Self {
            state: Box::new(State {
                endpoint: endpoint.clone(),
                timeouts: *timeouts,
                session: Some(session),
            }),
        })
    }

    /// Sends one message to the envelope's recipients: MAIL, RCPT…, DATA, content. Returns the
    /// server's final 2xx reply. Reopens the session first if it broke.
    pub async fn send(&mut self, envelope: &Envelope, message: &[u8]) -> Result<Reply, SendError> {
        let reused = self
            .state
            .session
            .as_ref()
            .is_some_and(|s| s.transactions > 0);
        let result = self.attempt(envelope, message).await;
        match result {
            // A reused session the server dropped while idle fails at MAIL FROM, before
            // anything of this message was sent: reopen once and try again.
            Err(e) if reused && e.phase == Phase::Mail && !e.leaves_session_usable() => {
                self.attempt(envelope, message).await
            }
            other => other,
        }
    }

    async fn attempt(&mut self, envelope: &Envelope, message: &[u8]) -> Result<Reply, SendError> {
        let State {
            endpoint,
            timeouts,
            session: slot,
        } = &mut *self.state;
        let session = match slot {
            Some(session) => session,
            None => slot.insert(Session::open(endpoint, timeouts, &mut |_, _| {}).await?),
        };
        let result = session.transaction(envelope, message, timeouts).await;
        if let Err(error) = &result {
            let usable = session.in_step
                && error.leaves_session_usable()
                && session.reset_after(error, timeouts.command).await;
            if !usable {
                // Dropping lettre's connection closes the socket; no QUIT on a broken session.
                *slot = None;
            }
        }
        result
    }

    /// Probes the session with NOOP. A dead session is dropped and reopened by the next `send`.
    pub async fn is_alive(&mut self) -> bool {
        let Some(session) = &mut self.state.session else {
            return false;
        };
        let alive = within(
            Phase::Mail,
            self.state.timeouts.command,
            session.inner.command(Noop),
        )
        .await
        .is_ok();
        if !alive {
            self.state.session = None;
        }
        alive
    }

    /// True while a session is open (it may still have been closed by the server).
    pub fn is_open(&self) -> bool {
        self.state.session.is_some()
    }

    /// True when the open session sends MAIL, RCPT and DATA in one write: the server offered
    /// PIPELINING in its (last) EHLO reply.
    pub fn pipelines(&self) -> bool {
        self.state.session.as_ref().is_some_and(|s| s.pipelining)
    }

    /// Says goodbye. Errors are ignored: the socket closes either way.
    pub async fn quit(mut self) {
        if let Some(mut session) = self.state.session.take() {
            let _ = within(
                Phase::Mail,
                self.state.timeouts.command,
                session.inner.command(Quit),
            )
            .await;
        }
    }
}

impl std::fmt::Debug for SmtpConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConnection")
            .field("host", &self.state.endpoint.host)
            .field("port", &self.state.endpoint.port)
            .field("security", &self.state.endpoint.security)
            .field("open", &self.state.session.is_some())
            .finish()
    }
}

/// Told of each set-up phase as it completes, with what the server said (a connection check
/// reports them; sending ignores them).
pub(super) type PhaseDone<'a> = &'a mut (dyn FnMut(Phase, String) + Send);

impl Session {
    pub(super) async fn open(
        endpoint: &SmtpEndpoint,
        timeouts: &Timeouts,
        done: PhaseDone<'_>,
    ) -> Result<Self, SendError> {
        let hello = client_id(&endpoint.helo_name)?;
        let tcp = tcp_connect(endpoint, timeouts.connect).await?;
        done(
            Phase::Connect,
            format!("connected to {}:{}", endpoint.host, endpoint.port),
        );
        let (tcp, sent) = CountedStream::new(tcp);
        #[allow(deprecated)]
        let mut stream = AsyncNetworkStream::use_existing_tokio1(Box::new(tcp));
        let pem = endpoint.extra_root_pem.as_deref();
        if endpoint.security == SmtpSecurity::Tls {
            let parameters = tls::parameters(&endpoint.host, pem, Phase::Tls)?;
            within(Phase::Tls, timeouts.connect, stream.upgrade_tls(parameters)).await?;
            done(Phase::Tls, "TLS established".to_owned());
        }

        // In memory: cannot block and cannot fail short of a lettre bug.
        let mut inner =
            AsyncSmtpConnection::connect_with_transport(Box::new(PrimedStream::default()), &hello)
                .await
                .map_err(|e| SendError::from_lettre(Phase::Greeting, &e))?;
        inner.set_stream(stream);

        let greeting = within(Phase::Greeting, timeouts.command, inner.read_response()).await?;
        done(Phase::Greeting, lines_text(&greeting, " "));
        let ehlo = within(
            Phase::Ehlo,
            timeouts.command,
            inner.command(Ehlo::new(hello.clone())),
        )
        .await?;
        let mut server = ServerInfo::from_response(&ehlo)
            .map_err(|e| SendError::from_lettre(Phase::Ehlo, &e))?;
        let mut pipelining = pipelining::offered(&ehlo);
        done(Phase::Ehlo, lines_text(&ehlo, ", "));

        if endpoint.security == SmtpSecurity::Starttls {
            if !server.supports_feature(Extension::StartTls) {
                return Err(SendError::new(
                    Phase::Starttls,
                    Cause::Refused(format!(
                        "server {} does not offer STARTTLS; refusing to continue in cleartext",
                        server.name()
                    )),
                ));
            }
            let parameters = tls::parameters(&endpoint.host, pem, Phase::Starttls)?;
            within(
                Phase::Starttls,
                timeouts.command,
                inner.starttls(parameters, &hello),
            )
            .await?;
            // lettre re-sent EHLO over TLS but kept only its `ServerInfo`, which has no
            // PIPELINING, and the cleartext answer no longer counts (RFC 3207 §4.2). So we ask
            // once more: one round trip per connection, against two saved per message. Doing
            // STARTTLS without lettre would save it, but lettre owns the stream by then.
            let ehlo = within(
                Phase::Starttls,
                timeouts.command,
                inner.command(Ehlo::new(hello.clone())),
            )
            .await?;
            server = ServerInfo::from_response(&ehlo)
                .map_err(|e| SendError::from_lettre(Phase::Starttls, &e))?;
            pipelining = pipelining::offered(&ehlo);
            done(
                Phase::Starttls,
                format!("TLS established; {}", lines_text(&ehlo, ", ")),
            );
        }

        if !endpoint.username.is_empty() {
            let accepted = auth::authenticate(
                &mut inner,
                &server,
                &endpoint.username,
                &endpoint.password,
                timeouts.command,
            )
            .await?;
            done(Phase::Auth, lines_text(&accepted, " "));
        }
        Ok(Self {
            inner,
            server,
            pipelining,
            sent,
            in_step: true,
            transactions: 0,
        })
    }

    async fn transaction(
        &mut self,
        envelope: &Envelope,
        message: &[u8],
        timeouts: &Timeouts,
    ) -> Result<Reply, SendError> {
        self.transactions += 1;
        let parameters = self.mail_parameters(envelope, message)?;
        let mail = Mail::new(envelope.from().cloned(), parameters);
        let rcpts: Vec<Rcpt> = envelope
            .to()
            .iter()
            .map(|to| Rcpt::new(to.clone(), Vec::new()))
            .collect();
        if self.pipelining {
            let opened = pipelining::open_data(&mut self.inner, &mail, &rcpts, timeouts.command);
            if let Err(failure) = opened.await {
                self.in_step = failure.cleanup != Cleanup::Close;
                return Err(failure.error);
            }
        } else {
            self.open_data_step_by_step(mail, rcpts, timeouts.command)
                .await?;
        }
        payload::send(&mut self.inner, message, &self.sent, timeouts.data).await
    }

    /// MAIL, each RCPT and DATA, each waiting for its reply: for servers without PIPELINING.
    async fn open_data_step_by_step(
        &mut self,
        mail: Mail,
        rcpts: Vec<Rcpt>,
        limit: Duration,
    ) -> Result<(), SendError> {
        within(Phase::Mail, limit, self.inner.command(mail)).await?;
        for rcpt in rcpts {
            within(Phase::Rcpt, limit, self.inner.command(rcpt)).await?;
        }
        within(Phase::Data, limit, self.inner.command(Data)).await?;
        Ok(())
    }

    /// MAIL FROM parameters, refusing what the server cannot carry instead of letting it
    /// mangle the message.
    fn mail_parameters(
        &self,
        envelope: &Envelope,
        message: &[u8],
    ) -> Result<Vec<MailParameter>, SendError> {
        let mut parameters = Vec::new();
        let refuse = |what: &str| {
            SendError::new(
                Phase::Mail,
                Cause::Refused(format!(
                    "{what} but server {} does not support it",
                    self.server.name()
                )),
            )
        };
        let non_ascii = |a: &lettre::Address| !AsRef::<str>::as_ref(a).is_ascii();
        if envelope.from().is_some_and(non_ascii) || envelope.to().iter().any(non_ascii) {
            if !self.server.supports_feature(Extension::SmtpUtfEight) {
                return Err(refuse("an address needs SMTPUTF8"));
            }
            parameters.push(MailParameter::SmtpUtfEight);
        }
        if !message.is_ascii() {
            if !self.server.supports_feature(Extension::EightBitMime) {
                return Err(refuse("the message needs 8BITMIME"));
            }
            parameters.push(MailParameter::Body(MailBodyParameter::EightBitMime));
        }
        Ok(parameters)
    }

    /// After a rejected MAIL, RCPT or DATA the transaction is half open: RSET closes it.
    /// After the final reply there is nothing to reset. False when the session is unusable.
    async fn reset_after(&mut self, error: &SendError, limit: Duration) -> bool {
        match error.phase {
            Phase::Mail | Phase::Rcpt | Phase::Data => {
                within(error.phase, limit, self.inner.command(Rset))
                    .await
                    .is_ok()
            }
            Phase::AfterData => true,
            _ => false,
        }
    }
}

/// A reply as the server wrote it, its lines joined by `sep`: `235 2.7.0 Authentication
/// successful`, or an EHLO reply's extensions (`250 mx.test, PIPELINING, STARTTLS, AUTH PLAIN`).
fn lines_text(response: &lettre::transport::smtp::response::Response, sep: &str) -> String {
    let lines: Vec<&str> = response.message().collect();
    format!("{} {}", response.code(), lines.join(sep))
}

async fn tcp_connect(endpoint: &SmtpEndpoint, limit: Duration) -> Result<TcpStream, SendError> {
    let target = (endpoint.host.as_str(), endpoint.port);
    let stream = match tokio::time::timeout(limit, TcpStream::connect(target)).await {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => {
            let detail = format!("{}:{}: {e}", endpoint.host, endpoint.port);
            return Err(SendError::new(Phase::Connect, Cause::Connection(detail)));
        }
        Err(_elapsed) => return Err(SendError::new(Phase::Connect, Cause::Timeout(limit))),
    };
    // Without it every command after the first waits for the peer's delayed ACK (Nagle):
    // about 40 ms per round trip, 23 messages/s per connection on loopback.
    stream
        .set_nodelay(true)
        .map_err(|e| SendError::new(Phase::Connect, Cause::Connection(e.to_string())))?;
    Ok(stream)
}

/// The EHLO argument. Anything that is not a plain host name or IP address is refused: the
/// name goes verbatim into a command line.
fn client_id(helo_name: &str) -> Result<ClientId, SendError> {
    let name = helo_name.trim();
    if name.is_empty() {
        return Ok(ClientId::default());
    }
    if let Ok(ip) = name.parse::<IpAddr>() {
        return Ok(match ip {
            IpAddr::V4(v4) => ClientId::Ipv4(v4),
            IpAddr::V6(v6) => ClientId::Ipv6(v6),
        });
    }
    let valid = name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
    if !valid {
        return Err(SendError::new(
            Phase::Ehlo,
            Cause::Refused(format!("invalid HELO name {name:?}")),
        ));
    }
    Ok(ClientId::Domain(name.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helo_names_are_host_names_or_address_literals() {
        assert_eq!(
            client_id("mail.example.com").unwrap().to_string(),
            "mail.example.com"
        );
        assert_eq!(client_id("192.0.2.1").unwrap().to_string(), "[192.0.2.1]");
        assert!(client_id("evil\r\nMAIL FROM:<x@y>").is_err());
        assert!(client_id("two words").is_err());
    }

    /// Compile-time check: the mailbox actor runs these futures on tokio's worker threads.
    #[allow(dead_code)]
    fn futures_are_send(
        conn: &mut SmtpConnection,
        endpoint: &SmtpEndpoint,
        envelope: &Envelope,
        message: &[u8],
    ) {
        fn is_send<T: Send>(_: &T) {}
        is_send(&SmtpConnection::connect(endpoint, &Timeouts::default()));
        is_send(&conn.send(envelope, message));
        is_send(&conn.is_alive());
    }

    #[test]
    fn a_connection_is_small_enough_to_keep_inline() {
        assert!(
            std::mem::size_of::<SmtpConnection>() <= 256,
            "{}",
            std::mem::size_of::<SmtpConnection>()
        );
    }

    #[test]
    fn default_timeouts_are_ten_thirty_and_one_twenty_seconds() {
        let t = Timeouts::default();
        assert_eq!(
            (t.connect.as_secs(), t.command.as_secs(), t.data.as_secs()),
            (10, 30, 120)
        );
    }
}
