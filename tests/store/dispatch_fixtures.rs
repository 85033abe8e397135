//! Shared set-up for the dispatch (step contract) tests: a running campaign with enrolled leads,
//! claim requests, completions and the SQL views the trait has no reader for.

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use outreachd::domain::{
    CampaignId, CampaignStatus, ClaimRequest, ClaimedSend, Completion, GeneratedMessage, LeadId,
    MailboxId, NextStep, ThreadInfo, WorkspaceId,
};
use outreachd::store::Store;

use crate::fixtures::{campaign_spec, leads, mailbox, workspace};
use crate::sql;
use crate::support::{TestBackend, TestStore, test_store};

/// How long test claims hold.
pub const LEASE: TimeDelta = TimeDelta::minutes(5);

/// The current time in whole seconds, so times survive both backends' storage unchanged.
pub fn base() -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp(), 0).expect("in range")
}

pub fn minutes(n: i64) -> TimeDelta {
    TimeDelta::minutes(n)
}

/// A store with one workspace, one mailbox and a running campaign of `steps` steps, with
/// `addresses` enrolled and due at `due`.
pub struct Setup {
    pub ts: TestStore,
    pub ws: WorkspaceId,
    pub mailbox: MailboxId,
    pub campaign: CampaignId,
    pub leads: Vec<LeadId>,
}

impl Setup {
    pub async fn new(backend: TestBackend, addresses: &[&str], due: DateTime<Utc>) -> Self {
        let ts = test_store(backend).await;
        let ws = workspace(&*ts.store, "acme").await;
        let mailbox = mailbox(&*ts.store, ws, "sender@example.com").await;
        let campaign = running_campaign(&*ts.store, ws, "Launch", vec![mailbox], 3).await;
        let leads = leads(&*ts.store, ws, addresses).await;
        ts.store
            .enroll_leads(ws, campaign, &leads, due)
            .await
            .expect("enrol");
        Self {
            ts,
            ws,
            mailbox,
            campaign,
            leads,
        }
    }

    pub fn store(&self) -> &dyn Store {
        &*self.ts.store
    }

    /// A claim at `now` of at most `max_rows`, with no cap on new leads beyond that.
    pub fn request(&self, now: DateTime<Utc>, max_rows: u32) -> ClaimRequest {
        ClaimRequest {
            workspace_id: self.ws,
            campaign_id: self.campaign,
            now,
            lease_for: LEASE,
            max_rows,
            max_new_leads: max_rows,
            mailboxes: None,
        }
    }

    pub async fn claim(&self, now: DateTime<Utc>, max_rows: u32) -> Vec<ClaimedSend> {
        self.store()
            .claim_due(&self.request(now, max_rows))
            .await
            .expect("claim")
    }

    /// Claims, marks as sending and completes as sent every due lead, moving each to `next`.
    pub async fn send_all(&self, now: DateTime<Utc>, next: NextStep) -> Vec<ClaimedSend> {
        let claimed = self.claim(now, 1_000).await;
        let mut done = Vec::new();
        for c in &claimed {
            assert!(
                self.store()
                    .mark_sending(&c.send, &message_id(c), now, LEASE)
                    .await
                    .unwrap()
            );
            done.push(sent(c, now, next));
        }
        let report = self.store().complete_sends(&done, now).await.unwrap();
        assert_eq!(report.applied as usize, claimed.len(), "{report:?}");
        claimed
    }

    /// `campaign email status` of every enrolment, in byte order (collations differ).
    pub async fn statuses(&self, backend: TestBackend) -> Vec<String> {
        let rows = sql::counts(
            backend,
            &self.ts,
            "SELECT c.name || ' ' || l.email || ' ' || cl.status, count(*) FROM campaign_leads cl \
             JOIN leads l ON l.id = cl.lead_id JOIN campaigns c ON c.id = cl.campaign_id \
             GROUP BY c.name, l.email, cl.status",
        )
        .await;
        let mut rows: Vec<String> = rows.into_iter().map(|(s, _)| s).collect();
        rows.sort();
        rows
    }
}

pub async fn running_campaign(
    store: &dyn Store,
    ws: WorkspaceId,
    name: &str,
    pool: Vec<MailboxId>,
    steps: usize,
) -> CampaignId {
    let id = store
        .upsert_campaign(ws, &campaign_spec(name, pool, steps))
        .await
        .expect("upsert campaign")
        .value
        .id;
    store
        .set_campaign_status(ws, id, CampaignStatus::Running)
        .await
        .expect("start campaign");
    id
}

pub fn message_id(c: &ClaimedSend) -> String {
    format!("<{}@example.com>", c.send.send_id)
}

pub fn day(at: DateTime<Utc>) -> NaiveDate {
    at.date_naive()
}

/// A `Sent` completion at `at`; step 1 starts the thread.
pub fn sent(c: &ClaimedSend, at: DateTime<Utc>, next: NextStep) -> Completion {
    Completion::Sent {
        send: c.send,
        message_id: message_id(c),
        reply: "250 2.0.0 Ok: queued".into(),
        sent_at: at,
        thread: (c.step_order == 1).then(|| ThreadInfo {
            message_id: message_id(c),
            first_subject: format!("Hello {}", c.lead.email),
        }),
        next,
        count_date: day(at),
    }
}

pub fn retry(c: &ClaimedSend, at: DateTime<Utc>, counts_as_attempt: bool) -> Completion {
    Completion::Retry {
        send: c.send,
        at,
        reason: "451 4.3.0 try again later".into(),
        counts_as_attempt,
    }
}

/// A stored text with `subject`, as the template provider would store it.
pub fn generated(subject: &str) -> GeneratedMessage {
    GeneratedMessage {
        subject: subject.into(),
        body_text: format!("{subject} body"),
        body_html: None,
        provider: "template".into(),
        model: Some("none".into()),
        prompt_tokens: 12,
        completion_tokens: 34,
        cost_usd: 0.5,
    }
}
