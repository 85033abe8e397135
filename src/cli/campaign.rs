//! `outreachd campaign run-now`: send a campaign's pending steps now and report per lead.

use std::collections::BTreeMap;
use std::process::ExitCode;

use chrono::{TimeDelta, Utc};

use crate::config::Settings;
use crate::domain::{SendResult, SendState};
use crate::startup::{Application, RunOptions};
use crate::store::{OpenMode, StoreError};

use super::{RunNowArgs, find_campaign, find_workspace};

pub async fn run_now(mut settings: Settings, args: RunNowArgs) -> anyhow::Result<ExitCode> {
    let store = crate::startup::open_store(&settings, OpenMode::Tool).await?;
    let ws = find_workspace(store.as_ref(), &args.workspace).await?;
    let campaign = find_campaign(store.as_ref(), &ws, &args.name).await?;
    if campaign.status != crate::domain::CampaignStatus::Running {
        anyhow::bail!(
            "campaign {:?} is {}; set status = \"running\" (outreachd apply) before Run Now",
            campaign.name,
            campaign.status
        );
    }
    // Rows touched from here on are this run's (a second of slack for clock granularity).
    let since = Utc::now() - TimeDelta::seconds(1);
    let due = store.run_now(ws.id, campaign.id, Utc::now()).await?;
    if due == 0 {
        println!(
            "Nothing to send: campaign \"{}\" has no pending steps.",
            campaign.name
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "Sending the pending step of {due} lead(s) of \"{}\" now...",
        campaign.name
    );
    drop(store);

    // An in-process dispatcher for this campaign only, on a private port, until idle.
    settings.server.port = 0;
    let options = RunOptions {
        until_idle: true,
        run_now: Some(campaign.id),
    };
    let app = match Application::build_with(settings, options).await {
        Ok(app) => app,
        Err(e) if matches!(e.downcast_ref::<StoreError>(), Some(StoreError::Locked(_))) => {
            println!(
                "A running outreachd daemon owns this database; it sends these {due} lead(s) now."
            );
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) => return Err(e),
    };
    let store = app.store();
    app.run_until_stopped().await?;

    let results = store.send_results(ws.id, campaign.id, since).await?;
    for r in &results {
        let detail = r
            .detail
            .as_deref()
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        println!(
            "  {:<40} step {} {}{}",
            r.email, r.step_order, r.state, detail
        );
    }
    println!("{}", summary(&results));
    Ok(ExitCode::SUCCESS)
}

/// "Sent 47/50 (2 deferred by mailbox caps, 1 failed: invalid template)".
fn summary(results: &[SendResult]) -> String {
    let sent = results
        .iter()
        .filter(|r| r.state == SendState::Sent)
        .count();
    let mut other: BTreeMap<String, usize> = BTreeMap::new();
    for r in results.iter().filter(|r| r.state != SendState::Sent) {
        let detail = r.detail.as_deref().unwrap_or("");
        let label = match r.state {
            SendState::Retry if detail.contains("cap") => "deferred by mailbox caps".to_owned(),
            SendState::Retry if detail.contains("window") => {
                "deferred by the sending window".to_owned()
            }
            SendState::Retry => format!("to retry: {}", first_words(detail)),
            SendState::Failed => format!("failed: {}", first_words(detail)),
            state => state.to_string(),
        };
        *other.entry(label).or_default() += 1;
    }
    let mut line = format!("Sent {sent}/{}", results.len());
    if !other.is_empty() {
        let parts: Vec<String> = other
            .iter()
            .map(|(label, n)| format!("{n} {label}"))
            .collect();
        line.push_str(&format!(" ({})", parts.join(", ")));
    }
    line
}

fn first_words(detail: &str) -> String {
    let words: Vec<&str> = detail.split_whitespace().take(8).collect();
    words.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(state: SendState, detail: Option<&str>) -> SendResult {
        SendResult {
            lead_id: crate::domain::LeadId::new(),
            email: "a@b.test".into(),
            step_order: 1,
            state,
            detail: detail.map(str::to_owned),
        }
    }

    #[test]
    fn the_summary_counts_sends_and_groups_the_rest_by_reason() {
        let results = vec![
            result(SendState::Sent, Some("250 ok")),
            result(SendState::Sent, Some("250 ok")),
            result(SendState::Retry, Some("mailbox daily cap reached")),
            result(
                SendState::Failed,
                Some("body template: undefined variable \"x\""),
            ),
        ];
        assert_eq!(
            summary(&results),
            "Sent 2/4 (1 deferred by mailbox caps, 1 failed: body template: undefined variable \"x\")"
        );
        assert_eq!(summary(&results[..1]), "Sent 1/1");
    }
}
