//! `outreachd apply -f FILE [--dry-run]`: validate an apply file, then create or update its
//! workspace, products, mailboxes and campaigns, printing one line per object (or "No changes").
//!
//! The file is validated in full before the store is opened, so a typo never costs a database
//! connection, let alone a half-applied file.

use std::process::ExitCode;

use anyhow::Context;

use crate::config::Settings;
use crate::manifest;
use crate::store::OpenMode;

use super::ApplyArgs;

pub async fn apply(
    settings: &Settings,
    args: ApplyArgs,
    env: &std::collections::HashMap<String, String>,
) -> anyhow::Result<ExitCode> {
    // `password_env` names variables of this process; the lookup is the CLI's to provide.
    let env = |name: &str| env.get(name).cloned();
    let manifest = manifest::load(&args.file, &settings.mailbox_defaults, &env)?;
    for warning in &manifest.warnings {
        eprintln!("warning: {}: {warning}", args.file.display());
    }
    let store = crate::startup::open_store(settings, OpenMode::Tool)
        .await
        .context("Failed to open the store")?;
    let report = manifest::apply(&*store, &manifest, args.dry_run).await?;
    print!("{report}");
    Ok(ExitCode::SUCCESS)
}
