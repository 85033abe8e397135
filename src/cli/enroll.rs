//! `outreachd enroll`: put existing leads into a campaign's sequence.

use std::process::ExitCode;

use chrono::Utc;

use crate::config::Settings;
use crate::domain::{EmailAddress, EnrollOutcome};
use crate::store::OpenMode;

use super::{EnrollArgs, find_campaign, find_workspace};

/// Ids per `enroll_leads` call: large enough to amortise round trips, small enough to keep each
/// transaction short.
const CHUNK: usize = 5_000;

pub async fn enroll(settings: &Settings, args: EnrollArgs) -> anyhow::Result<ExitCode> {
    let store = crate::startup::open_store(settings, OpenMode::Tool).await?;
    let ws = find_workspace(store.as_ref(), &args.workspace).await?;
    let campaign = find_campaign(store.as_ref(), &ws, &args.campaign).await?;

    let mut missing = Vec::new();
    let ids = if args.all {
        store.lead_ids(ws.id).await?
    } else {
        let mut ids = Vec::with_capacity(args.email.len());
        for raw in &args.email {
            let email = EmailAddress::parse(raw)?;
            match store.lead_by_email(ws.id, &email).await? {
                Some(lead) => ids.push(lead.id),
                None => missing.push(raw.clone()),
            }
        }
        ids
    };

    let mut total = EnrollOutcome::default();
    for chunk in ids.chunks(CHUNK) {
        let outcome = store
            .enroll_leads(ws.id, campaign.id, chunk, Utc::now())
            .await?;
        total.enrolled += outcome.enrolled;
        total.already_enrolled += outcome.already_enrolled;
        total.suppressed += outcome.suppressed;
    }
    println!(
        "Enrolled {} lead(s) into \"{}\" ({} already enrolled, {} suppressed or unsubscribed).",
        total.enrolled, campaign.name, total.already_enrolled, total.suppressed
    );
    if !missing.is_empty() {
        eprintln!(
            "error: no lead with these emails in workspace {}: {}",
            ws.name,
            missing.join(", ")
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
