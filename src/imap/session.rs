//! One logged-in IMAP connection and the few commands the poller needs: STATUS, EXAMINE, UID
//! FETCH, IDLE, LIST (special-use `\Sent`), UID SEARCH by Message-ID and APPEND. Every command
//! runs under the configured timeout; a timed-out or failed connection is dropped, never reused.
//! Folders are opened read-only (EXAMINE) and bodies fetched with `BODY.PEEK[]`, so reading
//! never marks the user's mail as seen.

use std::time::Duration;

use async_imap::extensions::idle::IdleResponse;
use async_imap::types::NameAttribute;
use futures_util::TryStreamExt;
use secrecy::{ExposeSecret, SecretString};
use tokio_util::sync::CancellationToken;

use super::error::ImapError;
use super::probe::ImapPhase;
use super::stream::{ImapStream, connect_tcp, tls};
use crate::domain::SmtpSecurity;

/// Where and how to log in. `Debug` never shows the password.
#[derive(Clone, Debug)]
pub struct ImapTarget {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub username: String,
    pub password: SecretString,
    pub timeout: Duration,
    /// Extra trusted root certificates (PEM) for servers with a private CA (as SMTP's
    /// `SmtpEndpoint::extra_root_pem`).
    pub extra_root_pem: Option<String>,
}

impl ImapTarget {
    /// The target of a mailbox's IMAP server, as its poller and a connection check use it.
    pub fn for_server(
        server: &crate::domain::ServerInfo,
        password: SecretString,
        timeout: Duration,
        extra_root_pem: Option<&str>,
    ) -> Self {
        Self {
            host: server.host.clone(),
            port: server.port,
            security: server.security,
            username: server.username.clone(),
            password,
            timeout,
            extra_root_pem: extra_root_pem.map(str::to_owned),
        }
    }
}

/// What STATUS or EXAMINE says about a folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FolderState {
    pub uidvalidity: u32,
    /// The UID the next message will get (`last UID + 1` when nothing was expunged).
    pub uidnext: u32,
}

/// One message read by [`ImapSession::fetch_after`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetched {
    pub uid: u32,
    /// When the server received it (IMAP INTERNALDATE), if the server said.
    pub internal_date: Option<chrono::DateTime<chrono::Utc>>,
    pub raw: Vec<u8>,
}

/// How an IDLE ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdleEnd {
    /// The server reported a change in the folder.
    Changed,
    /// The renewal period passed (or the caller was cancelled).
    Quiet,
}

pub struct ImapSession {
    session: async_imap::Session<ImapStream>,
    timeout: Duration,
    supports_idle: bool,
    /// The folder opened with EXAMINE, if any.
    examined: Option<String>,
}

async fn timed<T, E>(
    limit: Duration,
    command: &'static str,
    fut: impl Future<Output = Result<T, E>>,
    map: impl FnOnce(E) -> ImapError,
) -> Result<T, ImapError> {
    match tokio::time::timeout(limit, fut).await {
        Ok(r) => r.map_err(map),
        Err(_) => Err(ImapError::Timeout {
            command,
            seconds: limit.as_secs(),
        }),
    }
}

fn protocol(command: &'static str) -> impl FnOnce(async_imap::error::Error) -> ImapError {
    move |source| match source {
        async_imap::error::Error::ConnectionLost => ImapError::Closed { command },
        source => ImapError::Protocol { command, source },
    }
}

/// Reads the server greeting, so the first command is not sent before the server is ready.
async fn greeting(
    client: &mut async_imap::Client<ImapStream>,
    limit: Duration,
) -> Result<(), ImapError> {
    let read = timed(limit, "greeting", client.read_response(), |e| {
        ImapError::Protocol {
            command: "greeting",
            source: e.into(),
        }
    })
    .await?;
    read.map(|_| ()).ok_or(ImapError::Closed {
        command: "greeting",
    })
}

impl ImapSession {
    /// Connects, secures the connection as configured, and logs in.
    pub async fn connect(target: &ImapTarget) -> Result<Self, ImapError> {
        let session = Self::log_in(target, &mut |_, _| {}).await?;
        let mut this = Self {
            session,
            timeout: target.timeout,
            supports_idle: false,
            examined: None,
        };
        let caps = timed(
            target.timeout,
            "CAPABILITY",
            this.session.capabilities(),
            protocol("CAPABILITY"),
        )
        .await?;
        this.supports_idle = caps.has_str("IDLE");
        Ok(this)
    }

