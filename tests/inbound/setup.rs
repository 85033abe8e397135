//! A daemon with one IMAP-enabled mailbox and a running two-step campaign, and the views of
//! its state the tests wait on.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use outreachd::domain::{
    CampaignId, CampaignSpec, CampaignStatus, EmailAddress, InboundOptions, MailboxId, NewLead,
    SendingRules, StepSpec, WorkspaceId,
};
use outreachd::store::Store;
use sqlx::Connection;

use crate::fixtures::{Received, step};
use crate::helpers::{TestApp, spawn_app_with};
use crate::peers::{FAST_IMAP, Peers};
use crate::sink::Sink;
use crate::support::TestBackend;

/// How long any eventual condition may take on a loaded 2-core machine (never a speed claim).
pub const PATIENCE: Duration = Duration::from_secs(60);

pub struct World {
    pub app: TestApp,
    pub sink: Sink,
    pub sender: String,
    pub ws: WorkspaceId,
    pub mailbox: MailboxId,
    pub campaign: CampaignId,
    pub started: DateTime<Utc>,
}

/// A daemon whose campaign sends `steps` from a new Dovecot user (its mailbox reading IMAP
/// with `imap_password`) to `leads` through a sink started with `sink_faults`.
pub async fn world(
    backend: TestBackend,
    peers: &Peers,
    leads: &[String],
    steps: Vec<StepSpec>,
    imap_password: &str,
    sink_faults: &[&str],
) -> World {
    world_with(
        backend,
        peers,
        leads,
        steps,
        imap_password,
        sink_faults,
        &[],
    )
    .await
}

/// [`world`] with extra daemon settings (`OUTREACHD__…` overrides, later wins).
pub async fn world_with(
    backend: TestBackend,
    peers: &Peers,
    leads: &[String],
    steps: Vec<StepSpec>,
    imap_password: &str,
    sink_faults: &[&str],
    settings: &[(&str, &str)],
) -> World {
    build(
        backend,
        peers,
        leads,
        steps,
        imap_password,
        sink_faults,
        settings,
        None,
    )
    .await
}

