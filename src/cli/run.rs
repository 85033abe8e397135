//! `outreachd run`: the daemon.

use std::process::ExitCode;

use crate::config::Settings;
use crate::startup::{Application, RunOptions};

use super::RunArgs;

pub async fn run(settings: Settings, args: RunArgs) -> anyhow::Result<ExitCode> {
    let options = RunOptions {
        until_idle: args.until_idle,
        ..RunOptions::default()
    };
    let app = Application::build_with(settings, options).await?;
    app.run_until_stopped().await?;
    Ok(ExitCode::SUCCESS)
}
