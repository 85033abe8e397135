//! Catalog writes written once for both backends as default methods of [`CatalogSql`]: the
//! workspace, mailbox and product upserts, mailbox lookups by address, the campaign lookup that fences an
//! id by its workspace, and a campaign's status. The backend owns the transaction.
//!
//! Upserts lock the existing row (PostgreSQL's `FOR UPDATE`, [`Dialect::FOR_UPDATE`]; SQLite's
//! writers are already one at a time), compare it with the spec and write only when something
//! differs, so re-applying the same file touches nothing and keeps `updated_at`. Mailbox
//! identity is (workspace, lower(address)); passwords are decrypted for the comparison; status,
//! status reason and cooling time are runtime state owned by the mailbox actor, which upserts
//! never change. Product identity is (workspace, name); a soft-deleted product that is applied
//! again comes back (reported as `Updated`). A campaign id is only ever used together with its
//! workspace, so an id from another workspace behaves exactly like one that does not exist.

use chrono::{DateTime, NaiveDate, Utc};
use secrecy::ExposeSecret;
use sqlx::AssertSqlSafe;
use sqlx::query::QueryAs;

use super::{Bound, Dialect};
use crate::domain::{
    CampaignId, CampaignStatus, Change, EmailAddress, Mailbox, MailboxCredentials, MailboxId,
    MailboxSpec, Product, ProductId, ProductSpec, Upserted, Workspace, WorkspaceId,
};
use crate::store::rows::{
    MAILBOX_COLUMNS, MailboxRow, PRODUCT_COLUMNS, ProductRow, WorkspaceRow, duration_ms,
};
use crate::store::{QueryContext, SecretCipher, SecretPurpose, StoreError};

/// Caps above `i32::MAX` mean "unlimited" in practice; saturate rather than fail.
fn cap(v: u32) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

/// `$1` id, `$2` workspace, `$3..=$22` the spec's columns, `$23` now, `$24` the warm-up start.
const INSERT_SQL: &str = "INSERT INTO mailboxes (id, workspace_id, address, from_name, \
    signature, smtp_host, smtp_port, smtp_security, smtp_username, smtp_password_ciphertext, \
    imap_host, imap_port, imap_security, imap_username, imap_password_ciphertext, daily_cap, \
    hourly_cap, min_gap_ms, max_gap_ms, warmup_start_per_day, warmup_increment_per_day, \
    timezone, created_at, updated_at, warmup_started_on) \
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, \
    $19, $20, $21, $22, $23, $23, $24) \
    ON CONFLICT (workspace_id, lower(address)) DO NOTHING";

/// Bound as [`INSERT_SQL`]; a `NULL` warm-up start keeps the stored one.
const UPDATE_SQL: &str = "UPDATE mailboxes SET address = $3, from_name = $4, signature = $5, \
    smtp_host = $6, smtp_port = $7, smtp_security = $8, smtp_username = $9, \
    smtp_password_ciphertext = $10, imap_host = $11, imap_port = $12, imap_security = $13, \
    imap_username = $14, imap_password_ciphertext = $15, daily_cap = $16, hourly_cap = $17, \
    min_gap_ms = $18, max_gap_ms = $19, warmup_start_per_day = $20, \
    warmup_increment_per_day = $21, timezone = $22, updated_at = $23, \
    warmup_started_on = COALESCE($24, warmup_started_on) \
    WHERE id = $1 AND workspace_id = $2";

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

/// The stored passwords of a mailbox row, decrypted.
pub(crate) fn credentials(
    cipher: &SecretCipher,
    row: &MailboxRow,
) -> Result<MailboxCredentials, StoreError> {
    decrypt(
        cipher,
        &row.smtp_password_ciphertext,
        row.imap_password_ciphertext.as_deref(),
    )
}

/// A stored product and whether it is soft-deleted.
#[derive(sqlx::FromRow)]
pub(crate) struct ExistingProduct {
    #[sqlx(flatten)]
    product: ProductRow,
    deleted: bool,
}

