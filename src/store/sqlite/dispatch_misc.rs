//! What the supervisor and the actors read and set around the step contract: which campaigns
//! have work and when, which mailboxes must run, a mailbox's usage and state, a campaign's
//! new-lead count and Run Now. (Lookups by id live with their tables.)
//!
//! Each is one statement (or one snapshot) whatever the number of campaigns or mailboxes, and
//! each is served by an index (0001 `campaign_leads_due` and `email_sends_open`, 0002
//! `email_sends_mailbox_counted` and `email_sends_campaign_new`). SQLite uses a partial index
//! only when the query repeats its WHERE terms, hence the redundant-looking `state IN (...)`.

use super::*;
use crate::store::Dispatch;
use crate::store::sql::operator::OperatorSql;
use crate::store::sql::reads::Reads;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteConnection;

use super::{SqliteStore, day, ts};
use crate::domain::{
    CampaignDue, CampaignId, Mailbox, MailboxId, MailboxStateChange, MailboxUsage,
};
use crate::store::{QueryContext, StoreError};

/// The backend, for the statements shared in `store::sql`.
type Sql = sqlx::Sqlite;

/// A mailbox's sends (sent or unknown) since ?2, through `email_sends_mailbox_counted`.
pub(super) const RECENT_SENDS_SQL: &str = "SELECT sent_at FROM email_sends WHERE mailbox_id = ? \
    AND state IN ('sent', 'unknown') AND sent_at >= ? ORDER BY sent_at";

/// Step-1 sends since ?2, plus those in flight (`sending` has no send time yet), plus live claims
/// not yet marked (they have no send row). The first count reads `email_sends_campaign_new`,
/// the second the few in-flight rows of `email_sends_open` (named: without statistics SQLite
/// would prefer the campaign's index and walk every step-1 send the campaign ever made; it also
/// counts `claimed` rows an earlier version's claim left), the third the campaign's leads
/// due in (?3, ?4], now and the latest a live claim's lease can end: a claim moved their due
/// time to its lease expiry.
pub(super) const NEW_LEADS_SQL: &str = "SELECT \
        (SELECT count(*) FROM email_sends WHERE campaign_id = ?1 AND step_order = 1 \
            AND sent_at >= ?2 AND state IN ('sent', 'unknown', 'bounced')) \
      + (SELECT count(*) FROM email_sends INDEXED BY email_sends_open \
            WHERE state IN ('claimed', 'sending', 'unknown') \
            AND (state = 'sending' OR (state = 'claimed' AND lease_expires_at >= ?2)) \
            AND campaign_id = ?1 AND step_order = 1) \
      + (SELECT count(*) FROM campaign_leads cl INDEXED BY campaign_leads_due \
            WHERE cl.campaign_id = ?1 AND cl.status = 'active' \
            AND cl.next_scheduled_at > ?3 AND cl.next_scheduled_at <= ?4 \
            AND cl.current_step_order = 1 AND cl.lease_token IS NOT NULL \
            AND cl.lease_expires_at >= ?2 \
            AND NOT EXISTS (SELECT 1 FROM email_sends es WHERE es.campaign_lead_id = cl.id \
                AND es.step_order = 1 AND es.state IN ('claimed', 'sending')))";

