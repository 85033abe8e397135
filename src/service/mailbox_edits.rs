//! Creating, replacing and deleting a mailbox from a request (the API) rather than an apply
//! file. The desired state is the same [`MailboxSpec`], filled in from the same
//! `[mailbox_defaults]`, checked by the same [`rules`], and written by the same
//! `Mailboxes::upsert_mailbox`; what differs is where a password comes from: the request, or
//! (on a replace that leaves it out) the one stored.
//!
//! A replace is a whole desired state, as an apply file is: an optional field left out takes
//! its default, except the passwords and the warm-up start, which keep what is stored.

use chrono::NaiveDate;
use secrecy::{ExposeSecret, SecretString};

use super::catalog_error::{CatalogError, campaign_list};
use crate::config::MailboxDefaults;
use crate::domain::rules::{self, SpecProblem};
use crate::domain::{
    EmailAddress, HumanDuration, InboundOptions, Mailbox, MailboxCredentials, MailboxId,
    MailboxSpec, ServerSpec, SmtpSecurity, Warmup, WorkspaceId,
};
use crate::store::{Removal, Store};

/// A server as a request gives it. A password left out is looked up (see the module doc).
#[derive(Clone, Debug)]
pub struct ServerInput {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    /// Default: the address for SMTP, the SMTP username for IMAP.
    pub username: Option<String>,
    pub password: Option<SecretString>,
}

/// A mailbox as a request gives it; `None` takes the default.
#[derive(Clone, Debug)]
pub struct MailboxInput {
    pub address: EmailAddress,
    pub from_name: String,
    pub signature: String,
    pub smtp: ServerInput,
    pub imap: Option<ServerInput>,
    pub daily_cap: Option<u32>,
    /// 0 means no hourly cap, as in the config.
    pub hourly_cap: Option<u32>,
    pub min_gap: Option<HumanDuration>,
    pub max_gap: Option<HumanDuration>,
    pub warmup: Option<Warmup>,
    pub warmup_started_on: Option<NaiveDate>,
    pub timezone: Option<String>,
    pub inbound: InboundOptions,
}

fn nonzero(cap: u32) -> Option<u32> {
    (cap != 0).then_some(cap)
}

fn problem(key: &str, message: &str) -> SpecProblem {
    SpecProblem {
        key: key.to_owned(),
        message: message.to_owned(),
    }
}

/// The SMTP password: the request's, else the stored one.
fn smtp_password(
    given: Option<SecretString>,
    stored: Option<&MailboxCredentials>,
) -> Result<SecretString, SpecProblem> {
    match (given, stored) {
        (Some(password), _) => Ok(password),
        (None, Some(s)) => Ok(s.smtp_password.clone()),
        (None, None) => Err(problem(
            "smtp.password",
            "a new mailbox needs its SMTP password",
        )),
    }
}

/// The IMAP password: the request's; else the stored one when it is IMAP's own; else the SMTP
/// password (an IMAP login without its own password uses the SMTP one, as in apply files, so a
/// stored IMAP password equal to the SMTP one follows it when that changes).
fn imap_password(
    given: Option<SecretString>,
    stored: Option<&MailboxCredentials>,
    smtp: &SecretString,
) -> SecretString {
    if let Some(password) = given {
        return password;
    }
    let own = stored.and_then(|s| {
        let imap = s.imap_password.as_ref()?;
        let inherited = imap.expose_secret() == s.smtp_password.expose_secret();
        (!inherited).then(|| imap.clone())
    });
    own.unwrap_or_else(|| smtp.clone())
}

