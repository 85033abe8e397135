//! Mailboxes: sending identities and their encrypted SMTP/IMAP passwords.
//!
//! Identity is (workspace, lower(address)). An upsert locks the existing row, compares it with
//! the spec (passwords decrypted for the comparison) and writes only when something differs, so
//! re-applying the same file touches nothing and keeps `updated_at`. Status, status reason and
//! cooling time are runtime state owned by the mailbox actor: upserts never change them.

use super::*;
use crate::store::Mailboxes;
use crate::store::sql::reads::Reads;
use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::postgres::PgArguments;
use sqlx::query::QueryAs;
use sqlx::{AssertSqlSafe, PgConnection, Postgres};

use crate::domain::{
    Change, EmailAddress, Mailbox, MailboxCredentials, MailboxId, MailboxSpec, Upserted,
    WorkspaceId,
};
use crate::store::rows::{MAILBOX_COLUMNS, MailboxRow, duration_ms};
use crate::store::{QueryContext, SecretCipher, SecretPurpose, StoreError};

/// The backend, for the statements shared in `store::sql`.
type Sql = sqlx::Postgres;

/// Column values of a spec, passwords encrypted, in the order both statements bind them.
struct MailboxValues {
    address: String,
    from_name: String,
    signature: String,
    smtp_host: String,
    smtp_port: i32,
    smtp_security: &'static str,
    smtp_username: String,
    smtp_password: Vec<u8>,
    imap_host: Option<String>,
    imap_port: Option<i32>,
    imap_security: Option<&'static str>,
    imap_username: Option<String>,
    imap_password: Option<Vec<u8>>,
    daily_cap: i32,
    hourly_cap: Option<i32>,
    min_gap_ms: i64,
    max_gap_ms: i64,
    warmup_start: Option<i32>,
    warmup_increment: Option<i32>,
    timezone: String,
    /// Set on insert; on update `None` keeps the stored date.
    warmup_started_on: Option<NaiveDate>,
}

/// Caps above `i32::MAX` mean "unlimited" in practice; saturate rather than fail.
fn cap(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

impl MailboxValues {
    fn new(spec: &MailboxSpec, cipher: &SecretCipher) -> Self {
        use secrecy::ExposeSecret;
        let imap = spec.imap.as_ref();
        Self {
            address: spec.address.as_str().to_owned(),
            from_name: spec.from_name.clone(),
            signature: spec.signature.clone(),
            smtp_host: spec.smtp.host.clone(),
            smtp_port: i32::from(spec.smtp.port),
            smtp_security: spec.smtp.security.as_str(),
            smtp_username: spec.smtp.username.clone(),
            smtp_password: cipher.encrypt(
                SecretPurpose::SmtpPassword,
                spec.smtp.password.expose_secret(),
            ),
            imap_host: imap.map(|s| s.host.clone()),
            imap_port: imap.map(|s| i32::from(s.port)),
            imap_security: imap.map(|s| s.security.as_str()),
            imap_username: imap.map(|s| s.username.clone()),
            imap_password: imap
                .map(|s| cipher.encrypt(SecretPurpose::ImapPassword, s.password.expose_secret())),
            daily_cap: cap(spec.daily_cap),
            hourly_cap: spec.hourly_cap.map(cap),
            min_gap_ms: duration_ms(spec.min_gap),
            max_gap_ms: duration_ms(spec.max_gap),
            warmup_start: spec.warmup.map(|w| cap(w.start_per_day)),
            warmup_increment: spec.warmup.map(|w| cap(w.increment_per_day)),
            timezone: spec.timezone.clone(),
            warmup_started_on: spec.warmup_started_on,
        }
    }

    /// Binds `$1` id, `$2` workspace, `$3..=$22` the values, `$23` the timestamp and `$24` the
    /// warm-up start.
    fn bind<'q>(
        &'q self,
        query: QueryAs<'q, Postgres, MailboxRow, PgArguments>,
        id: MailboxId,
        ws: WorkspaceId,
        now: DateTime<Utc>,
    ) -> QueryAs<'q, Postgres, MailboxRow, PgArguments> {
        query
            .bind(id)
            .bind(ws)
            .bind(&self.address)
            .bind(&self.from_name)
            .bind(&self.signature)
            .bind(&self.smtp_host)
            .bind(self.smtp_port)
            .bind(self.smtp_security)
            .bind(&self.smtp_username)
            .bind(&self.smtp_password)
            .bind(&self.imap_host)
            .bind(self.imap_port)
            .bind(self.imap_security)
            .bind(&self.imap_username)
            .bind(&self.imap_password)
            .bind(self.daily_cap)
            .bind(self.hourly_cap)
            .bind(self.min_gap_ms)
            .bind(self.max_gap_ms)
            .bind(self.warmup_start)
            .bind(self.warmup_increment)
            .bind(&self.timezone)
            .bind(now)
            .bind(self.warmup_started_on)
    }
}

