//! What the supervisor and the actors read and set around the step contract: which campaigns
//! have work and when, which mailboxes must run, a mailbox's usage and state, a campaign's
//! new-lead count, Run Now, and lookups by id.
//!
//! Each is one statement whatever the number of campaigns or mailboxes, and each is served by
//! an index (0001 `campaign_leads_due`, 0002 `email_sends_mailbox_counted` and, narrowed by 0005,
//! `email_sends_campaign_new`), so the query rate and cost do not grow with idle work.

use super::*;
use crate::store::Dispatch;
use crate::store::sql::operator::OperatorSql;
use crate::store::sql::reads::Reads;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::domain::{
    CampaignDue, CampaignId, Mailbox, MailboxId, MailboxStateChange, MailboxUsage,
};
use crate::store::{QueryContext, StoreError};

/// The backend, for the statements shared in `store::sql`.
type Sql = sqlx::Postgres;

#[async_trait]
impl Dispatch for PgStore {
    /// Running campaigns with the earliest due time of their active leads: a LATERAL-style
    /// subquery per campaign reads the first entry of the partial index `campaign_leads_due`.
    async fn campaigns_due(&self) -> Result<Vec<CampaignDue>, StoreError> {
        Sql::campaigns_due(&mut *self.read().await?).await
    }

    async fn claim_due(&self, req: &ClaimRequest) -> Result<Vec<ClaimedSend>, StoreError> {
        dispatch_claim::claim_due(&self.pool, req).await
    }

    async fn texts_to_write(&self, req: &PrefetchRequest) -> Result<Vec<PrefetchJob>, StoreError> {
        dispatch_prefetch::texts_to_write(&self.pool, req).await
    }

    async fn save_generated_many(
        &self,
        items: &[GeneratedFor],
    ) -> Result<Vec<GeneratedMessage>, StoreError> {
        dispatch_generated::save_generated_many(&self.pool, items).await
    }

    async fn mark_sending(
        &self,
        send: &SendRef,
        message_id: &str,
        now: DateTime<Utc>,
        lease_for: chrono::TimeDelta,
    ) -> Result<bool, StoreError> {
        dispatch_send::mark_sending(&self.pool, send, message_id, now, lease_for).await
    }

    async fn mark_sending_many(
        &self,
        sends: &[(SendRef, String)],
        now: DateTime<Utc>,
        lease_for: chrono::TimeDelta,
    ) -> Result<Vec<bool>, StoreError> {
        dispatch_send::mark_sending_many(&self.pool, sends, now, lease_for).await
    }

    async fn complete_sends(
        &self,
        completions: &[Completion],
        now: DateTime<Utc>,
    ) -> Result<CompletionReport, StoreError> {
        dispatch_complete::complete_sends(&self.pool, completions, now).await
    }

    async fn expire_leases(&self, now: DateTime<Utc>) -> Result<ExpiryReport, StoreError> {
        dispatch_send::expire_leases(&self.pool, now).await
    }

    async fn mailbox_usage(
        &self,
        mailbox: MailboxId,
        local_date: chrono::NaiveDate,
        since: DateTime<Utc>,
    ) -> Result<MailboxUsage, StoreError> {
        let pool = &self.pool;
        let (sent_today, last_hour): (i32, Vec<DateTime<Utc>>) = sqlx::query_as(
            "SELECT COALESCE((SELECT sent FROM mailbox_daily_counts \
                 WHERE mailbox_id = $1 AND local_date = $2), 0), \
             ARRAY(SELECT sent_at FROM email_sends WHERE mailbox_id = $1 \
                 AND state IN ('sent', 'unknown') AND sent_at >= $3 ORDER BY sent_at)",
        )
        .bind(mailbox)
        .bind(local_date)
        .bind(since)
        .fetch_one(pool)
        .await
        .ctx("load a mailbox's usage")?;
        Ok(MailboxUsage {
            sent_today: u32::try_from(sent_today).unwrap_or(0),
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
        let mut conn = self.read().await?;
        Sql::set_mailbox_state(&mut conn, None, mailbox, change, Utc::now()).await
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
        let pool = &self.pool;
        let n: i64 = sqlx::query_scalar(
            "SELECT (SELECT count(*) FROM email_sends WHERE campaign_id = $1 AND step_order = 1 \
                 AND sent_at >= $2 AND state IN ('sent', 'unknown', 'bounced')) \
             + (SELECT count(*) FROM email_sends WHERE state IN ('claimed', 'sending') \
                 AND (state = 'sending' OR lease_expires_at >= $2) \
                 AND campaign_id = $1 AND step_order = 1) \
             + (SELECT count(*) FROM campaign_leads cl WHERE cl.campaign_id = $1 \
                 AND cl.status = 'active' AND cl.next_scheduled_at > $3 \
                 AND cl.next_scheduled_at <= $4 AND cl.current_step_order = 1 \
                 AND cl.lease_token IS NOT NULL AND cl.lease_expires_at >= $2 \
                 AND (SELECT 1 FROM email_sends es WHERE es.campaign_lead_id = cl.id \
                     AND es.step_order = 1 AND es.state IN ('claimed', 'sending') \
                     LIMIT 1) IS NULL)",
        )
        .bind(campaign)
        .bind(since)
        .bind(now)
        .bind(now + claim_lease)
        .fetch_one(pool)
        .await
        .ctx("count a campaign's new leads sent")?;
        Ok(u32::try_from(n).unwrap_or(u32::MAX))
    }
}