    /// Connect, TLS or STARTTLS as configured, greeting and LOGIN, telling `done` of each phase
    /// as it completes (a connection check reports them).
    pub(super) async fn log_in(
        target: &ImapTarget,
        done: &mut (dyn FnMut(ImapPhase, String) + Send),
    ) -> Result<async_imap::Session<ImapStream>, ImapError> {
        let limit = target.timeout;
        let tcp = connect_tcp(&target.host, target.port, limit).await?;
        done(
            ImapPhase::Connect,
            format!("connected to {}:{}", target.host, target.port),
        );
        let pem = target.extra_root_pem.as_deref();
        let client = match target.security {
            SmtpSecurity::Plain => {
                let mut client = async_imap::Client::new(ImapStream::Plain(tcp));
                greeting(&mut client, limit).await?;
                done(ImapPhase::Greeting, "server ready".to_owned());
                client
            }
            SmtpSecurity::Tls => {
                let stream = tls(&target.host, tcp, limit, pem).await?;
                done(ImapPhase::Tls, "TLS established".to_owned());
                let mut client = async_imap::Client::new(stream);
                greeting(&mut client, limit).await?;
                done(ImapPhase::Greeting, "server ready".to_owned());
                client
            }
            SmtpSecurity::Starttls => {
                let mut client = async_imap::Client::new(ImapStream::Plain(tcp));
                greeting(&mut client, limit).await?;
                done(ImapPhase::Greeting, "server ready".to_owned());
                timed(
                    limit,
                    "STARTTLS",
                    client.run_command_and_check_ok("STARTTLS", None),
                    // A refusal means no STARTTLS; a lost connection is not a refusal.
                    |e| match e {
                        async_imap::error::Error::No(_) | async_imap::error::Error::Bad(_) => {
                            ImapError::NoStarttls
                        }
                        e => protocol("STARTTLS")(e),
                    },
                )
                .await?;
                let ImapStream::Plain(tcp) = client.into_inner() else {
                    return Err(ImapError::NoStarttls);
                };
                let stream = tls(&target.host, tcp, limit, pem).await?;
                done(ImapPhase::Starttls, "TLS established".to_owned());
                async_imap::Client::new(stream)
            }
        };
        let login = client.login(&target.username, target.password.expose_secret());
        let session = match tokio::time::timeout(limit, login).await {
            Err(_) => {
                return Err(ImapError::Timeout {
                    command: "LOGIN",
                    seconds: limit.as_secs(),
                });
            }
            Ok(Ok(session)) => session,
            Ok(Err((async_imap::error::Error::No(reason), _))) => {
                return Err(ImapError::Auth {
                    reason: server_text(&reason),
                });
            }
            Ok(Err((source, _))) => return Err(protocol("LOGIN")(source)),
        };
        done(
            ImapPhase::Login,
            format!("logged in as {}", target.username),
        );
        Ok(session)
    }

    pub fn supports_idle(&self) -> bool {
        self.supports_idle
    }

    /// Drops the untagged EXISTS/RECENT/... notes async-imap queues (we re-read STATUS
    /// instead); the queue is bounded, so this only keeps it from holding stale entries.
    pub fn drain_notes(&mut self) {
        while self.session.unsolicited_responses.try_recv().is_ok() {}
    }

    /// `STATUS folder (UIDNEXT UIDVALIDITY)`: cheap, needs no EXAMINE.
    pub async fn status(&mut self, folder: &str) -> Result<FolderState, ImapError> {
        let mb = timed(
            self.timeout,
            "STATUS",
            self.session.status(folder, "(UIDNEXT UIDVALIDITY)"),
            protocol("STATUS"),
        )
        .await?;
        Ok(FolderState {
            uidvalidity: mb.uid_validity.unwrap_or(0),
            uidnext: mb.uid_next.unwrap_or(1),
        })
    }

    /// Opens `folder` read-only (a no-op if it is open already).
    pub async fn examine(&mut self, folder: &str) -> Result<FolderState, ImapError> {
        let mb = timed(
            self.timeout,
            "EXAMINE",
            self.session.examine(folder),
            protocol("EXAMINE"),
        )
        .await?;
        self.examined = Some(folder.to_owned());
        Ok(FolderState {
            uidvalidity: mb.uid_validity.unwrap_or(0),
            uidnext: mb.uid_next.unwrap_or(1),
        })
    }

