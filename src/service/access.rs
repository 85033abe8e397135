//! Who may call the HTTP API, and as whom: users and their passwords (argon2id), logins that
//! hand out sessions, API tokens for machines, and [`authenticate`], which turns a bearer token
//! into the [`Principal`] every request is scoped to.
//!
//! A token is `oat_` (API token) or `oas_` (session) and 43 characters of base64url (32 random
//! bytes). Only its SHA-256 is stored, with its first 12 characters as a visible prefix: the
//! prefix finds the row, and the hashes are compared in constant time. A secret is returned
//! once, when it is made, and never again.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, TimeDelta, Utc};
use rand::RngCore;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::domain::{
    EmailAddress, Member, Membership, NewToken, Principal, Role, TokenId, TokenInfo, TokenKind,
    User, UserId, WorkspaceId,
};
use crate::store::{Store, StoreError};

/// Characters of a token kept in clear to find its row: the kind and 8 random characters.
const PREFIX_LEN: usize = 12;

/// Passwords shorter than this are refused (NIST SP 800-63B's minimum).
pub const MIN_PASSWORD_LEN: usize = 8;

/// How stale `last_used_at` may get before a request records a use again: a busy token does
/// not write on every request.
const TOUCH_EVERY: TimeDelta = TimeDelta::seconds(60);

#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The email or the password is wrong (which one is not said).
    #[error("the email or the password is wrong")]
    BadCredentials,
    /// No token, a malformed one, or one that is unknown, revoked or expired.
    #[error("the bearer token is missing, unknown, revoked or expired")]
    BadToken,
    #[error("the user belongs to no workspace")]
    NoMembership,
    #[error("the user belongs to several workspaces; name one of: {0}")]
    WorkspaceRequired(String),
    #[error("the user is not a member of workspace {0:?}")]
    NotMember(String),
    #[error("{0}")]
    Invalid(String),
    /// The caller's role does not allow this change.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error("user {0} is not a member of this workspace")]
    NoSuchMember(UserId),
    /// Adding by email someone without an account, and no password to make one.
    #[error("no user {0}; give a password to create their account")]
    NoSuchUser(EmailAddress),
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A secret shown once, with what was stored about it.
#[derive(Debug)]
pub struct IssuedToken {
    pub secret: SecretString,
    pub info: TokenInfo,
    pub workspace: WorkspaceId,
}

fn kind_tag(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Api => "oat_",
        TokenKind::Session => "oas_",
    }
}

fn sha256(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// A fresh token of `kind`: the secret and its visible prefix.
fn generate(kind: TokenKind) -> (SecretString, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let secret = format!("{}{}", kind_tag(kind), URL_SAFE_NO_PAD.encode(bytes));
    let prefix = secret[..PREFIX_LEN].to_owned();
    (SecretString::from(secret), prefix)
}

async fn issue(
    store: &dyn Store,
    workspace: WorkspaceId,
    kind: TokenKind,
    name: &str,
    role: Role,
    user: Option<&User>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<IssuedToken, AccessError> {
    let (secret, prefix) = generate(kind);
    let now = Utc::now();
    let token = NewToken {
        id: TokenId::new(),
        workspace_id: workspace,
        kind,
        name: name.to_owned(),
        role,
        prefix: prefix.clone(),
        sha256: sha256(secret.expose_secret()),
        user_id: user.map(|u| u.id),
        created_at: now,
        expires_at,
    };
    store.insert_token(&token).await?;
    let info = TokenInfo {
        id: token.id,
        kind,
        name: token.name,
        role,
        prefix,
        user_id: token.user_id,
        created_at: now,
        last_used_at: None,
        expires_at,
        revoked_at: None,
    };
    Ok(IssuedToken {
        secret,
        info,
        workspace,
    })
}

/// Hashes on a blocking thread: argon2id takes tens of milliseconds of CPU by design.
async fn hash_password(password: SecretString) -> Result<String, AccessError> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::default()
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AccessError::Hash(e.to_string()))
    })
    .await
    .map_err(|e| AccessError::Hash(e.to_string()))?
}

