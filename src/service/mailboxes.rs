//! Pausing and resuming a mailbox, and what an operator needs to see about its state.
//!
//! A pause written here stops the mailbox's actor at the daemon's next reconcile pass; a
//! resume clears the pause reason and any cooldown, and the next pass starts the actor again
//! (no restart of the daemon). Apply files' `status` key goes through [`set_wanted`], which
//! calls the same two functions.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::ServiceError;
use crate::domain::{EmailAddress, Mailbox, MailboxStatus, Workspace};
use crate::limits::{BudgetConfig, SendBudget};
use crate::store::Store;

/// The reason stored when an operator pauses without giving one.
pub const DEFAULT_PAUSE_REASON: &str = "paused by an operator";

/// What a pause or resume found and did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StateChange {
    pub address: String,
    pub before: MailboxStatus,
    pub before_reason: Option<String>,
    pub after: MailboxStatus,
    /// False when the mailbox was already in the wanted state (nothing written).
    pub changed: bool,
}

/// One mailbox's state for `mailbox status`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MailboxState {
    pub address: String,
    pub status: MailboxStatus,
    pub reason: Option<String>,
    /// Set while cooling: sends resume by themselves at this time.
    pub cooling_until: Option<DateTime<Utc>>,
    /// Sends counted today (the mailbox's local date) against `daily_cap_today`.
    pub sent_today: u32,
    /// The daily cap, lowered by warm-up while it ramps.
    pub daily_cap_today: u32,
}

async fn find(
    store: &dyn Store,
    ws: &Workspace,
    address: &EmailAddress,
) -> Result<Mailbox, ServiceError> {
    store
        .mailbox_by_address(ws.id, address)
        .await?
        .ok_or_else(|| ServiceError::NotFound {
            kind: "mailbox",
            name: address.to_string(),
            workspace: ws.name.clone(),
        })
}

/// Pauses the mailbox with `reason` (or [`DEFAULT_PAUSE_REASON`]). A mailbox already paused
/// keeps its reason unless a new one is given.
pub async fn pause(
    store: &dyn Store,
    ws: &Workspace,
    address: &EmailAddress,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<StateChange, ServiceError> {
    let mailbox = find(store, ws, address).await?;
    pause_found(store, &mailbox, reason, now).await
}

/// [`pause`] for a mailbox already loaded (the API finds it by id).
pub async fn pause_found(
    store: &dyn Store,
    mailbox: &Mailbox,
    reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<StateChange, ServiceError> {
    let already = mailbox.status == MailboxStatus::Paused
        && reason.is_none_or(|r| mailbox.status_reason.as_deref() == Some(r));
    if !already {
        let reason = reason.unwrap_or(DEFAULT_PAUSE_REASON);
        store
            .set_mailbox_paused(mailbox.workspace_id, mailbox.id, reason, now)
            .await?;
        tracing::info!(mailbox = %mailbox.address, %reason, "Mailbox paused by an operator; its actor stops at the next reconcile pass.");
    }
    Ok(change(mailbox, MailboxStatus::Paused, !already))
}

/// Makes the mailbox active: the pause reason and any cooldown are cleared.
pub async fn resume(
    store: &dyn Store,
    ws: &Workspace,
    address: &EmailAddress,
    now: DateTime<Utc>,
) -> Result<StateChange, ServiceError> {
    let mailbox = find(store, ws, address).await?;
    resume_found(store, &mailbox, now).await
}

/// [`resume`] for a mailbox already loaded.
pub async fn resume_found(
    store: &dyn Store,
    mailbox: &Mailbox,
    now: DateTime<Utc>,
) -> Result<StateChange, ServiceError> {
    let already = mailbox.status == MailboxStatus::Active
        && mailbox.status_reason.is_none()
        && mailbox.cooling_until.is_none();
    if !already {
        store
            .set_mailbox_active(mailbox.workspace_id, mailbox.id, now)
            .await?;
        tracing::info!(mailbox = %mailbox.address, was = %mailbox.status, reason = mailbox.status_reason.as_deref().unwrap_or(""), "Mailbox resumed by an operator; its actor starts at the next reconcile pass.");
    }
    Ok(change(mailbox, MailboxStatus::Active, !already))
}

fn change(mailbox: &Mailbox, after: MailboxStatus, changed: bool) -> StateChange {
    StateChange {
        address: mailbox.address.clone(),
        before: mailbox.status,
        before_reason: mailbox.status_reason.clone(),
        after,
        changed,
    }
}

/// The state an apply file asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WantedStatus {
    Active,
    Paused,
}

/// Whether applying `wanted` would change `mailbox`. `active` means "not paused": a cooldown
/// is automatic back-off that ends by itself, so an apply leaves it alone (an operator lifts
/// it with [`resume`]).
pub fn differs(mailbox: &Mailbox, wanted: WantedStatus) -> bool {
    match wanted {
        WantedStatus::Active => mailbox.status == MailboxStatus::Paused,
        WantedStatus::Paused => mailbox.status != MailboxStatus::Paused,
    }
}

/// Brings `mailbox` to `wanted` through [`pause`] or [`resume`]; `true` when it wrote.
pub async fn set_wanted(
    store: &dyn Store,
    mailbox: &Mailbox,
    wanted: WantedStatus,
    now: DateTime<Utc>,
) -> Result<bool, ServiceError> {
    if !differs(mailbox, wanted) {
        return Ok(false);
    }
    let done = match wanted {
        WantedStatus::Active => resume_found(store, mailbox, now).await?,
        WantedStatus::Paused => pause_found(store, mailbox, None, now).await?,
    };
    Ok(done.changed)
}

/// The state of one mailbox (`address`) or of all of the workspace's, by address.
pub async fn status(
    store: &dyn Store,
    ws: &Workspace,
    address: Option<&EmailAddress>,
    now: DateTime<Utc>,
) -> Result<Vec<MailboxState>, ServiceError> {
    let mailboxes = match address {
        Some(a) => vec![find(store, ws, a).await?],
        None => store.list_mailboxes(ws.id).await?,
    };
    let mut states = Vec::with_capacity(mailboxes.len());
    for m in mailboxes {
        states.push(state_of(store, m, now).await?);
    }
    Ok(states)
}

/// What an operator needs to see of one mailbox's state: status, reason, and today's count
/// against today's cap (warm-up included).
pub async fn state_of(
    store: &dyn Store,
    m: Mailbox,
    now: DateTime<Utc>,
) -> Result<MailboxState, ServiceError> {
    let config = BudgetConfig::for_mailbox(&m);
    let today = now.with_timezone(&config.timezone).date_naive();
    let sent_today = store.mailbox_sent_on(m.workspace_id, m.id, today).await?;
    let budget = SendBudget::new(config, now, sent_today, &[]);
    Ok(MailboxState {
        daily_cap_today: budget.daily_cap_on(today),
        sent_today,
        cooling_until: m
            .cooling_until
            .filter(|_| m.status == MailboxStatus::Cooling),
        reason: m.status_reason,
        status: m.status,
        address: m.address,
    })
}
