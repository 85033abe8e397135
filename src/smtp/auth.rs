//! AUTH: choose a mechanism from the server's EHLO reply and run the exchange (PLAIN with an
//! initial response, or LOGIN's two challenges) over lettre's command API.
//!
//! We run the exchange ourselves rather than through `AsyncSmtpConnection::auth`, which reads
//! the extensions lettre parsed from the primed EHLO (see `stream.rs`), not the real server's.

use std::time::Duration;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::commands::Auth;
use lettre::transport::smtp::extension::ServerInfo;
use lettre::transport::smtp::response::Response;
use secrecy::{ExposeSecret, SecretString};

use super::failure::{Cause, Phase, SendError, within};

/// Mechanisms we use, best first. PLAIN costs one round trip; LOGIN (Office 365 and older
/// servers) three. XOAUTH2 needs tokens we do not manage.
const PREFERRED: [Mechanism; 2] = [Mechanism::Plain, Mechanism::Login];

/// A server sending more challenges than LOGIN needs is misbehaving; stop before it loops.
const MAX_CHALLENGES: usize = 3;

/// The mechanism to log in with, or a refusal naming what the server offered.
pub fn choose_mechanism(server: &ServerInfo) -> Result<Mechanism, SendError> {
    server.get_auth_mechanism(&PREFERRED).ok_or_else(|| {
        SendError::new(
            Phase::Auth,
            Cause::Refused(format!(
                "server {} offers neither AUTH PLAIN nor AUTH LOGIN (offered: {server})",
                server.name()
            )),
        )
    })
}

/// Logs in, each command under the `command` time limit. The password only ever leaves inside
/// the encoded AUTH lines.
pub(crate) async fn authenticate(
    conn: &mut AsyncSmtpConnection,
    server: &ServerInfo,
    username: &str,
    password: &SecretString,
    limit: Duration,
) -> Result<Response, SendError> {
    let mechanism = choose_mechanism(server)?;
    let credentials = Credentials::new(username.to_owned(), password.expose_secret().to_owned());
    let first = Auth::new(mechanism, credentials.clone(), None).map_err(client_error)?;
    let mut response = within(Phase::Auth, limit, conn.command(first)).await?;
    let mut challenges = 0;
    while response.has_code(334) {
        challenges += 1;
        if challenges > MAX_CHALLENGES {
            return Err(SendError::new(
                Phase::Auth,
                Cause::Refused(format!(
                    "server sent more than {MAX_CHALLENGES} AUTH challenges"
                )),
            ));
        }
        let next = Auth::new_from_response(mechanism, credentials.clone(), &response)
            .map_err(client_error)?;
        response = within(Phase::Auth, limit, conn.command(next)).await?;
    }
    Ok(response)
}

/// lettre's client errors here say "Unrecognized challenge" and the like: never a secret.
fn client_error(error: lettre::transport::smtp::Error) -> SendError {
    SendError::new(Phase::Auth, Cause::Refused(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ehlo(lines: &str) -> ServerInfo {
        let response: Response = lines.parse().unwrap();
        ServerInfo::from_response(&response).unwrap()
    }

    #[test]
    fn plain_is_preferred_over_login() {
        let server = ehlo("250-mx.test\r\n250-AUTH LOGIN PLAIN CRAM-MD5\r\n250 8BITMIME\r\n");
        assert_eq!(choose_mechanism(&server).unwrap(), Mechanism::Plain);
    }

    #[test]
    fn login_is_used_when_it_is_the_only_one_offered() {
        let server = ehlo("250-outlook.test\r\n250-AUTH LOGIN XOAUTH2\r\n250 SIZE 157286400\r\n");
        assert_eq!(choose_mechanism(&server).unwrap(), Mechanism::Login);
    }

    #[test]
    fn a_server_without_plain_or_login_is_refused_with_what_it_offered() {
        let server = ehlo("250-mx.test\r\n250-AUTH CRAM-MD5 XOAUTH2\r\n250 PIPELINING\r\n");
        let e = choose_mechanism(&server).unwrap_err();
        assert_eq!(e.phase, Phase::Auth);
        assert!(
            e.to_string().contains("neither AUTH PLAIN nor AUTH LOGIN"),
            "{e}"
        );
        let none = ehlo("250 mx.test\r\n");
        assert!(choose_mechanism(&none).is_err());
    }
}
