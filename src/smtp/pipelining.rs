//! RFC 2920 PIPELINING: MAIL FROM, every RCPT TO and DATA leave in one write, and their replies
//! are read in order. One round trip instead of 2 + recipients, which is what a WAN link charges
//! for (20-100 ms each), and one syscall instead of several on both ends.
//!
//! Every reply is read even after a refusal (lettre reports a 4xx/5xx as an error, but has
//! consumed it), so the session stays in step; the failure reported is the first in protocol
//! order, as if the commands had gone one at a time. It owns no socket and never decides an
//! outcome: `connection.rs` runs it, and closes the session when `Failure::cleanup` says so.

use std::fmt;
use std::time::Duration;

use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::{Data, Mail, Rcpt};
use lettre::transport::smtp::response::Response;

use super::failure::{Phase, SendError, within};

/// True when an EHLO reply offers PIPELINING: a keyword line, in any case, maybe with
/// parameters. lettre's `ServerInfo` drops keywords it does not use, so we read the reply.
/// The first line is the server's name and greeting text, not a keyword.
pub(crate) fn offered(ehlo: &Response) -> bool {
    ehlo.message().skip(1).any(|line| {
        line.split_whitespace()
            .next()
            .is_some_and(|keyword| keyword.eq_ignore_ascii_case("PIPELINING"))
    })
}

/// A pipelined envelope that did not end in "go ahead with the content".
#[derive(Debug, PartialEq)]
pub(crate) struct Failure {
    /// The first failure in protocol order: MAIL's, else the first RCPT's, else DATA's.
    pub error: SendError,
    pub cleanup: Cleanup,
}

/// What the session must do after a `Failure` before it can carry another transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cleanup {
    /// Every reply is in and no DATA phase is open: the RSET that follows any refusal is all
    /// it takes (or nothing, if the server is closing the session).
    Nothing,
    /// DATA was accepted although no recipient was (RFC 2920 §3.1): a lone "." ends it; the
    /// server refuses a message without recipients.
    EndEmptyData,
    /// Close the connection: a reply never came (the session broke), or DATA is open for an
    /// accepted recipient of a transaction we abandon, where a "." would deliver an empty
    /// message. Closing mid-DATA makes the server drop the transaction.
    Close,
}

/// Writes MAIL, the RCPTs and DATA in one write, then reads the replies. `Ok` means the server
/// waits for the content. A failure's cleanup is never `EndEmptyData`: that is done here.
pub(crate) async fn open_data(
    conn: &mut AsyncSmtpConnection,
    mail: &Mail,
    rcpts: &[Rcpt],
    limit: Duration,
) -> Result<(), Failure> {
    let mut replies = Replies::default();
    // lettre's `command` writes what `Display` renders, flushes, and reads one reply: MAIL's.
    let first = within(Phase::Mail, limit, conn.command(Envelope { mail, rcpts })).await;
    replies.envelope(Phase::Mail, first.map(drop))?;
    for _ in rcpts {
        let reply = within(Phase::Rcpt, limit, conn.read_response()).await;
        replies.envelope(Phase::Rcpt, reply.map(drop))?;
    }
    let data = within(Phase::Data, limit, conn.read_response()).await;
    match replies.data(data.map(drop)) {
        Ok(()) => Ok(()),
        Err(failure) if failure.cleanup == Cleanup::EndEmptyData => {
            let ended = within(Phase::Data, limit, conn.command(".\r\n")).await;
            // The server's verdict on a message without recipients is of no interest, but a
            // missing one leaves the session out of step.
            let broken = ended.is_err_and(|e| !e.leaves_session_usable());
            let cleanup = if broken {
                Cleanup::Close
            } else {
                Cleanup::Nothing
            };
            Err(Failure { cleanup, ..failure })
        }
        Err(failure) => Err(failure),
    }
}

