//! `outreachd run`: the daemon.

use std::process::ExitCode;

use crate::config::Settings;
use crate::startup::{Application, ReloadSources, RunOptions};

use super::RunArgs;

pub async fn run(
    settings: Settings,
    args: RunArgs,
    sources: ReloadSources,
) -> anyhow::Result<ExitCode> {
    let options = RunOptions {
        until_idle: args.until_idle,
        ..RunOptions::default()
    };
    let app = Application::build_with(settings.clone(), options).await?;
    app.enable_reload(settings, sources).await?;
    app.run_until_stopped().await?;
    Ok(ExitCode::SUCCESS)
}
