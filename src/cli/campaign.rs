//! `outreachd campaign run-now`: send a campaign's pending steps now and report per lead. The
//! run is started and reported by `service::campaigns::run_now` (as the API's Run Now is);
//! this command dispatches it with a daemon of its own, for this campaign only, until idle.

use std::process::ExitCode;

use chrono::Utc;

use crate::config::Settings;
use crate::service::campaigns::run_now::{self, LaterDispatcher};
use crate::startup::{Application, RunOptions};
use crate::store::{OpenMode, StoreError};

use super::{RunNowArgs, find_campaign, find_workspace};

pub async fn run_now(mut settings: Settings, args: RunNowArgs) -> anyhow::Result<ExitCode> {
    let store = crate::startup::open_store(&settings, OpenMode::Tool).await?;
    let ws = find_workspace(store.as_ref(), &args.workspace).await?;
    let campaign = find_campaign(store.as_ref(), &ws, &args.name).await?;
    let run = run_now::start(
        store.as_ref(),
        ws.id,
        &campaign,
        &LaterDispatcher,
        Utc::now(),
    )
    .await?;
    let due = run.made_due;
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
                "A running outreachd daemon owns this database; it sends these {due} lead(s) now \
                 (run {}).",
                run.id
            );
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) => return Err(e),
    };
    let store = app.store();
    app.run_until_stopped().await?;

    let report = run_now::report(store.as_ref(), &campaign, run, Utc::now()).await?;
    for r in &report.results {
        let state = r.state.map_or("waiting".to_owned(), |s| s.to_string());
        let detail = r
            .error
            .as_deref()
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        println!("  {:<40} step {} {state}{detail}", r.email, r.step);
    }
    println!("{}", run_now::summary(&report.results));
    Ok(ExitCode::SUCCESS)
}
