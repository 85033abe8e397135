//! Seeding campaigns whose mailboxes point at a sink, and reading what the sink received.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::Utc;
use outreachd::domain::{
    CampaignId, CampaignSpec, CampaignStatus, EmailAddress, HumanDuration, MailboxSpec, NewLead,
    SendingRules, ServerSpec, SmtpSecurity, StepSpec, WorkspaceId, WorkspaceSummary,
};
use outreachd::store::Store;
use secrecy::SecretString;

pub struct Seeded {
    pub workspace: WorkspaceId,
    pub campaign: CampaignId,
}

pub fn step(delay: &str, subject: Option<&str>, body: &str) -> StepSpec {
    StepSpec {
        delay: HumanDuration::parse(delay).unwrap(),
        subject_template: subject.map(str::to_owned),
        body_template: body.to_owned(),
        ai_instructions: None,
    }
}

/// A running campaign with `mailboxes` mailboxes (unpaced, high caps) sending to `port`, and
/// `leads` enrolled leads named lead<i>@rcpt.test.
pub async fn seed(
    store: &dyn Store,
    port: u16,
    mailboxes: usize,
    leads: usize,
    steps: Vec<StepSpec>,
) -> Seeded {
    seed_with(store, port, mailboxes, leads, steps, |_, l| l).await
}

/// Like [`seed`], with the campaign's sending rules given.
pub async fn seed_with_rules(
    store: &dyn Store,
    port: u16,
    mailboxes: usize,
    leads: usize,
    steps: Vec<StepSpec>,
    rules: SendingRules,
) -> Seeded {
    seed_full(store, port, mailboxes, leads, steps, rules, |_, l| l).await
}

pub async fn seed_with(
    store: &dyn Store,
    port: u16,
    mailboxes: usize,
    leads: usize,
    steps: Vec<StepSpec>,
    tweak: impl Fn(usize, NewLead) -> NewLead,
) -> Seeded {
    seed_full(
        store,
        port,
        mailboxes,
        leads,
        steps,
        SendingRules::default(),
        tweak,
    )
    .await
}

async fn seed_full(
    store: &dyn Store,
    port: u16,
    mailboxes: usize,
    leads: usize,
    steps: Vec<StepSpec>,
    rules: SendingRules,
    tweak: impl Fn(usize, NewLead) -> NewLead,
) -> Seeded {
    let plan = SeedPlan {
        lead: Box::new(tweak),
        rules,
        ..SeedPlan::new(mailboxes, leads, steps)
    };
    seed_plan(store, port, plan).await
}

/// Everything [`seed_plan`] can vary: each mailbox's limits, the campaign's sending rules and
/// each lead's fields. [`SeedPlan::new`] gives what [`seed`] uses.
pub struct SeedPlan<'a> {
    pub mailboxes: usize,
    pub leads: usize,
    pub steps: Vec<StepSpec>,
    pub rules: SendingRules,
    /// Adjusts mailbox `i` (unpaced, cap 100,000, UTC by default).
    pub mailbox: MailboxTweak<'a>,
    /// Adjusts lead `i` (lead<i>@rcpt.test by default).
    pub lead: LeadTweak<'a>,
}

/// Sets what mailbox `i` of the pool differs in.
pub type MailboxTweak<'a> = Box<dyn Fn(usize, &mut MailboxSpec) + 'a>;

/// Turns the default lead `i` into the one to seed.
pub type LeadTweak<'a> = Box<dyn Fn(usize, NewLead) -> NewLead + 'a>;

impl SeedPlan<'_> {
    pub fn new(mailboxes: usize, leads: usize, steps: Vec<StepSpec>) -> Self {
        Self {
            mailboxes,
            leads,
            steps,
            rules: SendingRules::default(),
            mailbox: Box::new(|_, _| {}),
            lead: Box::new(|_, l| l),
        }
    }
}

/// Mailbox `i` of a seeded pool: sender<i>@acme.test on the sink at `port`, unpaced, with a
/// cap nobody reaches.
pub fn mailbox_spec(i: usize, port: u16) -> MailboxSpec {
    MailboxSpec {
        address: EmailAddress::parse(&format!("sender{i}@acme.test")).unwrap(),
        from_name: format!("Sender {i}"),
        signature: format!("Sender {i}\nAcme"),
        smtp: ServerSpec {
            host: "127.0.0.1".into(),
            port,
            security: SmtpSecurity::Plain,
            username: String::new(),
            password: SecretString::from(String::new()),
        },
        imap: None,
        daily_cap: 100_000,
        hourly_cap: None,
        min_gap: HumanDuration::ZERO,
        max_gap: HumanDuration::ZERO,
        warmup: None,
        warmup_started_on: None,
        timezone: "UTC".into(),
    }
}

