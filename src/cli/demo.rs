//! `outreachd demo`: a complete tour on a throw-away SQLite database. Seeds a workspace with two
//! mailboxes on the outbox transport, a product, a 3-step campaign with short delays and 20
//! leads; runs the daemon until the sequence is complete; prints where the `.eml` files are.

use std::process::ExitCode;
use std::time::Instant;

use chrono::Utc;
use secrecy::SecretString;

use crate::actors::OUTBOX_HOST;
use crate::config::{DatabaseSettings, Settings};
use crate::domain::{
    CampaignSpec, CampaignStatus, EmailAddress, HumanDuration, MailboxSpec, NewLead, ProductSpec,
    SendingRules, ServerSpec, SmtpSecurity, StepSpec,
};
use crate::startup::{Application, RunOptions};
use crate::store::{OpenMode, Store};

use super::DemoArgs;

const FIRST: [&str; 10] = [
    "Ada", "Grace", "Alan", "Linus", "Margaret", "Dennis", "Barbara", "Ken", "Radia", "Tim",
];
const COMPANIES: [&str; 5] = ["Initech", "Globex", "Umbrella", "Hooli", "Vandelay"];

pub async fn demo(mut settings: Settings, args: DemoArgs) -> anyhow::Result<ExitCode> {
    if args.dir.exists() {
        std::fs::remove_dir_all(&args.dir)?;
    }
    std::fs::create_dir_all(&args.dir)?;
    settings.database =
        DatabaseSettings::for_url(&format!("sqlite://{}", args.dir.join("demo.db").display()));
    settings.daemon.data_dir = args.dir.clone();
    settings.daemon.reconcile_interval = HumanDuration::parse("250ms")?;
    settings.dispatch.idle_period = HumanDuration::parse("2s")?;
    settings.server.port = 0;

    let store = crate::startup::open_store(&settings, OpenMode::Tool).await?;
    seed(store.as_ref(), args.leads).await?;
    drop(store);

    println!(
        "Demo: 2 mailboxes, a 3-step campaign (delays 0s, 3s, 3s), {} leads.",
        args.leads
    );
    let started = Instant::now();
    let app = Application::build_with(
        settings,
        RunOptions {
            until_idle: true,
            ..RunOptions::default()
        },
    )
    .await?;
    let store = app.store();
    app.run_until_stopped().await?;

    let ws = super::find_workspace(store.as_ref(), "demo").await?;
    let summary = store.workspace_summary(ws.id, Utc::now()).await?;
    for c in &summary.campaigns {
        let leads: Vec<String> = c
            .leads_by_status
            .iter()
            .map(|(status, n)| format!("{n} {status}"))
            .collect();
        println!(
            "Campaign \"{}\": {} emails sent; leads: {}.",
            c.name,
            c.emails_sent,
            leads.join(", ")
        );
    }
    let outbox = args.dir.join("outbox");
    let files = count_files(&outbox);
    println!(
        "Done in {:.1}s: {files} messages written under {}/ (one folder per mailbox).",
        started.elapsed().as_secs_f64(),
        outbox.display()
    );
    if let Some(sample) = first_file(&outbox) {
        println!("Open one: less {}", sample.display());
    }
    Ok(ExitCode::SUCCESS)
}

async fn seed(store: &dyn Store, leads: u32) -> anyhow::Result<()> {
    let ws = store.upsert_workspace("demo").await?.value;
    let mut pool = Vec::new();
    for (address, name) in [
        ("alice@demo.outreachd.test", "Alice Example"),
        ("bob@demo.outreachd.test", "Bob Example"),
    ] {
        let spec = MailboxSpec {
            address: EmailAddress::parse(address)?,
            from_name: name.into(),
            signature: format!("{name}\nDemo Inc."),
            smtp: ServerSpec {
                host: OUTBOX_HOST.into(),
                port: 25,
                security: SmtpSecurity::Plain,
                username: String::new(),
                password: SecretString::from(String::new()),
            },
            imap: None,
            daily_cap: 100,
            hourly_cap: None,
            min_gap: HumanDuration::parse("50ms")?,
            max_gap: HumanDuration::parse("150ms")?,
            warmup: None,
            warmup_started_on: None,
            timezone: "UTC".into(),
        };
        pool.push(store.upsert_mailbox(ws.id, &spec).await?.value.id);
    }
    let product = store
        .upsert_product(
            ws.id,
            &ProductSpec {
                name: "Widget Pro".into(),
                description: "Cuts invoice processing time in half.".into(),
                source_file_name: None,
            },
        )
        .await?
        .value;
    let step = |delay: &str, subject: Option<&str>, body: &str| -> anyhow::Result<StepSpec> {
        Ok(StepSpec {
            delay: HumanDuration::parse(delay)?,
            subject_template: subject.map(str::to_owned),
            body_template: body.to_owned(),
            ai_instructions: None,
        })
    };
    let campaign = CampaignSpec {
        name: "Demo outreach".into(),
        goal: "Book a 15-minute demo call".into(),
        ai: Default::default(),
        product_id: Some(product.id),
        status: Some(CampaignStatus::Running),
        rules: SendingRules::default(),
        mailbox_ids: pool,
        steps: vec![
            step(
                "0s",
                Some("{Quick question|An idea} for {{ company }}"),
                "Hi {{ first_name }},\n\n{{ product.name }} {helps teams like {{ company }}|could help {{ company }}} with invoices.\nWorth a short call?\n\n{{ sender.signature }}",
            )?,
            step(
                "3s",
                None,
                "Hi {{ first_name }}, just bumping this up in case it got buried.\n\n{{ sender.signature }}",
            )?,
            step(
                "3s",
                None,
                "Last note from me, {{ first_name }}: happy to send a 2-minute video instead.\n\n{{ sender.signature }}",
            )?,
        ],
    };
    let campaign = store.upsert_campaign(ws.id, &campaign).await?.value;
    let new_leads: Vec<NewLead> = (0..leads)
        .map(|i| {
            let first = FIRST[i as usize % FIRST.len()];
            let company = COMPANIES[i as usize % COMPANIES.len()];
            NewLead {
                email: EmailAddress::parse(&format!(
                    "{}.{i}@{}.example",
                    first.to_lowercase(),
                    company.to_lowercase()
                ))
                .ok(),
                first_name: Some(first.into()),
                company: Some(company.into()),
                ..NewLead::default()
            }
        })
        .collect();
    let ids: Vec<_> = store
        .insert_leads(ws.id, &new_leads)
        .await?
        .iter()
        .map(|r| r.id())
        .collect();
    store
        .enroll_leads(ws.id, campaign.id, &ids, Utc::now())
        .await?;
    Ok(())
}

fn first_file(dir: &std::path::Path) -> Option<std::path::PathBuf> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    entries
        .into_iter()
        .find_map(|p| if p.is_dir() { first_file(&p) } else { Some(p) })
}

fn count_files(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    if e.path().is_dir() {
                        count_files(&e.path())
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}
