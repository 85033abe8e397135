//! One run: a fresh SQLite file, the schedule seeded, the daemon started, measured until every
//! lead was sent.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{TimeDelta, Utc};
use outreachd::domain::{
    CampaignSpec, CampaignStatus, EmailAddress, HumanDuration, NewLead, SendingRules, StepSpec,
};
use outreachd::startup::{Application, RunOptions, open_store};
use outreachd::store::OpenMode;
use sqlx::Connection;

use crate::Options;
use crate::model::SlowModel;

/// Any 32 bytes: the bench's databases are thrown away.
const BENCH_KEY_BASE64: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// The schedule starts this long after seeding, so the daemon is up before the first lead.
const LEAD_TIME: Duration = Duration::from_secs(5);
/// Leads enrolled per due time.
const CHUNK: usize = 10;

pub struct RunResult {
    pub sends_per_second: f64,
    pub waited_share: f64,
    pub mean_wait: f64,
    pub late_p50: f64,
    pub late_p99: f64,
    pub model_calls: usize,
}

pub async fn run(
    opts: &Options,
    sink_port: u16,
    model: &SlowModel,
    ahead: &str,
) -> anyhow::Result<RunResult> {
    let dir = tempfile::tempdir().context("Failed to create a temp dir")?;
    let db = dir.path().join("outreachd.db");
    let url = format!("sqlite://{}", db.display());
    let data_dir = dir.path().join("data").to_string_lossy().into_owned();
    let concurrency = opts.concurrency.to_string();
    let base_url = model.uri();
    let mut env: HashMap<String, String> = [
        ("OUTREACHD__SERVER__HOST", "127.0.0.1"),
        ("OUTREACHD__SERVER__PORT", "0"),
        ("OUTREACHD__DATABASE__URL", url.as_str()),
        ("OUTREACHD__SECURITY__ENCRYPTION_KEY", BENCH_KEY_BASE64),
        ("OUTREACHD__DAEMON__DATA_DIR", data_dir.as_str()),
        ("OUTREACHD__DAEMON__RECONCILE_INTERVAL", "100ms"),
        ("OUTREACHD__LOG__LEVEL", "warn"),
        ("OUTREACHD__DISPATCH__COMPLETION_FLUSH", "10ms"),
        (
            "OUTREACHD__DISPATCH__GENERATION_CONCURRENCY",
            concurrency.as_str(),
        ),
        ("OUTREACHD__DISPATCH__GENERATE_AHEAD", ahead),
        ("OUTREACHD__CONTENT__PROVIDER", "openai_compatible"),
        ("OUTREACHD__CONTENT__ON_FAILURE", "fail"),
        (
            "OUTREACHD__AI__OPENAI_COMPATIBLE__BASE_URL",
            base_url.as_str(),
        ),
        ("OUTREACHD__AI__OPENAI_COMPATIBLE__MODEL", "bench-model"),
        // The provider's slots are the bound: claims and the writer-ahead share them.
        (
            "OUTREACHD__AI__OPENAI_COMPATIBLE__CONCURRENCY",
            concurrency.as_str(),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    env.extend(opts.overrides.iter().cloned());
    let settings = outreachd::config::load(&[], &env)
        .context("Bench settings are invalid")?
        .settings;

    // The leads fall due at a share of what the generation slots allow (infinite: a backlog,
    // every lead due at the start).
    let rate = opts.due_share * f64::from(opts.concurrency) / opts.latency.as_secs_f64();
    let rate = if rate > 0.0 { rate } else { f64::INFINITY };
    let start = Utc::now() + TimeDelta::from_std(LEAD_TIME)?;
    let (workspace, campaign) = {
        let store = open_store(&settings, OpenMode::Tool).await?;
        seed(store.as_ref(), opts, sink_port, start, rate).await?
    };
    let horizon = HumanDuration::parse(&opts.ahead)
        .map_err(|e| anyhow::anyhow!("BENCH_AHEAD: {e}"))?
        .as_duration();
    let calls_before = model.calls.load(Ordering::Relaxed);

    let app = Application::build_with(settings, RunOptions::default())
        .await
        .context("Failed to build the application")?;
    let metrics_url = format!("http://127.0.0.1:{}/metrics", app.port());
    let store = app.store();
    let shutdown = app.shutdown_token();
    let server = tokio::spawn(app.run_until_stopped());

    // Counted from the end of the first horizon: the leads due before it could not be
    // written ahead in either run.
    let cut = start + TimeDelta::from_std(horizon)?;
    sleep_until(cut).await;
    let before = scrape(&metrics_url).await?;
    let limit = Instant::now() + Duration::from_secs(120) + opts.latency * opts.leads as u32;
    loop {
        let sent = store
            .campaign_by_id(workspace, campaign)
            .await?
            .map_or(0, |c| c.emails_sent);
        if sent >= opts.leads as u64 {
            break;
        }
        if Instant::now() > limit {
            bail!("only {sent} of {} sent in time", opts.leads);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let done = Utc::now();
    let after = scrape(&metrics_url).await?;
    shutdown.cancel();
    drop(store);
    server.await??;

    let delta = |name: &str| after.get(name).unwrap_or(&0.0) - before.get(name).unwrap_or(&0.0);
    let ready = |when: &str| delta(&format!("outreachd_content_ready_total{{when=\"{when}\"}}"));
    let total = ready("ahead") + ready("waited") + ready("at_claim");
    let mut late = lateness(&url, start, rate).await?;
    late.sort_by(f64::total_cmp);
    let at = |q: f64| late.get(((late.len() as f64 - 1.0) * q) as usize).copied();
    Ok(RunResult {
        sends_per_second: opts.leads as f64 / (done - start).as_seconds_f64(),
        waited_share: (ready("waited") + ready("at_claim")) / total.max(1.0),
        mean_wait: delta("outreachd_content_wait_seconds_sum") / total.max(1.0),
        late_p50: at(0.5).unwrap_or(0.0),
        late_p99: at(0.99).unwrap_or(0.0),
        model_calls: model.calls.load(Ordering::Relaxed) - calls_before,
    })
}

async fn sleep_until(t: chrono::DateTime<Utc>) {
    if let Ok(wait) = (t - Utc::now()).to_std() {
        tokio::time::sleep(wait).await;
    }
}

/// Every unlabelled-or-labelled sample line of a Prometheus text scrape, by series.
async fn scrape(url: &str) -> anyhow::Result<HashMap<String, f64>> {
    let text = reqwest::get(url).await?.text().await?;
    Ok(text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            Some((series.to_owned(), value.parse().ok()?))
        })
        .collect())
}

/// Seconds from each lead's due time (from its place in the schedule) to its send.
async fn lateness(url: &str, start: chrono::DateTime<Utc>, rate: f64) -> anyhow::Result<Vec<f64>> {
    let mut conn = sqlx::SqliteConnection::connect(url).await?;
    let sent: Vec<(String, chrono::DateTime<Utc>)> = sqlx::query_as(
        "SELECT l.email, es.sent_at FROM email_sends es \
         JOIN campaign_leads cl ON cl.id = es.campaign_lead_id JOIN leads l ON l.id = cl.lead_id \
         WHERE es.state = 'sent'",
    )
    .fetch_all(&mut conn)
    .await
    .context("Failed to read the send times")?;
    conn.close().await?;
    sent.into_iter()
        .map(|(email, at)| {
            let i: usize = email
                .strip_prefix("lead")
                .and_then(|r| r.split('@').next())
                .and_then(|n| n.parse().ok())
                .context("a lead address outside the schedule")?;
            let offset = (i / CHUNK * CHUNK) as f64 / rate;
            Ok((at - start).as_seconds_f64() - offset)
        })
        .collect()
}

async fn seed(
    store: &dyn outreachd::store::Store,
    opts: &Options,
    sink_port: u16,
    start: chrono::DateTime<Utc>,
    rate: f64,
) -> anyhow::Result<(
    outreachd::domain::WorkspaceId,
    outreachd::domain::CampaignId,
)> {
    let ws = store.upsert_workspace("bench").await?.value;
    let mut pool = Vec::with_capacity(opts.mailboxes);
    for i in 0..opts.mailboxes {
        let spec = crate::mailbox::sink_mailbox(i, sink_port)?;
        pool.push(store.upsert_mailbox(ws.id, &spec).await?.value.id);
    }
    let campaign = CampaignSpec {
        name: "Bench".into(),
        goal: "Book a call".into(),
        ai: Default::default(),
        product_id: None,
        status: Some(CampaignStatus::Running),
        rules: SendingRules::default(),
        mailbox_ids: pool,
        steps: vec![StepSpec {
            delay: HumanDuration::ZERO,
            subject_template: Some("A thought for {{ company }}".into()),
            body_template: "Hi {{ first_name }},\n\nA short draft.\n\n{{ sender.signature }}"
                .into(),
            ai_instructions: Some("Mention their hiring.".into()),
        }],
    };
    let campaign = store.upsert_campaign(ws.id, &campaign).await?.value;
    let leads: Vec<NewLead> = (0..opts.leads)
        .map(|i| {
            Ok(NewLead {
                email: Some(EmailAddress::parse(&format!("lead{i}@rcpt.test"))?),
                first_name: Some(format!("Lead{i}")),
                company: Some(format!("Company{}", i % 97)),
                ..NewLead::default()
            })
        })
        .collect::<anyhow::Result<_>>()?;
    let ids: Vec<_> = store
        .insert_leads(ws.id, &leads)
        .await?
        .iter()
        .map(|r| r.id())
        .collect();
    for (n, chunk) in ids.chunks(CHUNK).enumerate() {
        let offset = (n * CHUNK) as f64 / rate;
        let due = start + TimeDelta::from_std(Duration::from_secs_f64(offset))?;
        store.enroll_leads(ws.id, campaign.id, chunk, due).await?;
    }
    Ok((ws.id, campaign.id))
}