/// A running campaign seeded from `plan`, its mailboxes sending to `port`, its leads enrolled
/// and due now.
pub async fn seed_plan(store: &dyn Store, port: u16, plan: SeedPlan<'_>) -> Seeded {
    let ws = store.upsert_workspace("acme").await.unwrap().value;
    let mut pool = Vec::new();
    for i in 0..plan.mailboxes {
        let mut spec = mailbox_spec(i, port);
        (plan.mailbox)(i, &mut spec);
        pool.push(store.upsert_mailbox(ws.id, &spec).await.unwrap().value.id);
    }
    let campaign = CampaignSpec {
        name: "Q4".into(),
        goal: "Book a call".into(),
        ai: Default::default(),
        product_id: None,
        status: Some(CampaignStatus::Running),
        rules: plan.rules,
        mailbox_ids: pool,
        steps: plan.steps,
    };
    let campaign = store.upsert_campaign(ws.id, &campaign).await.unwrap().value;
    let new: Vec<NewLead> = (0..plan.leads)
        .map(|i| {
            (plan.lead)(
                i,
                NewLead {
                    email: Some(EmailAddress::parse(&format!("lead{i}@rcpt.test")).unwrap()),
                    first_name: Some(format!("Lead{i}")),
                    company: Some(format!("Company{}", i % 7)),
                    ..NewLead::default()
                },
            )
        })
        .collect();
    let ids: Vec<_> = store
        .insert_leads(ws.id, &new)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id())
        .collect();
    store
        .enroll_leads(ws.id, campaign.id, &ids, Utc::now())
        .await
        .unwrap();
    Seeded {
        workspace: ws.id,
        campaign: campaign.id,
    }
}

pub async fn summary(store: &dyn Store, ws: WorkspaceId) -> WorkspaceSummary {
    store.workspace_summary(ws, Utc::now()).await.unwrap()
}

/// Waits until `done(summary)` holds, failing after `limit`.
pub async fn wait_for(
    store: &dyn Store,
    ws: WorkspaceId,
    limit: Duration,
    done: impl Fn(&WorkspaceSummary) -> bool,
) -> WorkspaceSummary {
    let start = Instant::now();
    loop {
        let s = summary(store, ws).await;
        if done(&s) {
            return s;
        }
        assert!(start.elapsed() < limit, "timed out; last summary: {s:#?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Waits (up to 20 s) until one of the workspace's mailboxes is cooling down.
pub async fn wait_until_a_mailbox_cools(store: &dyn Store, ws: WorkspaceId) -> WorkspaceSummary {
    wait_until_a_mailbox_is(store, ws, "cooling", Duration::from_secs(20)).await
}

/// Waits (up to 30 s) until one of the workspace's mailboxes is paused for an operator.
pub async fn wait_until_a_mailbox_pauses(store: &dyn Store, ws: WorkspaceId) -> WorkspaceSummary {
    wait_until_a_mailbox_is(store, ws, "paused", Duration::from_secs(30)).await
}

async fn wait_until_a_mailbox_is(
    store: &dyn Store,
    ws: WorkspaceId,
    state: &str,
    limit: Duration,
) -> WorkspaceSummary {
    wait_for(store, ws, limit, |s| {
        s.mailboxes.iter().any(|m| m.status.to_string() == state)
    })
    .await
}

/// Leads of the first campaign by status, e.g. {"completed": 200}.
pub fn lead_states(s: &WorkspaceSummary) -> BTreeMap<String, u64> {
    s.campaigns[0]
        .leads_by_status
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect()
}

/// One received message's header block (unfolded, lower-case names).
pub struct Received {
    pub headers: Vec<(String, String)>,
}

impl Received {
    pub fn parse(dump: &str) -> Self {
        let message = super::sink::message(dump);
        let head = message
            .split_once("\r\n\r\n")
            .or_else(|| message.split_once("\n\n"))
            .map_or(message, |(h, _)| h);
        let mut headers: Vec<(String, String)> = Vec::new();
        for line in head.lines() {
            if line.starts_with(' ') || line.starts_with('\t') {
                if let Some(last) = headers.last_mut() {
                    last.1.push(' ');
                    last.1.push_str(line.trim());
                }
            } else if let Some((name, value)) = line.split_once(':') {
                headers.push((name.trim().to_lowercase(), value.trim().to_owned()));
            }
        }
        Self { headers }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn count(&self, name: &str) -> usize {
        self.headers.iter().filter(|(n, _)| n == name).count()
    }
}
