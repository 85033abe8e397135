//! `outreachd enroll`: put existing leads into a campaign's sequence (the rules are
//! `service::campaigns::enrolment`'s, which the API's enrolment calls too).

use std::process::ExitCode;

use chrono::Utc;

use crate::config::Settings;
use crate::domain::EmailAddress;
use crate::service::campaigns::enrolment::{self, LeadSelection};
use crate::store::OpenMode;

use super::{EnrollArgs, find_campaign, find_workspace};

pub async fn enroll(settings: &Settings, args: EnrollArgs) -> anyhow::Result<ExitCode> {
    let store = crate::startup::open_store(settings, OpenMode::Tool).await?;
    let ws = find_workspace(store.as_ref(), &args.workspace).await?;
    let campaign = find_campaign(store.as_ref(), &ws, &args.campaign).await?;

    let selection = if args.all {
        LeadSelection::All
    } else {
        let emails = args
            .email
            .iter()
            .map(|raw| EmailAddress::parse(raw))
            .collect::<Result<Vec<_>, _>>()?;
        LeadSelection::Emails(emails)
    };
    let leads = enrolment::resolve(store.as_ref(), ws.id, &selection).await?;
    let total = enrolment::enroll(store.as_ref(), ws.id, &campaign, &leads.ids, Utc::now()).await?;
    println!(
        "Enrolled {} lead(s) into \"{}\" ({} already enrolled, {} suppressed or unsubscribed).",
        total.enrolled, campaign.name, total.already_enrolled, total.suppressed
    );
    if !leads.missing.is_empty() {
        eprintln!(
            "error: no lead with these emails in workspace {}: {}",
            ws.name,
            leads.missing.join(", ")
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
