//! The role impls that read the same on both backends: each method takes a connection or a write
//! transaction from the store and runs the shared statements of `store::sql`. [`shared_roles!`]
//! writes them once and stamps them for each store type (`Workspaces`, `Mailboxes`, `Products`,
//! `Campaigns`, `Inbound`, `Operator`, `Reports`, `Access`).
//!
//! A macro rather than one generic impl: the shared statement traits state their bounds as
//! where-clauses, which Rust does not carry into a generic caller, and their futures are not
//! provably `Send` there; stamped for a concrete store, every type is known.
//!
//! What a store offers the stamped code (inherent methods, the same names on both backends):
//! - `read()`: a pooled connection for one statement;
//! - `snapshot()`: a connection for several reads that belong together (on SQLite a read
//!   transaction, so they see one state; on PostgreSQL a pooled connection);
//! - `begin_write()`: a write transaction, with `conn()` and `commit()`;
//! - `one_write()`: what one write statement runs in, with the same two methods (on PostgreSQL
//!   an autocommit connection whose `commit` does nothing; on SQLite a write transaction, since
//!   every write queues for the write lock);
//! - `upsert_campaign_in(ws, spec)`: the campaign upsert, whose bulk statements differ;
//! - a `cipher` field.
//!
//! Units that PostgreSQL may abort to break a deadlock run under `deadlock::retrying`; SQLite
//! never reports one, so there it runs once.