fn insert_sql() -> String {
    format!(
        "INSERT INTO mailboxes (id, workspace_id, address, from_name, signature, \
         smtp_host, smtp_port, smtp_security, smtp_username, smtp_password_ciphertext, \
         imap_host, imap_port, imap_security, imap_username, imap_password_ciphertext, \
         daily_cap, hourly_cap, min_gap_ms, max_gap_ms, warmup_start_per_day, \
         warmup_increment_per_day, timezone, created_at, updated_at, warmup_started_on) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, \
         $18, $19, $20, $21, $22, $23, $23, $24) \
         ON CONFLICT (workspace_id, lower(address)) DO NOTHING \
         RETURNING {MAILBOX_COLUMNS}"
    )
}

fn update_sql() -> String {
    format!(
        "UPDATE mailboxes SET address = $3, from_name = $4, signature = $5, smtp_host = $6, \
         smtp_port = $7, smtp_security = $8, smtp_username = $9, smtp_password_ciphertext = $10, \
         imap_host = $11, imap_port = $12, imap_security = $13, imap_username = $14, \
         imap_password_ciphertext = $15, daily_cap = $16, hourly_cap = $17, min_gap_ms = $18, \
         max_gap_ms = $19, warmup_start_per_day = $20, warmup_increment_per_day = $21, \
         timezone = $22, updated_at = $23, \
         warmup_started_on = COALESCE($24, warmup_started_on) \
         WHERE id = $1 AND workspace_id = $2 \
         RETURNING {MAILBOX_COLUMNS}"
    )
}

async fn find_for_update(
    conn: &mut PgConnection,
    ws: WorkspaceId,
    address: &EmailAddress,
) -> Result<Option<MailboxRow>, StoreError> {
    sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {MAILBOX_COLUMNS} FROM mailboxes \
         WHERE workspace_id = $1 AND lower(address) = lower($2) FOR UPDATE"
    )))
    .bind(ws)
    .bind(address.as_str())
    .fetch_optional(conn)
    .await
    .ctx("load a mailbox for update")
}

fn decrypt_credentials(
    cipher: &SecretCipher,
    row: &MailboxRow,
) -> Result<MailboxCredentials, StoreError> {
    decrypt(
        cipher,
        &row.smtp_password_ciphertext,
        row.imap_password_ciphertext.as_deref(),
    )
}

fn decrypt(
    cipher: &SecretCipher,
    smtp: &[u8],
    imap: Option<&[u8]>,
) -> Result<MailboxCredentials, StoreError> {
    Ok(MailboxCredentials {
        smtp_password: cipher.decrypt(SecretPurpose::SmtpPassword, smtp)?,
        imap_password: imap
            .map(|blob| cipher.decrypt(SecretPurpose::ImapPassword, blob))
            .transpose()?,
    })
}

