//! The whole daemon: one running campaign of one step over M unpaced mailboxes that point at
//! the sink, L enrolled leads, the template provider (instant, no network). Timed from
//! `Application::build_with` until every lead is `completed`, with the process's CPU.
//!
//! Seeding goes through the `Store` API before the daemon starts, so it is not timed.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::Utc;
use outreachd::config::Settings;
use outreachd::domain::{
    CampaignId, CampaignSpec, CampaignStatus, EmailAddress, HumanDuration, NewLead, SendingRules,
    StepSpec, WorkspaceId,
};
use outreachd::startup::{Application, RunOptions, open_store};
use outreachd::store::{OpenMode, Store};

use crate::cpu::{CpuSample, ticks_of, ticks_to_us};
use crate::pg;
use crate::report::{Measurement, count};

/// Any 32 bytes: the bench's databases are thrown away.
const BENCH_KEY_BASE64: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
/// Leads per `insert_leads` / `enroll_leads` call, as the CSV importer sends them.
const SEED_BATCH: usize = 5_000;

#[derive(Clone, Debug)]
pub struct E2eOptions {
    pub leads: usize,
    pub mailboxes: usize,
    pub sink_port: u16,
    pub poll: Duration,
    /// Sample `pg_stat_activity` every this long (PostgreSQL only); `None`: no sampler.
    pub pg_sample: Option<Duration>,
    /// Run `ANALYZE` after seeding. Off, the planner sees tables it has no statistics for (as
    /// on a first run, until autovacuum's first pass); on, it sees an analysed database.
    pub analyze: bool,
    /// Suppressed addresses to seed (plus a tenth as many domains), none matching a lead.
    pub suppressions: usize,
    /// `OUTREACHD__*` overrides from the environment, applied last.
    pub overrides: Vec<(String, String)>,
}

pub enum Database {
    Postgres {
        admin_url: String,
        /// `ALTER DATABASE … SET` pairs for the bench database (experiments, profiling).
        settings: Vec<(String, String)>,
    },
    Sqlite,
}

/// Runs the daemon end to end on a fresh database of the given kind (dropped afterwards).
pub async fn run(db: &Database, opts: &E2eOptions) -> anyhow::Result<Measurement> {
    let dir = tempfile::tempdir().context("Failed to create a temp dir")?;
    match db {
        Database::Sqlite => {
            let url = format!("sqlite://{}", dir.path().join("outreachd.db").display());
            let (m, _) = run_on(&url, &dir, opts, None).await?;
            Ok(m)
        }
        Database::Postgres {
            admin_url,
            settings,
        } => {
            let (name, url) = pg::create_database(admin_url, settings).await?;
            let result = run_postgres(admin_url, &name, &url, &dir, opts).await;
            pg::drop_database(admin_url, &name).await?;
            result
        }
    }
}

async fn run_postgres(
    admin_url: &str,
    name: &str,
    url: &str,
    dir: &tempfile::TempDir,
    opts: &E2eOptions,
) -> anyhow::Result<Measurement> {
    let (m, baseline) = run_on(url, dir, opts, Some((admin_url, name))).await?;
    let after = pg::counters_when_quiet(admin_url, name).await?;
    let delta = after.minus(&baseline.unwrap_or_default());
    let n = m.messages.max(1) as f64;
    let busy_backends = delta.active_time_ms / 1000.0 / m.wall_seconds.max(1e-9);
    Ok(m.with("pg_commits_per_send", delta.xact_commit as f64 / n)
        .with("pg_statement_ms_per_send", delta.active_time_ms / n)
        .with("pg_statement_busy_backends", busy_backends)
        .with("pg_rows_inserted_per_send", delta.tup_inserted as f64 / n)
        .with("pg_rows_updated_per_send", delta.tup_updated as f64 / n)
        .with(
            "pg_buffer_pages_per_send",
            (delta.blks_hit + delta.blks_read) as f64 / n,
        )
        .with("pg_wal_records_per_send", delta.wal_records as f64 / n)
        .with("pg_wal_bytes_per_send", delta.wal_bytes as f64 / n)
        .with("pg_counters", delta))
}