/// MAIL, RCPT… and DATA as one string: lettre's commands render with their CRLF.
struct Envelope<'a> {
    mail: &'a Mail,
    rcpts: &'a [Rcpt],
}

impl fmt::Display for Envelope<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.mail.fmt(f)?;
        for rcpt in self.rcpts {
            rcpt.fmt(f)?;
        }
        Data.fmt(f)
    }
}

/// The replies so far, and what they decide. Kept apart from the I/O so each rule is tested.
#[derive(Debug, Default)]
struct Replies {
    first_failure: Option<SendError>,
    rcpt_accepted: bool,
}

impl Replies {
    /// MAIL's or one RCPT's reply. `Err` when the session broke: no more replies will come.
    fn envelope(&mut self, phase: Phase, reply: Result<(), SendError>) -> Result<(), Failure> {
        match reply {
            Ok(()) => {
                self.rcpt_accepted |= phase == Phase::Rcpt;
                Ok(())
            }
            Err(error) => self.refused(error),
        }
    }

    /// DATA's reply, the last one: the verdict on the whole envelope.
    fn data(mut self, reply: Result<(), SendError>) -> Result<(), Failure> {
        let data_open = reply.is_ok();
        if let Err(error) = reply {
            self.refused(error)?;
        }
        let Some(error) = self.first_failure else {
            return Ok(());
        };
        let cleanup = match (data_open, self.rcpt_accepted) {
            (false, _) => Cleanup::Nothing,
            (true, false) => Cleanup::EndEmptyData,
            (true, true) => Cleanup::Close,
        };
        Err(Failure { error, cleanup })
    }

