//! `outreachd check-config`: validate and print the effective configuration, secrets redacted.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::config::{Settings, ignored_env_vars};

pub fn check_config(
    settings: &Settings,
    files: &[PathBuf],
    env: &HashMap<String, String>,
) -> anyhow::Result<ExitCode> {
    for var in ignored_env_vars(env) {
        eprintln!(
            "warning: {var} is ignored: variables need two underscores between parts, \
             e.g. OUTREACHD__DATABASE__URL"
        );
    }
    let sources: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    println!("# Configuration is valid.");
    println!(
        "# Sources: built-in defaults{}, OUTREACHD__* environment",
        if sources.is_empty() {
            String::new()
        } else {
            format!(", {}", sources.join(", "))
        }
    );
    print!("{}", settings.to_redacted_toml());
    Ok(ExitCode::SUCCESS)
}