    /// UIDs of the open folder's messages received since `date` (`SEARCH SINCE`).
    pub async fn uids_since(&mut self, date: chrono::NaiveDate) -> Result<Vec<u32>, ImapError> {
        let query = format!("SINCE {}", date.format("%d-%b-%Y"));
        let found = timed(
            self.timeout,
            "UID SEARCH",
            self.session.uid_search(query),
            protocol("UID SEARCH"),
        )
        .await?;
        let mut uids: Vec<u32> = found.into_iter().collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// Up to `max` messages of the open folder with a UID above `after`, in UID order, with
    /// their INTERNALDATE and raw bytes.
    pub async fn fetch_after(&mut self, after: u32, max: u32) -> Result<Vec<Fetched>, ImapError> {
        let first = after.saturating_add(1);
        let last = after.saturating_add(max.max(1));
        let limit = self.timeout;
        let fetch = async {
            let stream = self
                .session
                .uid_fetch(format!("{first}:{last}"), "(UID INTERNALDATE BODY.PEEK[])")
                .await?;
            stream.try_collect::<Vec<_>>().await
        };
        let fetched = timed(limit, "UID FETCH", fetch, protocol("UID FETCH")).await?;
        let mut out: Vec<Fetched> = fetched
            .iter()
            .filter_map(|f| {
                Some(Fetched {
                    uid: f.uid?,
                    internal_date: f.internal_date().map(|d| d.to_utc()),
                    raw: f.body()?.to_vec(),
                })
            })
            // "n:m" may name the last message even when its UID is below n (RFC 3501 6.4.8).
            .filter(|f| f.uid > after)
            .collect();
        out.sort_by_key(|f| f.uid);
        Ok(out)
    }

    /// Waits in IDLE on the open folder for at most `renewal` (or until `cancel` or `wake`),
    /// then ends the IDLE. The session comes back for the next command.
    pub async fn idle(
        self,
        renewal: Duration,
        cancel: &CancellationToken,
        wake: impl Future<Output = ()>,
    ) -> Result<(Self, IdleEnd), ImapError> {
        let Self {
            session,
            timeout,
            supports_idle,
            examined,
        } = self;
        let mut handle = session.idle();
        timed(timeout, "IDLE", handle.init(), protocol("IDLE")).await?;
        let end = {
            let (wait, _stop) = handle.wait_with_timeout(renewal);
            tokio::select! {
                r = wait => match r.map_err(protocol("IDLE"))? {
                    IdleResponse::NewData(_) => IdleEnd::Changed,
                    IdleResponse::Timeout | IdleResponse::ManualInterrupt => IdleEnd::Quiet,
                },
                () = tokio::time::sleep(renewal) => IdleEnd::Quiet,
                () = cancel.cancelled() => IdleEnd::Quiet,
                () = wake => IdleEnd::Quiet,
            }
        };
        let session = timed(timeout, "DONE", handle.done(), protocol("DONE")).await?;
        Ok((
            Self {
                session,
                timeout,
                supports_idle,
                examined,
            },
            end,
        ))
    }

    /// The folder with the special-use attribute `\Sent` (RFC 6154), else one named "Sent".
    pub async fn sent_folder(&mut self) -> Result<Option<String>, ImapError> {
        let limit = self.timeout;
        let list = async {
            let stream = self.session.list(Some(""), Some("*")).await?;
            stream.try_collect::<Vec<_>>().await
        };
        let names = timed(limit, "LIST", list, protocol("LIST")).await?;
        let special = names
            .iter()
            .find(|n| n.attributes().contains(&NameAttribute::Sent))
            .or_else(|| names.iter().find(|n| n.name().eq_ignore_ascii_case("Sent")));
        Ok(special.map(|n| n.name().to_owned()))
    }

    /// Whether the open folder holds a message with this Message-ID.
    pub async fn has_message_id(&mut self, message_id: &str) -> Result<bool, ImapError> {
        let clean: String = message_id
            .chars()
            .filter(|c| !matches!(c, '"' | '\\' | '\r' | '\n'))
            .collect();
        let found = timed(
            self.timeout,
            "UID SEARCH",
            self.session
                .uid_search(format!("HEADER Message-ID \"{clean}\"")),
            protocol("UID SEARCH"),
        )
        .await?;
        Ok(!found.is_empty())
    }

    /// Appends a message to `folder` (flagged `\Seen`).
    pub async fn append(&mut self, folder: &str, message: &[u8]) -> Result<(), ImapError> {
        timed(
            self.timeout,
            "APPEND",
            self.session.append(folder, Some("(\\Seen)"), None, message),
            protocol("APPEND"),
        )
        .await
    }

    /// Says goodbye; errors are irrelevant at this point.
    pub async fn logout(mut self) {
        let _ = tokio::time::timeout(self.timeout, self.session.logout()).await;
    }
}

/// The server's own words from async-imap's rendering of a NO response
/// (`code: None, info: Some("[AUTHENTICATIONFAILED] Authentication failed.")`).
fn server_text(rendered: &str) -> String {
    let text = rendered
        .split_once("info: Some(\"")
        .and_then(|(_, rest)| rest.rsplit_once("\")"))
        .map_or(rendered, |(info, _)| info);
    let text: String = text.chars().filter(|c| !c.is_control()).take(300).collect();
    text.trim().to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_refusal_keeps_only_the_server_text() {
        assert_eq!(
            super::server_text(
                "code: None, info: Some(\"[AUTHENTICATIONFAILED] Authentication failed.\")"
            ),
            "[AUTHENTICATIONFAILED] Authentication failed."
        );
        assert_eq!(super::server_text(" plain words "), "plain words");
    }
}