fn settings(url: &str, dir: &tempfile::TempDir, opts: &E2eOptions) -> anyhow::Result<Settings> {
    let data_dir = dir.path().join("data").to_string_lossy().into_owned();
    let mut env: HashMap<String, String> = [
        ("OUTREACHD__SERVER__HOST", "127.0.0.1"),
        ("OUTREACHD__SERVER__PORT", "0"),
        ("OUTREACHD__DATABASE__URL", url),
        ("OUTREACHD__SECURITY__ENCRYPTION_KEY", BENCH_KEY_BASE64),
        ("OUTREACHD__DAEMON__DATA_DIR", data_dir.as_str()),
        ("OUTREACHD__DAEMON__RECONCILE_INTERVAL", "100ms"),
        ("OUTREACHD__DAEMON__SHUTDOWN_TIMEOUT_SECONDS", "10"),
        ("OUTREACHD__LOG__LEVEL", "warn"),
        ("OUTREACHD__DISPATCH__COMPLETION_FLUSH", "10ms"),
        // Unpaced mailboxes mark up to this many queued sends `sending` per commit. The
        // default (16) bounds what a crash can leave `unknown`; an operator running unpaced
        // high-volume mailboxes raises it, and so does the bench (in one pair of runs on
        // PostgreSQL, 64 gave 4,137 sends/s and 256 gave 4,747; see docs/performance.md).
        ("OUTREACHD__DISPATCH__SENDING_BATCH", "256"),
        ("OUTREACHD__DISPATCH__MAX_CLAIM_BATCH", "2000"),
        ("OUTREACHD__DISPATCH__MAILBOX_QUEUE", "1000"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    env.extend(opts.overrides.iter().cloned());
    let loaded = outreachd::config::load(&[], &env).context("Bench settings are invalid")?;
    Ok(loaded.settings)
}

/// Seeds, then runs the daemon until every lead completed. With `pg_db` (admin URL, database
/// name) also returns the server's counters after seeding, the baseline of the run's own.
async fn run_on(
    url: &str,
    dir: &tempfile::TempDir,
    opts: &E2eOptions,
    pg_db: Option<(&str, &str)>,
) -> anyhow::Result<(Measurement, Option<pg::DbCounters>)> {
    let settings = settings(url, dir, opts)?;
    let seeded = {
        let store = open_store(&settings, OpenMode::Tool).await?;
        let started = Instant::now();
        let seeded = seed(store.as_ref(), url, opts).await?;
        eprintln!("  seeded in {:.1}s", started.elapsed().as_secs_f64());
        seeded
    };
    if opts.analyze {
        analyze(url).await?;
    }
    let baseline = match pg_db {
        Some((admin, name)) => Some(pg::counters_when_quiet(admin, name).await?),
        None => None,
    };
    let sampler = match (pg_db, opts.pg_sample) {
        (Some((admin, name)), Some(every)) => {
            Some(pg::ActivitySampler::start(admin, name, every).await?)
        }
        _ => None,
    };

    let before = CpuSample::now();
    let (pg_before, sink_before) = (ticks_of("postgres"), ticks_of("smtp-sink"));
    let app = Application::build_with(
        settings,
        RunOptions {
            until_idle: true,
            ..RunOptions::default()
        },
    )
    .await
    .context("Failed to build the application")?;
    let store = app.store();
    let shutdown = app.shutdown_token();
    let server = tokio::spawn(app.run_until_stopped());
    let outcome = wait_until_done(store.as_ref(), seeded, opts).await;
    let span = before.until(&CpuSample::now());
    let pg_ticks = ticks_of("postgres").saturating_sub(pg_before);
    let sink_ticks = ticks_of("smtp-sink").saturating_sub(sink_before);
    let activity = match sampler {
        Some(s) => Some(s.finish().await?),
        None => None,
    };
    shutdown.cancel();
    drop(store);
    server.await??;
    let states = outcome?;

    let backend = if pg_db.is_some() {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let mut m = Measurement::new(
        format!(
            "end to end on {backend}, {}",
            count(opts.mailboxes, "mailbox")
        ),
        opts.leads,
        span.wall,
        span.own,
        span.machine,
    )
    .with("leads_by_status", states)
    .with(
        "smtp_sink_cpu_us_per_send",
        ticks_to_us(sink_ticks) / opts.leads.max(1) as f64,
    );
    if pg_db.is_some() {
        m = m.with(
            "pg_cpu_us_per_send",
            ticks_to_us(pg_ticks) / opts.leads.max(1) as f64,
        );
    }
    if let Some(activity) = activity {
        m = m.with("pg_activity", activity);
    }
    Ok((m, baseline))
}

/// Seeds `n` suppressed addresses and `n / 10` suppressed domains, in SQL: the store's API adds
/// one at a time and stops matching leads, neither of which the bench needs.
async fn suppress(url: &str, workspace: WorkspaceId, n: usize) -> anyhow::Result<()> {
    use sqlx::Connection;
    let n = i64::try_from(n)?;
    let ws = workspace.0;
    let now = Utc::now();
    // One row per (kind, i): `kind` and `value` derive from the series number.
    let rows = "SELECT g, CASE WHEN g <= $2 THEN 'email' ELSE 'domain' END AS kind, \
        CASE WHEN g <= $2 THEN 'blocked' || g || '@elsewhere.test' \
            ELSE 'blocked' || g || '.test' END AS value";
    if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < $2 + $2 / 10) \
             INSERT INTO suppressions (id, workspace_id, kind, value, reason, created_at) \
             SELECT randomblob(16), $1, kind, value, 'bench', $3 \
             FROM ({rows} FROM s)"
        )))
        .bind(ws)
        .bind(n)
        .bind(now)
        .execute(&mut conn)
        .await
        .context("Failed to seed suppressions")?;
        conn.close().await?;
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "INSERT INTO suppressions (id, workspace_id, kind, value, reason, created_at) \
             SELECT gen_random_uuid(), $1, kind, value, 'bench', $3 \
             FROM ({rows} FROM generate_series(1, $2 + $2 / 10) AS g) AS r"
        )))
        .bind(ws)
        .bind(n)
        .bind(now)
        .execute(&mut conn)
        .await
        .context("Failed to seed suppressions")?;
        conn.close().await?;
    }
    Ok(())
}