pub(super) async fn new_leads_sent_since(
    conn: &mut SqliteConnection,
    campaign: CampaignId,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    claim_lease: chrono::TimeDelta,
) -> Result<u32, StoreError> {
    let n: i64 = sqlx::query_scalar(NEW_LEADS_SQL)
        .bind(campaign)
        .bind(ts(since))
        .bind(ts(now))
        .bind(ts(now + claim_lease))
        .fetch_one(conn)
        .await
        .ctx("count a campaign's new leads sent")?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

#[async_trait]
impl Dispatch for SqliteStore {
    /// Running campaigns with the earliest due time of their active leads: a subquery per campaign
    /// reads the first entry of the partial index `campaign_leads_due`.
    async fn campaigns_due(&self) -> Result<Vec<CampaignDue>, StoreError> {
        Sql::campaigns_due(&mut *self.read().await?).await
    }

    async fn claim_due(&self, req: &ClaimRequest) -> Result<Vec<ClaimedSend>, StoreError> {
        dispatch_claim::claim_due(self, req).await
    }

    async fn texts_to_write(&self, req: &PrefetchRequest) -> Result<Vec<PrefetchJob>, StoreError> {
        dispatch_prefetch::texts_to_write(self, req).await
    }

    async fn save_generated_many(
        &self,
        items: &[GeneratedFor],
    ) -> Result<Vec<GeneratedMessage>, StoreError> {
        dispatch_generated::save_generated_many(self, items).await
    }

    async fn mark_sending(
        &self,
        send: &SendRef,
        message_id: &str,
        now: DateTime<Utc>,
        lease_for: chrono::TimeDelta,
    ) -> Result<bool, StoreError> {
        dispatch_send::mark_sending(self, send, message_id, now, lease_for).await
    }

    async fn mark_sending_many(
        &self,
        sends: &[(SendRef, String)],
        now: DateTime<Utc>,
        lease_for: chrono::TimeDelta,
    ) -> Result<Vec<bool>, StoreError> {
        dispatch_send::mark_sending_many(self, sends, now, lease_for).await
    }

    async fn complete_sends(
        &self,
        completions: &[Completion],
        now: DateTime<Utc>,
    ) -> Result<CompletionReport, StoreError> {
        dispatch_complete::complete_sends(self, completions, now).await
    }

    async fn expire_leases(&self, now: DateTime<Utc>) -> Result<ExpiryReport, StoreError> {
        dispatch_send::expire_leases(self, now).await
    }

    /// The day count and the recent send times, read in one snapshot.
    async fn mailbox_usage(
        &self,
        mailbox: MailboxId,
        local_date: chrono::NaiveDate,
        since: DateTime<Utc>,
    ) -> Result<MailboxUsage, StoreError> {
        let mut tx = self.snapshot().await?;
        let sent_today: Option<i64> = sqlx::query_scalar(
            "SELECT sent FROM mailbox_daily_counts WHERE mailbox_id = ? AND local_date = ?",
        )
        .bind(mailbox)
        .bind(day(local_date))
        .fetch_optional(&mut *tx)
        .await
        .ctx("load a mailbox's day count")?;
        let last_hour: Vec<DateTime<Utc>> = sqlx::query_scalar(RECENT_SENDS_SQL)
            .bind(mailbox)
            .bind(ts(since))
            .fetch_all(&mut *tx)
            .await
            .ctx("load a mailbox's recent sends")?;
        Ok(MailboxUsage {
            sent_today: u32::try_from(sent_today.unwrap_or(0)).unwrap_or(0),
            last_hour,
        })
    }

    /// Mailboxes in the pool of at least one running campaign (all workspaces).
    async fn dispatch_mailboxes(&self) -> Result<Vec<Mailbox>, StoreError> {
        Sql::dispatch_mailboxes(&mut *self.read().await?).await
    }

    /// `NotFound` when the mailbox does not exist (it may have been deleted under its actor).
    async fn set_mailbox_state(
        &self,
        mailbox: MailboxId,
        change: &MailboxStateChange,
    ) -> Result<(), StoreError> {
        let mut tx = self.begin_write().await?;
        Sql::set_mailbox_state(tx.conn(), None, mailbox, change, Utc::now()).await?;
        tx.commit().await
    }

    async fn campaigns_changed_at(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Sql::campaigns_changed_at(&mut *self.read().await?).await
    }

    async fn new_leads_sent_since(
        &self,
        campaign: CampaignId,
        since: DateTime<Utc>,
        now: DateTime<Utc>,
        claim_lease: chrono::TimeDelta,
    ) -> Result<u32, StoreError> {
        new_leads_sent_since(&mut *self.read().await?, campaign, since, now, claim_lease).await
    }
}