    /// A failed reply: remembered if it is the first; the end if the session cannot go on
    /// (no reply, or 421: the server is closing and later replies will not come).
    fn refused(&mut self, error: SendError) -> Result<(), Failure> {
        if error.leaves_session_usable() {
            self.first_failure.get_or_insert(error);
            return Ok(());
        }
        Err(Failure {
            error: self.first_failure.take().unwrap_or(error),
            cleanup: Cleanup::Close,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::smtp::failure::Cause;
    use crate::smtp::reply::Reply;

    fn ehlo(text: &str) -> Response {
        text.parse().unwrap()
    }

    fn refused(phase: Phase, code: u16) -> Result<(), SendError> {
        Err(SendError::new(
            phase,
            Cause::Rejected(Reply::new(code, "refused")),
        ))
    }

    fn lost(phase: Phase) -> Result<(), SendError> {
        Err(SendError::new(
            phase,
            Cause::Connection("connection reset".to_owned()),
        ))
    }

    /// Feeds MAIL's reply, the RCPT replies and DATA's, stopping where the session broke.
    fn verdict(
        mail: Result<(), SendError>,
        rcpts: Vec<Result<(), SendError>>,
        data: Result<(), SendError>,
    ) -> Result<(), Failure> {
        let mut replies = Replies::default();
        replies.envelope(Phase::Mail, mail)?;
        for rcpt in rcpts {
            replies.envelope(Phase::Rcpt, rcpt)?;
        }
        replies.data(data)
    }

    fn failed(result: Result<(), Failure>) -> (Phase, Option<u16>, Cleanup) {
        let failure = result.expect_err("the envelope fails");
        let code = failure.error.reply().map(|r| r.code);
        (failure.error.phase, code, failure.cleanup)
    }

    #[test]
    fn pipelining_is_found_among_the_keywords_in_any_case() {
        assert!(offered(&ehlo(
            "250-smtp-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
        )));
        assert!(offered(&ehlo("250-mx.test\r\n250 pipelining\r\n")));
        assert!(offered(&ehlo(
            "250-mx.test\r\n250-Pipelining future\r\n250 SIZE\r\n"
        )));
    }

    #[test]
    fn pipelining_in_the_greeting_line_or_as_a_prefix_is_not_an_offer() {
        assert!(!offered(&ehlo(
            "250-mx.test PIPELINING\r\n250 8BITMIME\r\n"
        )));
        assert!(!offered(&ehlo("250-mx.test\r\n250 PIPELININGX\r\n")));
        assert!(!offered(&ehlo("250 mx.test\r\n")));
    }

    #[test]
    fn the_envelope_is_written_as_one_string_of_command_lines() {
        let from = "a@x.test".parse().unwrap();
        let mail = Mail::new(Some(from), Vec::new());
        let rcpts = [
            Rcpt::new("b@y.test".parse().unwrap(), Vec::new()),
            Rcpt::new("c@y.test".parse().unwrap(), Vec::new()),
        ];
        let envelope = Envelope {
            mail: &mail,
            rcpts: &rcpts,
        };
        assert_eq!(
            envelope.to_string(),
            "MAIL FROM:<a@x.test>\r\nRCPT TO:<b@y.test>\r\nRCPT TO:<c@y.test>\r\nDATA\r\n"
        );
    }

    #[test]
    fn all_accepted_goes_on_to_the_content() {
        assert_eq!(verdict(Ok(()), vec![Ok(()), Ok(())], Ok(())), Ok(()));
    }

    #[test]
    fn a_refused_mail_is_reported_over_the_refusals_it_caused() {
        let result = verdict(
            refused(Phase::Mail, 550),
            vec![refused(Phase::Rcpt, 503)],
            refused(Phase::Data, 503),
        );
        assert_eq!(failed(result), (Phase::Mail, Some(550), Cleanup::Nothing));
    }

    #[test]
    fn the_first_refused_rcpt_is_reported_over_data() {
        let result = verdict(
            Ok(()),
            vec![refused(Phase::Rcpt, 450), refused(Phase::Rcpt, 550)],
            refused(Phase::Data, 554),
        );
        assert_eq!(failed(result), (Phase::Rcpt, Some(450), Cleanup::Nothing));
    }

    #[test]
    fn a_refused_data_is_reported_when_everything_before_it_passed() {
        let result = verdict(Ok(()), vec![Ok(())], refused(Phase::Data, 451));
        assert_eq!(failed(result), (Phase::Data, Some(451), Cleanup::Nothing));
    }

    #[test]
    fn data_accepted_without_any_recipient_is_ended_with_a_lone_dot() {
        let result = verdict(Ok(()), vec![refused(Phase::Rcpt, 550)], Ok(()));
        assert_eq!(
            failed(result),
            (Phase::Rcpt, Some(550), Cleanup::EndEmptyData)
        );
    }

    #[test]
    fn data_accepted_for_some_recipients_of_an_abandoned_message_closes_the_connection() {
        let result = verdict(Ok(()), vec![Ok(()), refused(Phase::Rcpt, 550)], Ok(()));
        assert_eq!(failed(result), (Phase::Rcpt, Some(550), Cleanup::Close));
    }

    #[test]
    fn a_421_stops_the_reading_and_is_reported_as_is() {
        let mut replies = Replies::default();
        let failure = replies
            .envelope(Phase::Mail, refused(Phase::Mail, 421))
            .expect_err("421 ends the session");
        assert_eq!(failure.error.phase, Phase::Mail);
        assert_eq!(failure.cleanup, Cleanup::Close);
    }

    #[test]
    fn a_lost_connection_after_a_refusal_reports_the_refusal_and_closes() {
        let result = verdict(Ok(()), vec![refused(Phase::Rcpt, 550)], lost(Phase::Data));
        assert_eq!(failed(result), (Phase::Rcpt, Some(550), Cleanup::Close));
    }

    #[test]
    fn a_lost_connection_before_any_refusal_is_reported_where_it_happened() {
        let result = verdict(Ok(()), vec![lost(Phase::Rcpt)], Ok(()));
        assert_eq!(failed(result), (Phase::Rcpt, None, Cleanup::Close));
    }
}
