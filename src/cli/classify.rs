//! `outreachd classify FILE.eml…`: what the IMAP poller would make of each message, as JSON.
//! Operators use it to debug a misfiled message; it runs the classifier the poller runs. It
//! needs no database: lead matching by sender is not available here, threading by our
//! Message-IDs is.

use std::process::ExitCode;

use crate::imap::classify::{ClassifyContext, classify_file};

use super::ClassifyArgs;

pub fn classify(args: ClassifyArgs) -> anyhow::Result<ExitCode> {
    let domains: Vec<String> = args
        .domains
        .iter()
        .map(|d| d.trim().to_lowercase())
        .collect();
    let ctx = ClassifyContext::without_leads().with_domains(&domains);
    let mut failed = false;
    for path in &args.files {
        match classify_file(path, &ctx) {
            Ok(json) => println!(
                "{}",
                serde_json::json!({ "file": path.display().to_string(), "result": json })
            ),
            Err(e) => {
                eprintln!("error: {e}");
                failed = true;
            }
        }
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