/// Catalog statements over one connection of the backend `Self`.
pub(crate) trait CatalogSql: Dialect
where
    for<'c> &'c mut Self::Connection: sqlx::Executor<'c, Database = Self>,
    Self::Arguments: sqlx::IntoArguments<Self>,
    usize: sqlx::ColumnIndex<Self::Row>,
    for<'r> WorkspaceRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> MailboxRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> ProductRow: sqlx::FromRow<'r, Self::Row>,
    for<'r> ExistingProduct: sqlx::FromRow<'r, Self::Row>,
    for<'q> WorkspaceId: Bound<'q, Self>,
    for<'q> MailboxId: Bound<'q, Self>,
    for<'q> ProductId: Bound<'q, Self>,
    for<'q> CampaignId: Bound<'q, Self>,
    for<'q> String: Bound<'q, Self>,
    for<'q> Option<String>: Bound<'q, Self>,
    for<'q> &'static str: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> Option<&'static str>: sqlx::Encode<'q, Self> + sqlx::Type<Self>,
    for<'q> Vec<u8>: Bound<'q, Self>,
    for<'q> Option<Vec<u8>>: Bound<'q, Self>,
    for<'q> i32: Bound<'q, Self>,
    for<'q> Option<i32>: Bound<'q, Self>,
    for<'q> i64: Bound<'q, Self>,
    for<'q> Option<NaiveDate>: Bound<'q, Self>,
{
    /// Creates the workspace `name`, or finds it: a workspace has only a name, so an upsert
    /// never updates one.
    async fn upsert_workspace(
        conn: &mut Self::Connection,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Upserted<Workspace>, StoreError> {
        let inserted: Option<WorkspaceRow> = sqlx::query_as(
            "INSERT INTO workspaces (id, name, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO NOTHING RETURNING id, name, created_at",
        )
        .bind(WorkspaceId::new())
        .bind(name.to_owned())
        .bind(Self::time(now))
        .fetch_optional(&mut *conn)
        .await
        .ctx("create a workspace")?;
        if let Some(row) = inserted {
            return Ok(Upserted {
                value: row.into(),
                change: Change::Created,
            });
        }
        let row: WorkspaceRow =
            sqlx::query_as("SELECT id, name, created_at FROM workspaces WHERE name = $1")
                .bind(name.to_owned())
                .fetch_one(conn)
                .await
                .ctx("load a workspace")?;
        Ok(Upserted {
            value: row.into(),
            change: Change::Unchanged,
        })
    }

    /// The mailbox `address` names in `ws`, locked for the rest of the transaction where the
    /// backend locks rows.
    async fn mailbox_by_address(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        address: &EmailAddress,
        lock: bool,
    ) -> Result<Option<MailboxRow>, StoreError> {
        let lock = if lock { Self::FOR_UPDATE } else { "" };
        sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {MAILBOX_COLUMNS} FROM mailboxes \
             WHERE workspace_id = $1 AND lower(address) = lower($2){lock}"
        )))
        .bind(ws)
        .bind(address.as_str().to_owned())
        .fetch_optional(conn)
        .await
        .ctx("load a mailbox")
    }

    /// Binds a statement of the [`INSERT_SQL`] shape.
    fn bind_mailbox<'q>(
        query: QueryAs<'q, Self, MailboxRow, Self::Arguments>,
        cipher: &SecretCipher,
        (id, ws): (MailboxId, WorkspaceId),
        spec: &MailboxSpec,
        now: DateTime<Utc>,
        warmup_started_on: Option<NaiveDate>,
    ) -> QueryAs<'q, Self, MailboxRow, Self::Arguments> {
        let imap = spec.imap.as_ref();
        query
            .bind(id)
            .bind(ws)
            .bind(spec.address.as_str().to_owned())
            .bind(spec.from_name.clone())
            .bind(spec.signature.clone())
            .bind(spec.smtp.host.clone())
            .bind(i32::from(spec.smtp.port))
            .bind(spec.smtp.security.as_str())
            .bind(spec.smtp.username.clone())
            .bind(cipher.encrypt(
                SecretPurpose::SmtpPassword,
                spec.smtp.password.expose_secret(),
            ))
            .bind(imap.map(|s| s.host.clone()))
            .bind(imap.map(|s| i32::from(s.port)))
            .bind(imap.map(|s| s.security.as_str()))
            .bind(imap.map(|s| s.username.clone()))
            .bind(
                imap.map(|s| {
                    cipher.encrypt(SecretPurpose::ImapPassword, s.password.expose_secret())
                }),
            )
            .bind(cap(spec.daily_cap))
            .bind(spec.hourly_cap.map(cap))
            .bind(duration_ms(spec.min_gap))
            .bind(duration_ms(spec.max_gap))
            .bind(spec.warmup.map(|w| cap(w.start_per_day)))
            .bind(spec.warmup.map(|w| cap(w.increment_per_day)))
            .bind(spec.timezone.clone())
            .bind(Self::time(now))
            .bind(warmup_started_on)
    }

    /// Creates the mailbox, updates it where it differs from `spec`, or leaves it alone; run
    /// inside the backend's transaction.
    async fn upsert_mailbox(
        conn: &mut Self::Connection,
        cipher: &SecretCipher,
        ws: WorkspaceId,
        spec: &MailboxSpec,
        now: DateTime<Utc>,
    ) -> Result<Upserted<Mailbox>, StoreError> {
        let existing = match Self::mailbox_by_address(&mut *conn, ws, &spec.address, true).await? {
            Some(row) => row,
            None => {
                let query = sqlx::query_as(AssertSqlSafe(format!(
                    "{INSERT_SQL} RETURNING {MAILBOX_COLUMNS}"
                )));
                let ids = (MailboxId::new(), ws);
                let start = Some(spec.warmup_start(now));
                let inserted = Self::bind_mailbox(query, cipher, ids, spec, now, start)
                    .fetch_optional(&mut *conn)
                    .await
                    .ctx("create a mailbox")?;
                if let Some(row) = inserted {
                    return Ok(Upserted {
                        value: Mailbox::try_from(&row)?,
                        change: Change::Created,
                    });
                }
                // Another writer created it between our lookup and insert: update theirs.
                Self::mailbox_by_address(&mut *conn, ws, &spec.address, true)
                    .await?
                    .ok_or_else(|| StoreError::not_found("mailbox", spec.address.as_str()))?
            }
        };
        let current = Mailbox::try_from(&existing)?;
        // Credentials the current key cannot decrypt can never match: overwrite them.
        let unchanged =
            credentials(cipher, &existing).is_ok_and(|creds| current.matches_spec(spec, &creds));
        if unchanged {
            return Ok(Upserted {
                value: current,
                change: Change::Unchanged,
            });
        }
        let query = sqlx::query_as(AssertSqlSafe(format!(
            "{UPDATE_SQL} RETURNING {MAILBOX_COLUMNS}"
        )));
        let ids = (existing.id, ws);
        let row = Self::bind_mailbox(query, cipher, ids, spec, now, spec.warmup_started_on)
            .fetch_one(conn)
            .await
            .ctx("update a mailbox")?;
        Ok(Upserted {
            value: Mailbox::try_from(&row)?,
            change: Change::Updated,
        })
    }

    /// The product `name` names in `ws`, deleted or not, locked where the backend locks rows.
    async fn product_for_update(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        name: &str,
    ) -> Result<Option<ExistingProduct>, StoreError> {
        sqlx::query_as(AssertSqlSafe(format!(
            "SELECT {PRODUCT_COLUMNS}, deleted_at IS NOT NULL AS deleted \
             FROM products WHERE workspace_id = $1 AND name = $2{}",
            Self::FOR_UPDATE
        )))
        .bind(ws)
        .bind(name.to_owned())
        .fetch_optional(conn)
        .await
        .ctx("load a product for update")
    }

    async fn upsert_product(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        spec: &ProductSpec,
        now: DateTime<Utc>,
    ) -> Result<Upserted<Product>, StoreError> {
        let existing = match Self::product_for_update(&mut *conn, ws, &spec.name).await? {
            Some(existing) => existing,
            None => {
                let inserted: Option<ProductRow> = sqlx::query_as(AssertSqlSafe(format!(
                    "INSERT INTO products (id, workspace_id, name, description, \
                         source_file_name, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $6) \
                     ON CONFLICT (workspace_id, name) DO NOTHING RETURNING {PRODUCT_COLUMNS}"
                )))
                .bind(ProductId::new())
                .bind(ws)
                .bind(spec.name.clone())
                .bind(spec.description.clone())
                .bind(spec.source_file_name.clone())
                .bind(Self::time(now))
                .fetch_optional(&mut *conn)
                .await
                .ctx("create a product")?;
                if let Some(row) = inserted {
                    return Ok(Upserted {
                        value: row.into(),
                        change: Change::Created,
                    });
                }
                // Created concurrently by another writer: fall through to compare with theirs.
                Self::product_for_update(&mut *conn, ws, &spec.name)
                    .await?
                    .ok_or_else(|| StoreError::not_found("product", spec.name.as_str()))?
            }
        };
        let current = Product::from(existing.product);
        if !existing.deleted
            && current.description == spec.description
            && current.source_file_name == spec.source_file_name
        {
            return Ok(Upserted {
                value: current,
                change: Change::Unchanged,
            });
        }
        let row: ProductRow = sqlx::query_as(AssertSqlSafe(format!(
            "UPDATE products SET description = $3, source_file_name = $4, deleted_at = NULL, \
                 updated_at = $5 \
             WHERE id = $1 AND workspace_id = $2 RETURNING {PRODUCT_COLUMNS}"
        )))
        .bind(current.id)
        .bind(ws)
        .bind(spec.description.clone())
        .bind(spec.source_file_name.clone())
        .bind(Self::time(now))
        .fetch_one(conn)
        .await
        .ctx("update a product")?;
        Ok(Upserted {
            value: row.into(),
            change: Change::Updated,
        })
    }

    /// The campaign's name, or `NotFound` when it is not in the workspace.
    async fn campaign_name(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        campaign: CampaignId,
    ) -> Result<String, StoreError> {
        let name: Option<String> =
            sqlx::query_scalar("SELECT name FROM campaigns WHERE workspace_id = $1 AND id = $2")
                .bind(ws)
                .bind(campaign)
                .fetch_optional(conn)
                .await
                .ctx("look up a campaign")?;
        name.ok_or_else(|| StoreError::not_found("campaign", campaign.to_string()))
    }

    /// Sets the status; a campaign that already has it is not written (its `updated_at`, which
    /// the supervisor watches, stays). `NotFound` when the campaign is not in the workspace.
    async fn set_campaign_status(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        campaign: CampaignId,
        status: CampaignStatus,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE campaigns SET status = $3, updated_at = $4 \
             WHERE workspace_id = $1 AND id = $2 AND status <> $3",
        )
        .bind(ws)
        .bind(campaign)
        .bind(status.as_str().to_owned())
        .bind(Self::time(now))
        .execute(&mut *conn)
        .await
        .ctx("change a campaign's status")?;
        if Self::rows_affected(&done) == 0 {
            // Either it already had this status (fine) or it is not ours (not found).
            Self::campaign_name(conn, ws, campaign).await?;
        }
        Ok(())
    }

    /// The campaign's pool in pool order, each mailbox with its active enrolments in this
    /// campaign, for [`assign_least_loaded`](crate::store::rows::assign_least_loaded).
    /// `Conflict` when the pool is empty: nobody could send to the leads.
    async fn enrolment_pool(
        conn: &mut Self::Connection,
        campaign: CampaignId,
        name: &str,
    ) -> Result<Vec<(MailboxId, u64)>, StoreError> {
        let rows: Vec<(MailboxId, i64)> = sqlx::query_as(
            "SELECT cm.mailbox_id, \
                 (SELECT count(*) FROM campaign_leads cl WHERE cl.campaign_id = cm.campaign_id \
                     AND cl.mailbox_id = cm.mailbox_id AND cl.status = 'active') \
             FROM campaign_mailboxes cm WHERE cm.campaign_id = $1 ORDER BY cm.position",
        )
        .bind(campaign)
        .fetch_all(conn)
        .await
        .ctx("load a campaign's mailbox loads")?;
        if rows.is_empty() {
            return Err(StoreError::Conflict(format!(
                "campaign {name:?} has no mailboxes in its pool; add at least one before enrolling leads"
            )));
        }
        Ok(rows
            .into_iter()
            .map(|(id, n)| (id, u64::try_from(n).unwrap_or(0)))
            .collect())
    }

    /// Run Now: scheduled active leads are due at `now`. Parked ones (no due time: an unknown
    /// outcome awaiting reconciliation) stay parked.
    async fn run_now(
        conn: &mut Self::Connection,
        ws: WorkspaceId,
        campaign: CampaignId,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let done = sqlx::query(
            "UPDATE campaign_leads SET next_scheduled_at = $3, updated_at = $3 \
             WHERE workspace_id = $1 AND campaign_id = $2 AND status = 'active' \
                 AND next_scheduled_at IS NOT NULL",
        )
        .bind(ws)
        .bind(campaign)
        .bind(Self::time(now))
        .execute(conn)
        .await
        .ctx("make a campaign's leads due now")?;
        Ok(Self::rows_affected(&done))
    }
}

impl CatalogSql for sqlx::Postgres {}
impl CatalogSql for sqlx::Sqlite {}
