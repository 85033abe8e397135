//! tracing subscriber: human-readable on a terminal, JSON otherwise (or as configured). Logs go
//! to stderr so command output on stdout stays machine-readable. The level filter can be
//! replaced while running (`log.level` reloads on SIGHUP).

use std::io::IsTerminal;
use std::sync::OnceLock;

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer, Registry, reload};

use crate::config::LogFormat;

static FILTER: OnceLock<reload::Handle<EnvFilter, Registry>> = OnceLock::new();

fn rust_log() -> Option<EnvFilter> {
    std::env::var("RUST_LOG")
        .ok()
        .and_then(|f| EnvFilter::try_new(f).ok())
}

/// Installs the global subscriber. `RUST_LOG`, when set, overrides `level`. Safe to call more
/// than once (tests): later calls are ignored.
pub fn init_tracing(level: &str, format: LogFormat) {
    let filter = rust_log()
        .or_else(|| EnvFilter::try_new(level).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    let json = match format {
        LogFormat::Json => true,
        LogFormat::Human => false,
        LogFormat::Auto => !std::io::stderr().is_terminal(),
    };
    let (filter, handle) = reload::Layer::new(filter);
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_target(false);
    let fmt = if json {
        fmt.json()
            .flatten_event(true)
            .with_current_span(false)
            .boxed()
    } else {
        fmt.with_ansi(std::io::stderr().is_terminal()).boxed()
    };
    // try_init fails only when a subscriber is already set, which is fine.
    if tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .try_init()
        .is_ok()
    {
        let _ = FILTER.set(handle);
    }
}

/// Replaces the level filter of the running subscriber (config reload). `RUST_LOG`, when set,
/// still wins. Errors name the invalid filter.
pub fn set_log_level(level: &str) -> Result<(), String> {
    if rust_log().is_some() {
        return Ok(());
    }
    let filter =
        EnvFilter::try_new(level).map_err(|e| format!("log.level: invalid filter: {e}"))?;
    match FILTER.get() {
        Some(handle) => handle.reload(filter).map_err(|e| e.to_string()),
        None => Ok(()),
    }
}