#[async_trait]
impl Mailboxes for PgStore {
    async fn upsert_mailbox(
        &self,
        ws: WorkspaceId,
        spec: &MailboxSpec,
    ) -> Result<Upserted<Mailbox>, StoreError> {
        let pool = &self.pool;
        let cipher = &self.cipher;
        let mut tx = pool.begin().await.ctx("begin a mailbox upsert")?;
        let now = Utc::now();
        let existing = match find_for_update(&mut tx, ws, &spec.address).await? {
            Some(row) => row,
            None => {
                let mut values = MailboxValues::new(spec, cipher);
                values.warmup_started_on = Some(spec.warmup_start(now));
                let sql = insert_sql();
                let inserted = values
                    .bind(
                        sqlx::query_as(AssertSqlSafe(sql)),
                        MailboxId::new(),
                        ws,
                        now,
                    )
                    .fetch_optional(&mut *tx)
                    .await
                    .ctx("create a mailbox")?;
                if let Some(row) = inserted {
                    let mailbox = Mailbox::try_from(&row)?;
                    tx.commit().await.ctx("commit a new mailbox")?;
                    return Ok(Upserted {
                        value: mailbox,
                        change: Change::Created,
                    });
                }
                // Another writer created it between our lookup and insert: update theirs.
                find_for_update(&mut tx, ws, &spec.address)
                    .await?
                    .ok_or_else(|| StoreError::not_found("mailbox", spec.address.as_str()))?
            }
        };
        let current = Mailbox::try_from(&existing)?;
        // Credentials the current key cannot decrypt can never match: overwrite them.
        let unchanged = decrypt_credentials(cipher, &existing)
            .is_ok_and(|creds| current.matches_spec(spec, &creds));
        if unchanged {
            tx.commit().await.ctx("release a mailbox lock")?;
            return Ok(Upserted {
                value: current,
                change: Change::Unchanged,
            });
        }
        let values = MailboxValues::new(spec, cipher);
        let sql = update_sql();
        let row = values
            .bind(sqlx::query_as(AssertSqlSafe(sql)), existing.id, ws, now)
            .fetch_one(&mut *tx)
            .await
            .ctx("update a mailbox")?;
        let mailbox = Mailbox::try_from(&row)?;
        tx.commit().await.ctx("commit a mailbox update")?;
        Ok(Upserted {
            value: mailbox,
            change: Change::Updated,
        })
    }

    async fn list_mailboxes(&self, ws: WorkspaceId) -> Result<Vec<Mailbox>, StoreError> {
        Sql::list_mailboxes(&mut *self.read().await?, ws).await
    }

    async fn mailbox_by_address(
        &self,
        ws: WorkspaceId,
        address: &EmailAddress,
    ) -> Result<Option<Mailbox>, StoreError> {
        let pool = &self.pool;
        let row: Option<MailboxRow> = sqlx::query_as(AssertSqlSafe(format!(
        "SELECT {MAILBOX_COLUMNS} FROM mailboxes WHERE workspace_id = $1 AND lower(address) = lower($2)"
    )))
    .bind(ws)
    .bind(address.as_str())
    .fetch_optional(pool)
    .await
    .ctx("load a mailbox")?;
        row.as_ref().map(Mailbox::try_from).transpose()
    }

    async fn mailbox_credentials(
        &self,
        ws: WorkspaceId,
        id: MailboxId,
    ) -> Result<MailboxCredentials, StoreError> {
        let pool = &self.pool;
        let cipher = &self.cipher;
        let row: Option<(Vec<u8>, Option<Vec<u8>>)> = sqlx::query_as(
            "SELECT smtp_password_ciphertext, imap_password_ciphertext FROM mailboxes \
         WHERE workspace_id = $1 AND id = $2",
        )
        .bind(ws)
        .bind(id)
        .fetch_optional(pool)
        .await
        .ctx("load mailbox credentials")?;
        let (smtp, imap) = row.ok_or_else(|| StoreError::not_found("mailbox", id.to_string()))?;
        decrypt(cipher, &smtp, imap.as_deref())
    }

    async fn mailbox_by_id(
        &self,
        ws: WorkspaceId,
        id: MailboxId,
    ) -> Result<Option<Mailbox>, StoreError> {
        Sql::mailbox_row(&mut *self.read().await?, ws, id)
            .await?
            .as_ref()
            .map(Mailbox::try_from)
            .transpose()
    }
}