/// [`world`] whose mailbox has these inbound options. The campaign starts paused (its mailbox
/// is polled all the same) and runs once the poller has logged in, so the first send already
/// finds the poller.
pub async fn world_with_options(
    backend: TestBackend,
    peers: &Peers,
    leads: &[String],
    steps: Vec<StepSpec>,
    options: InboundOptions,
) -> World {
    build(
        backend,
        peers,
        leads,
        steps,
        &peers.password,
        &[],
        &[],
        Some(options),
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn build(
    backend: TestBackend,
    peers: &Peers,
    leads: &[String],
    steps: Vec<StepSpec>,
    imap_password: &str,
    sink_faults: &[&str],
    settings: &[(&str, &str)],
    options: Option<InboundOptions>,
) -> World {
    let sink = Sink::start(sink_faults).await;
    let overrides: Vec<(&str, &str)> = FAST_IMAP.iter().chain(settings).copied().collect();
    let app = spawn_app_with(backend, &overrides).await;
    let started = Utc::now();
    let sender = peers.add_user("sender");
    let store = app.store.as_ref();
    let ws = store.upsert_workspace("acme").await.unwrap().value.id;
    let spec = peers.mailbox_spec(&sender, sink.port, imap_password);
    let mailbox = store.upsert_mailbox(ws, &spec).await.unwrap().value.id;
    if let Some(options) = &options {
        store
            .set_inbound_options(ws, mailbox, options)
            .await
            .unwrap();
    }
    let mut campaign = CampaignSpec {
        name: "Q4".into(),
        goal: "Book a call".into(),
        ai: Default::default(),
        product_id: None,
        status: Some(if options.is_some() {
            CampaignStatus::Paused
        } else {
            CampaignStatus::Running
        }),
        rules: SendingRules::default(),
        mailbox_ids: vec![mailbox],
        steps,
    };
    let campaign_id = store.upsert_campaign(ws, &campaign).await.unwrap().value.id;
    let new: Vec<NewLead> = leads
        .iter()
        .map(|l| NewLead {
            email: Some(EmailAddress::parse(l).unwrap()),
            first_name: Some("Lead".into()),
            company: Some("Rcpt".into()),
            ..NewLead::default()
        })
        .collect();
    let ids: Vec<_> = store
        .insert_leads(ws, &new)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id())
        .collect();
    store
        .enroll_leads(ws, campaign_id, &ids, Utc::now())
        .await
        .unwrap();
    let w = World {
        app,
        sink,
        sender,
        ws,
        mailbox,
        campaign: campaign_id,
        started,
    };
    if options.is_some() {
        w.eventually("the poller logged in", || async {
            w.store()
                .imap_status(ws, mailbox)
                .await
                .unwrap()
                .filter(|s| s.status == "ok")
        })
        .await;
        campaign.status = Some(CampaignStatus::Running);
        w.store().upsert_campaign(ws, &campaign).await.unwrap();
    }
    w.app.supervisor.notify();
    w
}

/// Two steps: "Hello" now, then a follow-up `delay` later.
pub fn two_steps(delay: &str) -> Vec<StepSpec> {
    vec![
        step("0s", Some("Hello {{ first_name }}"), "Step one."),
        step(delay, None, "Step two."),
    ]
}

impl World {
    pub fn store(&self) -> &dyn Store {
        self.app.store.as_ref()
    }

    /// Waits until `check` returns `Some`, failing with `what` after [`PATIENCE`].
    pub async fn eventually<T, F, Fut>(&self, what: &str, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Option<T>>,
    {
        let start = Instant::now();
        loop {
            if let Some(v) = check().await {
                return v;
            }
            assert!(start.elapsed() < PATIENCE, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Send rows by (lead email, step) → state.
    pub async fn sends(&self) -> BTreeMap<(String, u32), String> {
        self.store()
            .send_results(
                self.ws,
                self.campaign,
                self.started - chrono::TimeDelta::hours(1),
            )
            .await
            .unwrap()
            .into_iter()
            .map(|r| ((r.email, r.step_order), r.state.to_string()))
            .collect()
    }

    /// Lead email → campaign lead status.
    pub async fn lead_status(&self) -> BTreeMap<String, String> {
        self.query_pairs(
            "SELECT l.email, cl.status FROM campaign_leads cl JOIN leads l ON l.id = cl.lead_id",
        )
        .await
        .into_iter()
        .collect()
    }

    /// Engagement events by kind.
    pub async fn events(&self) -> BTreeMap<String, i64> {
        self.query_pairs("SELECT kind, CAST(count(*) AS TEXT) FROM engagement_events GROUP BY kind")
            .await
            .into_iter()
            .map(|(k, n)| (k, n.parse().unwrap()))
            .collect()
    }

    pub async fn query_pairs(&self, sql: &'static str) -> Vec<(String, String)> {
        let url = &self.app.database_url;
        if url.starts_with("postgres") {
            let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
            sqlx::query_as(sql).fetch_all(&mut conn).await.expect(sql)
        } else {
            let mut conn = sqlx::SqliteConnection::connect(url).await.expect("connect");
            sqlx::query_as(sql).fetch_all(&mut conn).await.expect(sql)
        }
    }

    /// The messages the sink received, once at least `n` are there.
    pub async fn received(&self, n: usize) -> Vec<Received> {
        let dumps = self.sink.dumps(n).await;
        dumps.iter().map(|d| Received::parse(d)).collect()
    }

    /// Step 1's (Message-ID, Subject) sent to `lead`.
    /// Waits until at least `n` sends of the campaign are `sent`.
    pub async fn wait_until_sent(&self, n: usize) {
        self.eventually("step 1 sent", || async {
            (self.sends().await.values().filter(|s| *s == "sent").count() >= n).then_some(())
        })
        .await;
    }

    /// Delivers a reply from `lead` to the sender's INBOX, threaded under `message_id`.
    pub async fn reply_arrives(
        &self,
        peers: &Peers,
        lead: &str,
        subject: &str,
        message_id: &str,
        body: &str,
    ) {
        let raw = crate::messages::reply(lead, &self.sender, subject, message_id, body);
        peers.append(&self.sender, "INBOX", &raw).await;
    }

    pub async fn step_one_to(&self, lead: &str, all: usize) -> (String, String) {
        let received = self.received(all).await;
        let m = received
            .iter()
            .find(|r| r.header("to").is_some_and(|t| t.contains(lead)))
            .unwrap_or_else(|| panic!("no message to {lead}"));
        (
            m.header("message-id").unwrap().to_owned(),
            m.header("subject").unwrap().to_owned(),
        )
    }
}

/// A new lead address at the leads' domain.
pub fn lead(tag: &str) -> String {
    format!(
        "{tag}-{}@rcpt.test",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}
