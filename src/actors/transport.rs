//! How a mailbox actor delivers: a real SMTP connection (opened on first use, reused, reopened
//! after a failure) or the outbox folder (demo and dry runs).

use lettre::address::Envelope;

use crate::smtp::{
    Cause, OutboxTransport, Phase, Reply, SendError, SmtpConnection, SmtpEndpoint, Timeouts,
};

pub enum Transport {
    Smtp {
        endpoint: SmtpEndpoint,
        timeouts: Timeouts,
        connection: Option<SmtpConnection>,
    },
    Outbox(OutboxTransport),
}

impl Transport {
    pub fn smtp(endpoint: SmtpEndpoint, timeouts: Timeouts) -> Self {
        Self::Smtp {
            endpoint,
            timeouts,
            connection: None,
        }
    }

    /// Sends one message; session set-up failures come back as `SendError`s in their phase.
    pub async fn send(&mut self, envelope: &Envelope, message: &[u8]) -> Result<Reply, SendError> {
        match self {
            Self::Outbox(outbox) => outbox
                .send(envelope, message)
                .await
                .map_err(|e| SendError::new(Phase::Payload, Cause::Connection(e.to_string()))),
            Self::Smtp {
                endpoint,
                timeouts,
                connection,
            } => {
                if connection.is_none() {
                    *connection = Some(SmtpConnection::connect(endpoint, timeouts).await?);
                }
                let Some(conn) = connection.as_mut() else {
                    return Err(SendError::new(
                        Phase::Connect,
                        Cause::Connection("no session".into()),
                    ));
                };
                let result = conn.send(envelope, message).await;
                if let Err(e) = &result
                    && !e.leaves_session_usable()
                {
                    // Drop the broken session; the next send opens a fresh one.
                    *connection = None;
                }
                result
            }
        }
    }

    /// Closes the SMTP session politely (QUIT), if one is open.
    pub async fn close(&mut self) {
        if let Self::Smtp { connection, .. } = self
            && let Some(conn) = connection.take()
        {
            conn.quit().await;
        }
    }
}
