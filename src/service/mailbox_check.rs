//! Checking that a mailbox can log in: its SMTP server (EHLO, STARTTLS when configured, AUTH)
//! and its IMAP server (LOGIN) when it has one, with the stored credentials and the same
//! endpoint, time limits and trusted certificates the mailbox's actor and IMAP poller use.
//! Nothing is sent, no folder is opened; the two servers are checked at the same time.

use std::sync::Arc;
use std::time::Duration;

use crate::actors::OUTBOX_HOST;
use crate::config::{DispatchSettings, Live};
use crate::domain::{CheckStep, Mailbox};
use crate::imap::ImapTarget;
use crate::smtp::SmtpEndpoint;
use crate::store::{Store, StoreError};

/// How the daemon reaches mail servers: the dispatch settings (EHLO name, SMTP time limits, as
/// a reload leaves them), the IMAP time limit and extra trusted CA certificates.
#[derive(Clone)]
pub struct ServerAccess {
    pub dispatch: Live<DispatchSettings>,
    pub imap_timeout: Duration,
    pub extra_root_pem: Option<Arc<str>>,
}

/// The steps of logging in to the mailbox's servers, SMTP's first. A step that failed is
/// reported, not returned as an error: a wrong password is an answer, not a fault.
pub async fn check(
    store: &dyn Store,
    access: &ServerAccess,
    mailbox: &Mailbox,
) -> Result<Vec<CheckStep>, StoreError> {
    if mailbox.smtp.host == OUTBOX_HOST {
        return Ok(vec![CheckStep::passed(
            "smtp_outbox",
            "this mailbox writes .eml files to the outbox folder: there is no server to log in to",
            Duration::ZERO,
        )]);
    }
    let credentials = store
        .mailbox_credentials(mailbox.workspace_id, mailbox.id)
        .await?;
    let pem = access.extra_root_pem.as_deref();
    let endpoint = SmtpEndpoint::for_server(
        &mailbox.smtp,
        credentials.smtp_password,
        &access.dispatch.helo_name,
        pem,
    );
    let timeouts = access.dispatch.smtp_timeouts();
    let smtp = crate::smtp::probe(&endpoint, &timeouts);
    let imap = async {
        let (Some(server), Some(password)) = (&mailbox.imap, credentials.imap_password) else {
            return Vec::new();
        };
        let target = ImapTarget::for_server(server, password, access.imap_timeout, pem);
        crate::imap::probe(&target).await
    };
    let (mut steps, imap) = tokio::join!(smtp, imap);
    steps.extend(imap);
    let failed: Vec<&str> = steps.iter().filter(|s| !s.ok).map(|s| s.step).collect();
    tracing::info!(mailbox = %mailbox.address, failed = ?failed, "Mailbox connection checked.");
    Ok(steps)
}