/// The hash of a random password nobody has, verified when the email is unknown so that a
/// wrong email costs as long as a wrong password (no user enumeration by timing).
static DUMMY_HASH: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(&bytes, &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
});

/// Checks `password` against `hash` (the dummy hash when there is none) on a blocking thread.
async fn verify_password(password: SecretString, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let hash = hash.unwrap_or_else(|| DUMMY_HASH.clone());
        PasswordHash::new(&hash).is_ok_and(|parsed| {
            Argon2::default()
                .verify_password(password.expose_secret().as_bytes(), &parsed)
                .is_ok()
        })
    })
    .await
    .unwrap_or(false)
}

/// Creates a user with `role` in `workspace` (`outreachd user create`). `Conflict` when the
/// email is taken.
pub async fn create_user(
    store: &dyn Store,
    email: &EmailAddress,
    password: SecretString,
    workspace: WorkspaceId,
    role: Role,
) -> Result<User, AccessError> {
    if password.expose_secret().chars().count() < MIN_PASSWORD_LEN {
        return Err(AccessError::Invalid(format!(
            "the password must have at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    let hash = hash_password(password).await?;
    let user = store.create_user(email, &hash, Utc::now()).await?;
    store
        .set_membership(workspace, user.id, role, Utc::now())
        .await?;
    Ok(user)
}

/// Signs a user in: checks the password and hands out a session for one workspace (the named
/// one, or the user's only one) that lasts `ttl`.
pub async fn login(
    store: &dyn Store,
    email: &str,
    password: SecretString,
    workspace: Option<&str>,
    ttl: TimeDelta,
) -> Result<(IssuedToken, Membership), AccessError> {
    let found = match EmailAddress::parse(email) {
        Ok(email) => store.user_by_email(&email).await?,
        Err(_) => None,
    };
    let (user, hash) = match found {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let verified = verify_password(password, hash).await;
    let user = match user {
        Some(user) if verified => user,
        _ => return Err(AccessError::BadCredentials),
    };
    let memberships = store.memberships(user.id).await?;
    let membership = match workspace {
        Some(name) => memberships
            .into_iter()
            .find(|m| m.workspace == name)
            .ok_or_else(|| AccessError::NotMember(name.to_owned()))?,
        None => match memberships.len() {
            0 => return Err(AccessError::NoMembership),
            1 => memberships
                .into_iter()
                .next()
                .ok_or(AccessError::NoMembership)?,
            _ => {
                let names: Vec<&str> = memberships.iter().map(|m| m.workspace.as_str()).collect();
                return Err(AccessError::WorkspaceRequired(names.join(", ")));
            }
        },
    };
    let expires = Utc::now() + ttl;
    let issued = issue(
        store,
        membership.workspace_id,
        TokenKind::Session,
        "login",
        membership.role,
        Some(&user),
        Some(expires),
    )
    .await?;
    Ok((issued, membership))
}

/// Makes an API token for a machine (`outreachd token create`, `POST /api/v1/tokens`).
pub async fn create_token(
    store: &dyn Store,
    workspace: WorkspaceId,
    name: &str,
    role: Role,
) -> Result<IssuedToken, AccessError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AccessError::Invalid(
            "a token needs a name of 1 to 100 characters".to_owned(),
        ));
    }
    issue(store, workspace, TokenKind::Api, name, role, None, None).await
}

/// The caller a bearer token stands for, or `BadToken`.
pub async fn authenticate(store: &dyn Store, bearer: &str) -> Result<Principal, AccessError> {
    let bearer = bearer.trim();
    let well_formed = bearer.len() == 47
        && (bearer.starts_with("oat_") || bearer.starts_with("oas_"))
        && bearer[4..]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
    if !well_formed {
        return Err(AccessError::BadToken);
    }
    let hash = sha256(bearer);
    let now = Utc::now();
    let candidates = store.tokens_by_prefix(&bearer[..PREFIX_LEN]).await?;
    let found = candidates
        .into_iter()
        .find(|c| bool::from(c.sha256.as_slice().ct_eq(&hash)))
        .ok_or(AccessError::BadToken)?;
    let info = &found.info;
    if info.revoked_at.is_some() || info.expires_at.is_some_and(|at| at <= now) {
        return Err(AccessError::BadToken);
    }
    if info.last_used_at.is_none_or(|at| now - at >= TOUCH_EVERY) {
        store.touch_token(info.id, now).await?;
    }
    Ok(Principal {
        workspace: found.workspace_id,
        role: info.role,
        token: info.id,
        kind: info.kind,
        user: info.user_id,
    })
}

/// Ends the caller's own session (or revokes the API token it used).
pub async fn logout(store: &dyn Store, caller: &Principal) -> Result<(), AccessError> {
    store
        .revoke_token(caller.workspace, caller.token, Utc::now())
        .await?;
    Ok(())
}

/// Only an owner touches owners: an admin can neither grant the role nor change or remove one
/// who has it.
fn may_manage(caller: &Principal, role: Role) -> Result<(), AccessError> {
    if role == Role::Owner && caller.role != Role::Owner {
        return Err(AccessError::Forbidden(
            "only an owner can grant, change or remove the owner role".to_owned(),
        ));
    }
    Ok(())
}

async fn member(store: &dyn Store, ws: WorkspaceId, user: UserId) -> Result<Member, AccessError> {
    store
        .list_members(ws)
        .await?
        .into_iter()
        .find(|m| m.user_id == user)
        .ok_or(AccessError::NoSuchMember(user))
}

/// Refuses a change that would leave the workspace without an owner.
async fn keep_an_owner(
    store: &dyn Store,
    ws: WorkspaceId,
    leaving: &Member,
) -> Result<(), AccessError> {
    if leaving.role != Role::Owner {
        return Ok(());
    }
    let owners = store
        .list_members(ws)
        .await?
        .iter()
        .filter(|m| m.role == Role::Owner)
        .count();
    if owners <= 1 {
        return Err(AccessError::Conflict(
            "the workspace's last owner cannot be removed or demoted; make another owner first"
                .to_owned(),
        ));
    }
    Ok(())
}

/// Adds a user to the caller's workspace with `role`: an existing user by email, or a new one
/// with `password`.
pub async fn add_member(
    store: &dyn Store,
    caller: &Principal,
    email: &EmailAddress,
    role: Role,
    password: Option<SecretString>,
) -> Result<Member, AccessError> {
    may_manage(caller, role)?;
    let ws = caller.workspace;
    let user = match store.user_by_email(email).await? {
        Some((user, _)) => {
            if store
                .list_members(ws)
                .await?
                .iter()
                .any(|m| m.user_id == user.id)
            {
                return Err(AccessError::Conflict(format!(
                    "{email} is a member already; change their role instead"
                )));
            }
            store.set_membership(ws, user.id, role, Utc::now()).await?;
            user
        }
        None => {
            let password = password.ok_or_else(|| AccessError::NoSuchUser(email.clone()))?;
            create_user(store, email, password, ws, role).await?
        }
    };
    member(store, ws, user.id).await
}

/// Gives a member another role; their sessions in the workspace end (a session carries the
/// role it was made with).
pub async fn change_role(
    store: &dyn Store,
    caller: &Principal,
    user: UserId,
    role: Role,
) -> Result<Member, AccessError> {
    let ws = caller.workspace;
    let current = member(store, ws, user).await?;
    may_manage(caller, current.role)?;
    may_manage(caller, role)?;
    if current.role == role {
        return Ok(current);
    }
    if role != Role::Owner {
        keep_an_owner(store, ws, &current).await?;
    }
    store.set_membership(ws, user, role, Utc::now()).await?;
    store.revoke_sessions(ws, user, Utc::now()).await?;
    member(store, ws, user).await
}

/// Removes a member from the caller's workspace and ends their sessions there.
pub async fn remove_member(
    store: &dyn Store,
    caller: &Principal,
    user: UserId,
) -> Result<(), AccessError> {
    let ws = caller.workspace;
    let current = member(store, ws, user).await?;
    may_manage(caller, current.role)?;
    keep_an_owner(store, ws, &current).await?;
    store.remove_membership(ws, user, Utc::now()).await?;
    Ok(())
}
