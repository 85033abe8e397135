//! Mailboxes: sending identities and their encrypted credentials. Identity is
//! (workspace, lower(address)); passwords are stored encrypted and only decrypted for
//! `mailbox_credentials` and to tell whether an upsert changes anything.

use crate::store::Mailboxes;
use crate::store::sql::reads::Reads;
use async_trait::async_trait;
use chrono::Utc;
use secrecy::ExposeSecret;
use sqlx::sqlite::SqliteConnection;

use super::{SqliteStore, ensure_workspace, row_placeholders, ts};
use crate::domain::{
    Change, EmailAddress, Mailbox, MailboxCredentials, MailboxId, MailboxSpec, Upserted,
    WorkspaceId,
};
use crate::store::rows::{MAILBOX_COLUMNS, MailboxRow, duration_ms};
use crate::store::{QueryContext, SecretCipher, SecretPurpose, StoreError};

/// The backend, for the statements shared in `store::sql`.
type Sql = sqlx::Sqlite;

/// The columns an upsert writes, bound by [`bind_spec`] in this order.
const SPEC_COLUMNS: [&str; 20] = [
    "address",
    "from_name",
    "signature",
    "smtp_host",
    "smtp_port",
    "smtp_security",
    "smtp_username",
    "smtp_password_ciphertext",
    "imap_host",
    "imap_port",
    "imap_security",
    "imap_username",
    "imap_password_ciphertext",
    "daily_cap",
    "hourly_cap",
    "min_gap_ms",
    "max_gap_ms",
    "warmup_start_per_day",
    "warmup_increment_per_day",
    "timezone",
];

type Query<'q> = sqlx::query::QueryAs<'q, sqlx::Sqlite, MailboxRow, sqlx::sqlite::SqliteArguments>;

fn bind_spec<'q>(q: Query<'q>, spec: &MailboxSpec, cipher: &SecretCipher) -> Query<'q> {
    let smtp_password = cipher.encrypt(
        SecretPurpose::SmtpPassword,
        spec.smtp.password.expose_secret(),
    );
    let imap = spec.imap.as_ref();
    let imap_password =
        imap.map(|i| cipher.encrypt(SecretPurpose::ImapPassword, i.password.expose_secret()));
    q.bind(spec.address.as_str().to_owned())
        .bind(spec.from_name.clone())
        .bind(spec.signature.clone())
        .bind(spec.smtp.host.clone())
        .bind(i32::from(spec.smtp.port))
        .bind(spec.smtp.security.as_str())
        .bind(spec.smtp.username.clone())
        .bind(smtp_password)
        .bind(imap.map(|i| i.host.clone()))
        .bind(imap.map(|i| i32::from(i.port)))
        .bind(imap.map(|i| i.security.as_str()))
        .bind(imap.map(|i| i.username.clone()))
        .bind(imap_password)
        .bind(i64::from(spec.daily_cap))
        .bind(spec.hourly_cap.map(i64::from))
        .bind(duration_ms(spec.min_gap))
        .bind(duration_ms(spec.max_gap))
        .bind(spec.warmup.map(|w| i64::from(w.start_per_day)))
        .bind(spec.warmup.map(|w| i64::from(w.increment_per_day)))
        .bind(spec.timezone.clone())
}

fn decrypt(cipher: &SecretCipher, row: &MailboxRow) -> Result<MailboxCredentials, StoreError> {
    Ok(MailboxCredentials {
        smtp_password: cipher
            .decrypt(SecretPurpose::SmtpPassword, &row.smtp_password_ciphertext)?,
        imap_password: row
            .imap_password_ciphertext
            .as_deref()
            .map(|blob| cipher.decrypt(SecretPurpose::ImapPassword, blob))
            .transpose()?,
    })
}

async fn row_by_address(
    conn: &mut SqliteConnection,
    ws: WorkspaceId,
    address: &EmailAddress,
) -> Result<Option<MailboxRow>, StoreError> {
    sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {MAILBOX_COLUMNS} FROM mailboxes WHERE workspace_id = ? AND lower(address) = lower(?)"
    )))
    .bind(ws)
    .bind(address.as_str().to_owned())
    .fetch_optional(conn)
    .await
    .ctx("load the mailbox")
}

#[async_trait]
impl Mailboxes for SqliteStore {
    async fn upsert_mailbox(
        &self,
        ws: WorkspaceId,
        spec: &MailboxSpec,
    ) -> Result<Upserted<Mailbox>, StoreError> {
        let mut tx = self.begin_write().await?;
        ensure_workspace(tx.conn(), ws).await?;
        let existing = row_by_address(tx.conn(), ws, &spec.address).await?;
        let clock = Utc::now();
        let now = ts(clock);
        let columns = SPEC_COLUMNS.join(", ");
        let (row, change) = match existing {
            Some(row) => {
                let current = Mailbox::try_from(&row)?;
                if current.matches_spec(spec, &decrypt(&self.cipher, &row)?) {
                    return Ok(Upserted {
                        value: current,
                        change: Change::Unchanged,
                    });
                }
                let sql = format!(
                    "UPDATE mailboxes SET ({columns}) = {}, updated_at = ?, \
                     warmup_started_on = COALESCE(?, warmup_started_on) WHERE id = ? \
                 RETURNING {MAILBOX_COLUMNS}",
                    row_placeholders(SPEC_COLUMNS.len())
                );
                let q = bind_spec(sqlx::query_as(sqlx::AssertSqlSafe(sql)), spec, &self.cipher);
                let updated = q
                    .bind(now)
                    .bind(spec.warmup_started_on)
                    .bind(row.id)
                    .fetch_one(tx.conn())
                    .await
                    .ctx("update the mailbox")?;
                (updated, Change::Updated)
            }
            None => {
                let sql = format!(
                    "INSERT INTO mailboxes (id, workspace_id, created_at, updated_at, \
                     warmup_started_on, {columns}) VALUES {} RETURNING {MAILBOX_COLUMNS}",
                    row_placeholders(SPEC_COLUMNS.len() + 5)
                );
                let q = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                    .bind(MailboxId::new())
                    .bind(ws)
                    .bind(now.clone())
                    .bind(now)
                    .bind(spec.warmup_start(clock));
                let created = bind_spec(q, spec, &self.cipher)
                    .fetch_one(tx.conn())
                    .await
                    .ctx("create the mailbox")?;
                (created, Change::Created)
            }
        };
        tx.commit().await?;
        Ok(Upserted {
            value: Mailbox::try_from(&row)?,
            change,
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
        let mut pooled = self.read().await?;
        let conn = &mut *pooled;
        row_by_address(conn, ws, address)
            .await?
            .as_ref()
            .map(Mailbox::try_from)
            .transpose()
    }

    async fn mailbox_credentials(
        &self,
        ws: WorkspaceId,
        id: MailboxId,
    ) -> Result<MailboxCredentials, StoreError> {
        match Sql::mailbox_row(&mut *self.read().await?, ws, id).await? {
            Some(row) => decrypt(&self.cipher, &row),
            None => Err(StoreError::not_found("mailbox", id.to_string())),
        }
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