/// Stamps the shared role impls for `$store` over the sqlx database `$db`.
macro_rules! shared_roles {
    ($store:ty, $db:ty) => {
        const _: () = {
            use async_trait::async_trait;
            use chrono::{DateTime, NaiveDate, Utc};

            use $crate::domain::*;
            use $crate::store::sql::access::AccessSql;
            use $crate::store::sql::catalog::{CatalogSql, credentials};
            use $crate::store::sql::inbound::InboundSql;
            use $crate::store::sql::operator::{OperatorSql, operator_state};
            use $crate::store::sql::pollers::PollerSql;
            use $crate::store::sql::reads::Reads;
            use $crate::store::sql::summary::SummarySql;
            use $crate::store::{deadlock::retrying, *};

            type Sql = $db;

            #[async_trait]
            impl Workspaces for $store {
                async fn upsert_workspace(
                    &self,
                    name: &str,
                ) -> Result<Upserted<Workspace>, StoreError> {
                    // Most calls find it already there: answer those without a write.
                    if let Some(found) =
                        Sql::workspace_by_name(&mut *self.read().await?, name).await?
                    {
                        return Ok(Upserted {
                            value: found,
                            change: Change::Unchanged,
                        });
                    }
                    let mut tx = self.begin_write().await?;
                    let upserted = Sql::upsert_workspace(tx.conn(), name, Utc::now()).await?;
                    tx.commit().await?;
                    Ok(upserted)
                }

                async fn workspace_by_name(
                    &self,
                    name: &str,
                ) -> Result<Option<Workspace>, StoreError> {
                    Sql::workspace_by_name(&mut *self.read().await?, name).await
                }

                async fn list_workspaces(&self) -> Result<Vec<Workspace>, StoreError> {
                    Sql::list_workspaces(&mut *self.read().await?).await
                }
            }

            #[async_trait]
            impl Mailboxes for $store {
                async fn upsert_mailbox(
                    &self,
                    ws: WorkspaceId,
                    spec: &MailboxSpec,
                ) -> Result<Upserted<Mailbox>, StoreError> {
                    let mut tx = self.begin_write().await?;
                    Sql::ensure_workspace(tx.conn(), ws).await?;
                    let upserted =
                        Sql::upsert_mailbox(tx.conn(), &self.cipher, ws, spec, Utc::now()).await?;
                    tx.commit().await?;
                    Ok(upserted)
                }

                async fn list_mailboxes(
                    &self,
                    ws: WorkspaceId,
                ) -> Result<Vec<Mailbox>, StoreError> {
                    Sql::list_mailboxes(&mut *self.read().await?, ws).await
                }

                async fn mailbox_by_address(
                    &self,
                    ws: WorkspaceId,
                    address: &EmailAddress,
                ) -> Result<Option<Mailbox>, StoreError> {
                    Sql::mailbox_by_address(&mut *self.read().await?, ws, address, false)
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
                        Some(row) => credentials(&self.cipher, &row),
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

            #[async_trait]
            impl Products for $store {
                async fn upsert_product(
                    &self,
                    ws: WorkspaceId,
                    spec: &ProductSpec,
                ) -> Result<Upserted<Product>, StoreError> {
                    let mut tx = self.begin_write().await?;
                    Sql::ensure_workspace(tx.conn(), ws).await?;
                    let upserted = Sql::upsert_product(tx.conn(), ws, spec, Utc::now()).await?;
                    tx.commit().await?;
                    Ok(upserted)
                }

                async fn product_by_name(
                    &self,
                    ws: WorkspaceId,
                    name: &str,
                ) -> Result<Option<Product>, StoreError> {
                    Sql::product_by_name(&mut *self.read().await?, ws, name).await
                }

                /// A soft-deleted product is absent, as it is for `product_by_name`.
                async fn product_by_id(
                    &self,
                    ws: WorkspaceId,
                    id: ProductId,
                ) -> Result<Option<Product>, StoreError> {
                    Sql::product_by_id(&mut *self.read().await?, ws, id).await
                }
            }

            #[async_trait]
            impl Campaigns for $store {
                async fn upsert_campaign(
                    &self,
                    ws: WorkspaceId,
                    spec: &CampaignSpec,
                ) -> Result<Upserted<Campaign>, StoreError> {
                    self.upsert_campaign_in(ws, spec).await
                }

                async fn campaign_by_name(
                    &self,
                    ws: WorkspaceId,
                    name: &str,
                ) -> Result<Option<Campaign>, StoreError> {
                    Sql::campaign_by_name(&mut *self.snapshot().await?, ws, name).await
                }

                async fn list_campaigns(
                    &self,
                    ws: WorkspaceId,
                ) -> Result<Vec<Campaign>, StoreError> {
                    Sql::list_campaigns(&mut *self.snapshot().await?, ws).await
                }

                async fn campaign_steps(
                    &self,
                    ws: WorkspaceId,
                    campaign: CampaignId,
                ) -> Result<Vec<Step>, StoreError> {
                    let mut conn = self.snapshot().await?;
                    Sql::campaign_name(&mut *conn, ws, campaign).await?;
                    Sql::steps_of(&mut *conn, campaign).await
                }

                async fn set_campaign_status(
                    &self,
                    ws: WorkspaceId,
                    campaign: CampaignId,
                    status: CampaignStatus,
                ) -> Result<(), StoreError> {
                    let mut tx = self.begin_write().await?;
                    Sql::set_campaign_status(tx.conn(), ws, campaign, status, Utc::now()).await?;
                    tx.commit().await
                }

                async fn campaign_by_id(
                    &self,
                    ws: WorkspaceId,
                    id: CampaignId,
                ) -> Result<Option<Campaign>, StoreError> {
                    Sql::campaign_by_id(&mut *self.snapshot().await?, ws, id).await
                }
            }

            #[async_trait]
            impl Inbound for $store {
                async fn inbound_mailboxes(
                    &self,
                ) -> Result<Vec<(Mailbox, InboundOptions)>, StoreError> {
                    Sql::inbound_mailboxes(&mut *self.read().await?).await
                }

                async fn set_inbound_options(
                    &self,
                    ws: WorkspaceId,
                    mailbox: MailboxId,
                    options: &InboundOptions,
                ) -> Result<(), StoreError> {
                    let mut unit = self.one_write().await?;
                    Sql::set_inbound_options(unit.conn(), ws, mailbox, options).await?;
                    unit.commit().await
                }

                async fn inbound_options(
                    &self,
                    ws: WorkspaceId,
                    mailbox: MailboxId,
                ) -> Result<Option<InboundOptions>, StoreError> {
                    Sql::inbound_options(&mut *self.read().await?, ws, mailbox).await
                }

                async fn imap_checkpoints(
                    &self,
                    mailbox: MailboxId,
                ) -> Result<Vec<ImapCheckpoint>, StoreError> {
                    Sql::imap_checkpoints(&mut *self.read().await?, mailbox).await
                }

                async fn save_imap_checkpoint(
                    &self,
                    mailbox: MailboxId,
                    checkpoint: &ImapCheckpoint,
                ) -> Result<(), StoreError> {
                    let mut unit = self.one_write().await?;
                    Sql::save_imap_checkpoint(unit.conn(), mailbox, checkpoint, Utc::now()).await?;
                    unit.commit().await
                }

                async fn set_imap_status(
                    &self,
                    mailbox: MailboxId,
                    status: &ImapStatus,
                ) -> Result<(), StoreError> {
                    let mut unit = self.one_write().await?;
                    Sql::set_imap_status(unit.conn(), mailbox, status).await?;
                    unit.commit().await
                }

                async fn imap_status(
                    &self,
                    ws: WorkspaceId,
                    mailbox: MailboxId,
                ) -> Result<Option<ImapStatus>, StoreError> {
                    Sql::imap_status(&mut *self.read().await?, ws, mailbox).await
                }

                async fn mailbox_leads(
                    &self,
                    mailbox: MailboxId,
                ) -> Result<MailboxLeads, StoreError> {
                    Sql::mailbox_leads(&mut *self.read().await?, mailbox).await
                }

                async fn record_inbound(
                    &self,
                    record: &InboundRecord,
                ) -> Result<InboundOutcome, StoreError> {
                    retrying(|| async move {
                        let mut tx = self.begin_write().await?;
                        let out = Sql::record_inbound(tx.conn(), record).await?;
                        tx.commit().await?;
                        Ok(out)
                    })
                    .await
                }

                async fn mailbox_bounce_rate(
                    &self,
                    mailbox: MailboxId,
                    window: u32,
                ) -> Result<BounceRate, StoreError> {
                    Sql::mailbox_bounce_rate(&mut *self.read().await?, mailbox, window).await
                }

                async fn mailboxes_with_unknown_sends(&self) -> Result<Vec<MailboxId>, StoreError> {
                    Sql::mailboxes_with_unknown_sends(&mut *self.read().await?).await
                }

                async fn unknown_sends(
                    &self,
                    mailbox: MailboxId,
                ) -> Result<Vec<UnknownSend>, StoreError> {
                    Sql::unknown_sends(&mut *self.read().await?, mailbox).await
                }

                async fn resolve_unknown_send(
                    &self,
                    mailbox: MailboxId,
                    send: SendId,
                    resolution: UnknownResolution,
                    now: DateTime<Utc>,
                ) -> Result<bool, StoreError> {
                    retrying(|| async move {
                        let mut tx = self.begin_write().await?;
                        let done =
                            Sql::resolve_unknown_send(tx.conn(), mailbox, send, resolution, now)
                                .await?;
                        tx.commit().await?;
                        Ok(done)
                    })
                    .await
                }
            }

            #[async_trait]
            impl Operator for $store {
                async fn set_mailbox_paused(
                    &self,
                    ws: WorkspaceId,
                    mailbox: MailboxId,
                    reason: &str,
                    now: DateTime<Utc>,
                ) -> Result<(), StoreError> {
                    let state = operator_state(Some(reason));
                    let mut unit = self.one_write().await?;
                    Sql::set_mailbox_state(unit.conn(), Some(ws), mailbox, &state, now).await?;
                    unit.commit().await
                }

                async fn set_mailbox_active(
                    &self,
                    ws: WorkspaceId,
                    mailbox: MailboxId,
                    now: DateTime<Utc>,
                ) -> Result<(), StoreError> {
                    let state = operator_state(None);
                    let mut unit = self.one_write().await?;
                    Sql::set_mailbox_state(unit.conn(), Some(ws), mailbox, &state, now).await?;
                    unit.commit().await
                }

                async fn mailbox_sent_on(
                    &self,
                    ws: WorkspaceId,
                    mailbox: MailboxId,
                    local_date: NaiveDate,
                ) -> Result<u32, StoreError> {
                    Sql::mailbox_sent_on(&mut *self.read().await?, ws, mailbox, local_date).await
                }

                async fn unknown_sends_in(
                    &self,
                    ws: WorkspaceId,
                    filter: &UnknownFilter,
                ) -> Result<Vec<UnknownSendInfo>, StoreError> {
                    Sql::unknown_sends_in(&mut *self.read().await?, ws, filter).await
                }

                async fn resolve_unknown_as_sent(
                    &self,
                    ws: WorkspaceId,
                    send: SendId,
                    next: NextStep,
                    now: DateTime<Utc>,
                ) -> Result<bool, StoreError> {
                    let mut tx = self.begin_write().await?;
                    let resolved =
                        Sql::resolve_unknown_as_sent(tx.conn(), ws, send, next, now).await?;
                    tx.commit().await?;
                    Ok(resolved)
                }

                async fn resolve_unknown_as_resend(
                    &self,
                    ws: WorkspaceId,
                    send: SendId,
                    now: DateTime<Utc>,
                ) -> Result<bool, StoreError> {
                    let mut tx = self.begin_write().await?;
                    let resolved = Sql::resolve_unknown_as_resend(tx.conn(), ws, send, now).await?;
                    tx.commit().await?;
                    Ok(resolved)
                }
            }

            #[async_trait]
            impl Reports for $store {
                async fn workspace_summary(
                    &self,
                    ws: WorkspaceId,
                    now: DateTime<Utc>,
                ) -> Result<WorkspaceSummary, StoreError> {
                    <Sql as SummarySql>::workspace_summary(&mut *self.snapshot().await?, ws, now)
                        .await
                }

                async fn send_results(
                    &self,
                    ws: WorkspaceId,
                    campaign: CampaignId,
                    since: DateTime<Utc>,
                ) -> Result<Vec<SendResult>, StoreError> {
                    Sql::send_results(&mut *self.read().await?, ws, campaign, since).await
                }

                async fn enrolment_state(
                    &self,
                    ws: WorkspaceId,
                    campaign: CampaignId,
                    lead: LeadId,
                ) -> Result<Option<EnrolmentState>, StoreError> {
                    Sql::enrolment_state(&mut *self.read().await?, ws, campaign, lead).await
                }

                async fn due_backlog(
                    &self,
                    now: DateTime<Utc>,
                    cap: u32,
                ) -> Result<u64, StoreError> {
                    Sql::due_backlog(&mut *self.read().await?, now, cap).await
                }
            }
            #[async_trait]
            impl Access for $store {
                async fn create_user(
                    &self,
                    email: &EmailAddress,
                    password_hash: &str,
                    now: DateTime<Utc>,
                ) -> Result<User, StoreError> {
                    let mut unit = self.one_write().await?;
                    let user = Sql::create_user(unit.conn(), email, password_hash, now).await?;
                    unit.commit().await?;
                    Ok(user)
                }

                async fn user_by_email(
                    &self,
                    email: &EmailAddress,
                ) -> Result<Option<(User, String)>, StoreError> {
                    Sql::user_by_email(&mut *self.read().await?, email).await
                }

                async fn set_membership(
                    &self,
                    ws: WorkspaceId,
                    user: UserId,
                    role: Role,
                    now: DateTime<Utc>,
                ) -> Result<(), StoreError> {
                    let mut unit = self.one_write().await?;
                    Sql::set_membership(unit.conn(), ws, user, role, now).await?;
                    unit.commit().await
                }

                async fn list_members(&self, ws: WorkspaceId) -> Result<Vec<Member>, StoreError> {
                    Sql::list_members(&mut *self.read().await?, ws).await
                }

                async fn remove_membership(
                    &self,
                    ws: WorkspaceId,
                    user: UserId,
                    now: DateTime<Utc>,
                ) -> Result<bool, StoreError> {
                    let mut tx = self.begin_write().await?;
                    let removed = Sql::remove_membership(tx.conn(), ws, user).await?;
                    Sql::revoke_sessions(tx.conn(), ws, user, now).await?;
                    tx.commit().await?;
                    Ok(removed)
                }

                async fn revoke_sessions(
                    &self,
                    ws: WorkspaceId,
                    user: UserId,
                    now: DateTime<Utc>,
                ) -> Result<(), StoreError> {
                    let mut unit = self.one_write().await?;
                    Sql::revoke_sessions(unit.conn(), ws, user, now).await?;
                    unit.commit().await
                }

                async fn memberships(&self, user: UserId) -> Result<Vec<Membership>, StoreError> {
                    Sql::memberships(&mut *self.read().await?, user).await
                }

                async fn insert_token(&self, token: &NewToken) -> Result<(), StoreError> {
                    let mut unit = self.one_write().await?;
                    Sql::insert_token(unit.conn(), token).await?;
                    unit.commit().await
                }

                async fn tokens_by_prefix(
                    &self,
                    prefix: &str,
                ) -> Result<Vec<TokenCandidate>, StoreError> {
                    Sql::tokens_by_prefix(&mut *self.read().await?, prefix).await
                }

                async fn touch_token(
                    &self,
                    id: TokenId,
                    now: DateTime<Utc>,
                ) -> Result<(), StoreError> {
                    let mut unit = self.one_write().await?;
                    Sql::touch_token(unit.conn(), id, now).await?;
                    unit.commit().await
                }

                async fn list_tokens(&self, ws: WorkspaceId) -> Result<Vec<TokenInfo>, StoreError> {
                    Sql::list_tokens(&mut *self.read().await?, ws).await
                }

                async fn revoke_token(
                    &self,
                    ws: WorkspaceId,
                    id: TokenId,
                    now: DateTime<Utc>,
                ) -> Result<bool, StoreError> {
                    let mut unit = self.one_write().await?;
                    let done = Sql::revoke_token(unit.conn(), ws, id, now).await?;
                    unit.commit().await?;
                    Ok(done)
                }
            }
        };
    };
}

pub(crate) use shared_roles;