/// Gathers planner statistics for the whole database.
async fn analyze(url: &str) -> anyhow::Result<()> {
    use sqlx::Connection;
    if url.starts_with("sqlite:") {
        let mut conn = sqlx::SqliteConnection::connect(url).await?;
        sqlx::query("ANALYZE").execute(&mut conn).await?;
        conn.close().await?;
    } else {
        let mut conn = sqlx::PgConnection::connect(url).await?;
        sqlx::query("ANALYZE").execute(&mut conn).await?;
        conn.close().await?;
    }
    Ok(())
}

/// Polls the campaign's `emails_sent` (one row: the poll must not load the database it
/// measures; a one-step lead completes in the transaction that counts its send) until all L
/// went out or the time limit passes; returns the leads by status at the end.
async fn wait_until_done(
    store: &dyn Store,
    seeded: Seeded,
    opts: &E2eOptions,
) -> anyhow::Result<BTreeMap<String, u64>> {
    let limit = Duration::from_secs(60) + Duration::from_millis(opts.leads as u64);
    let start = Instant::now();
    let mut last_print = Instant::now();
    loop {
        let sent = store
            .campaign_by_id(seeded.workspace, seeded.campaign)
            .await?
            .map_or(0, |c| c.emails_sent);
        if sent >= opts.leads as u64 || start.elapsed() > limit {
            break;
        }
        if last_print.elapsed() > Duration::from_secs(2) {
            eprintln!("  ... {:>6.1}s {sent} sent", start.elapsed().as_secs_f64());
            last_print = Instant::now();
        }
        tokio::time::sleep(opts.poll).await;
    }
    let summary = store
        .workspace_summary(seeded.workspace, Utc::now())
        .await?;
    let states: BTreeMap<String, u64> = summary
        .campaigns
        .first()
        .map(|c| {
            c.leads_by_status
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect()
        })
        .unwrap_or_default();
    if states.get("completed").copied().unwrap_or(0) < opts.leads as u64 {
        bail!("not done after {:?}: {states:?}", start.elapsed());
    }
    Ok(states)
}

/// What the timed part needs to know about the seeded data.
#[derive(Clone, Copy)]
struct Seeded {
    workspace: WorkspaceId,
    campaign: CampaignId,
}

/// One workspace (with its suppression list, if any), M unpaced mailboxes at the sink, one
/// running one-step campaign, L leads.
async fn seed(store: &dyn Store, url: &str, opts: &E2eOptions) -> anyhow::Result<Seeded> {
    let ws = store.upsert_workspace("bench").await?.value;
    if opts.suppressions > 0 {
        // Before the leads: enrolment checks every lead against the list too.
        suppress(url, ws.id, opts.suppressions).await?;
    }
    let mut pool = Vec::with_capacity(opts.mailboxes);
    for i in 0..opts.mailboxes {
        let spec = crate::mailbox::sink_mailbox(i, opts.sink_port)?;
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
            subject_template: Some("{Quick question|A thought} for {{ company }}".into()),
            body_template: BODY_TEMPLATE.into(),
            ai_instructions: None,
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
    let now = Utc::now();
    for chunk in leads.chunks(SEED_BATCH) {
        let ids: Vec<_> = store
            .insert_leads(ws.id, chunk)
            .await?
            .iter()
            .map(|r| r.id())
            .collect();
        store.enroll_leads(ws.id, campaign.id, &ids, now).await?;
    }
    Ok(Seeded {
        workspace: ws.id,
        campaign: campaign.id,
    })
}

/// The step's body: spintax and variables, about the size of a real first email.
const BODY_TEMPLATE: &str = "{Hi|Hello} {{ first_name }},\n\nI noticed {{ company }} is hiring \
for its sales team, which usually means outbound is about to become a priority. We help teams \
like yours book more first calls without adding headcount: personalised sequences, sent from \
your own mailboxes, paced so they land in the inbox.\n\n{Would|Could} a 15-minute call next \
week be useful? If the timing is wrong, just say so and I will not follow up.\n\nBest,\n\
{{ sender.signature }}";