/// The desired state `input` asks for, defaults filled in and every rule checked.
fn spec(
    input: MailboxInput,
    defaults: &MailboxDefaults,
    stored: Option<&MailboxCredentials>,
) -> Result<MailboxSpec, CatalogError> {
    let mut problems = Vec::new();
    let smtp_username = input
        .smtp
        .username
        .unwrap_or_else(|| input.address.as_str().to_owned());
    let smtp_secret = smtp_password(input.smtp.password, stored).unwrap_or_else(|p| {
        problems.push(p);
        SecretString::from("")
    });
    let imap = input.imap.map(|imap| ServerSpec {
        password: imap_password(imap.password, stored, &smtp_secret),
        username: imap.username.unwrap_or_else(|| smtp_username.clone()),
        host: imap.host,
        port: imap.port,
        security: imap.security,
    });
    let spec = MailboxSpec {
        address: input.address,
        from_name: input.from_name,
        signature: input.signature,
        smtp: ServerSpec {
            host: input.smtp.host,
            port: input.smtp.port,
            security: input.smtp.security,
            username: smtp_username,
            password: smtp_secret,
        },
        imap,
        daily_cap: input.daily_cap.unwrap_or(defaults.daily_cap),
        hourly_cap: input
            .hourly_cap
            .map_or(nonzero(defaults.hourly_cap), nonzero),
        min_gap: input.min_gap.unwrap_or(defaults.min_gap),
        max_gap: input.max_gap.unwrap_or(defaults.max_gap),
        warmup: input.warmup,
        warmup_started_on: input.warmup_started_on,
        timezone: input.timezone.unwrap_or_else(|| defaults.timezone.clone()),
    };
    // A missing password is reported once, not again as "empty".
    let missing: Vec<String> = problems.iter().map(|p| p.key.clone()).collect();
    problems.extend(
        rules::mailbox_problems(&spec)
            .into_iter()
            .filter(|p| !missing.contains(&p.key)),
    );
    if problems.is_empty() {
        Ok(spec)
    } else {
        Err(CatalogError::Invalid(problems))
    }
}

async fn write(
    store: &dyn Store,
    ws: WorkspaceId,
    spec: &MailboxSpec,
    inbound: &InboundOptions,
) -> Result<Mailbox, CatalogError> {
    let up = store.upsert_mailbox(ws, spec).await?;
    let have = store
        .inbound_options(ws, up.value.id)
        .await?
        .unwrap_or_default();
    if have != *inbound {
        store.set_inbound_options(ws, up.value.id, inbound).await?;
    }
    Ok(up.value)
}

/// Creates a mailbox. `Conflict` when the workspace has one with that address (any case).
pub async fn create(
    store: &dyn Store,
    ws: WorkspaceId,
    defaults: &MailboxDefaults,
    input: MailboxInput,
) -> Result<Mailbox, CatalogError> {
    if let Some(existing) = store.mailbox_by_address(ws, &input.address).await? {
        return Err(CatalogError::Conflict(format!(
            "mailbox {} exists already (id {})",
            existing.address, existing.id
        )));
    }
    let inbound = input.inbound;
    let spec = spec(input, defaults, None)?;
    let created = write(store, ws, &spec, &inbound).await?;
    tracing::info!(mailbox = %created.address, id = %created.id, "Mailbox created through the API.");
    Ok(created)
}

/// Replaces mailbox `id` with `input`. Its address may change only in case: the address is a
/// mailbox's identity (in apply files, for replies, for its sending reputation).
pub async fn replace(
    store: &dyn Store,
    ws: WorkspaceId,
    id: MailboxId,
    defaults: &MailboxDefaults,
    input: MailboxInput,
) -> Result<Mailbox, CatalogError> {
    let not_found = || CatalogError::NotFound {
        kind: "mailbox",
        id: id.to_string(),
    };
    let mailbox = store.mailbox_by_id(ws, id).await?.ok_or_else(not_found)?;
    if EmailAddress::parse(&mailbox.address)
        .map(|a| a.normalized())
        .ok()
        != Some(input.address.normalized())
    {
        return Err(CatalogError::invalid(
            "address",
            format!(
                "a mailbox's address cannot change (it is {}); create a new mailbox for {}",
                mailbox.address, input.address
            ),
        ));
    }
    let stored = store.mailbox_credentials(ws, id).await?;
    let inbound = input.inbound;
    // Left out, the warm-up start stays as stored: the upsert keeps it for `None`.
    let spec = spec(input, defaults, Some(&stored))?;
    let replaced = write(store, ws, &spec, &inbound).await?;
    tracing::info!(mailbox = %replaced.address, id = %replaced.id, "Mailbox replaced through the API.");
    Ok(replaced)
}

/// Deletes mailbox `id` unless a campaign still needs it (see `CatalogEdits::delete_mailbox`).
pub async fn delete(store: &dyn Store, ws: WorkspaceId, id: MailboxId) -> Result<(), CatalogError> {
    match store.delete_mailbox(ws, id).await? {
        Removal::Removed => {
            tracing::info!(mailbox = %id, "Mailbox deleted through the API.");
            Ok(())
        }
        Removal::NotFound => Err(CatalogError::NotFound {
            kind: "mailbox",
            id: id.to_string(),
        }),
        Removal::InUse { campaigns } => Err(CatalogError::Conflict(format!(
            "mailbox {id} is still used by {}: remove it from their mailbox pools and let its \
             enrolled leads finish (or pause the mailbox instead of deleting it)",
            campaign_list(&campaigns)
        ))),
    }
}
