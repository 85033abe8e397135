//! The figures: one `Measurement` per timed run, the ratios to smtp-source, a table on
//! stdout and the same data as a JSON report.

use std::path::Path;
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;

/// One timed run: how many messages, how long, and what CPU it cost.
#[derive(Clone, Debug, Serialize)]
pub struct Measurement {
    pub name: String,
    pub messages: usize,
    pub wall_seconds: f64,
    pub per_second: f64,
    /// CPU of the measured program (this process, or smtp-source) per message.
    pub cpu_us_per_message: f64,
    /// Busy CPU of the whole machine per message: the program, smtp-sink and PostgreSQL.
    pub machine_cpu_us_per_message: f64,
    /// Backend-specific extras (database round trips, ...).
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub details: serde_json::Map<String, serde_json::Value>,
}

impl Measurement {
    pub fn new(
        name: String,
        messages: usize,
        wall: Duration,
        cpu: Duration,
        machine: Duration,
    ) -> Self {
        let n = messages.max(1) as f64;
        Self {
            name,
            messages,
            wall_seconds: wall.as_secs_f64(),
            per_second: messages as f64 / wall.as_secs_f64().max(1e-9),
            cpu_us_per_message: cpu.as_secs_f64() * 1e6 / n,
            machine_cpu_us_per_message: machine.as_secs_f64() * 1e6 / n,
            details: serde_json::Map::new(),
        }
    }

    pub fn with(mut self, key: &str, value: impl Serialize) -> Self {
        if let Ok(v) = serde_json::to_value(value) {
            self.details.insert(key.to_owned(), v);
        }
        self
    }
}

/// "1 session", "10 sessions", "2 mailboxes".
pub fn count(n: usize, noun: &str) -> String {
    match (n, noun.ends_with('x')) {
        (1, _) => format!("1 {noun}"),
        (_, true) => format!("{n} {noun}es"),
        _ => format!("{n} {noun}s"),
    }
}

/// A throughput compared with a baseline or a target.
#[derive(Clone, Debug, Serialize)]
pub struct Ratio {
    pub name: String,
    pub value: f64,
    /// The target for this ratio, when it sets one.
    pub target: Option<f64>,
    pub met: Option<bool>,
}

impl Ratio {
    pub fn new(name: &str, value: f64, target: Option<f64>) -> Self {
        Self {
            name: name.to_owned(),
            value,
            target,
            met: target.map(|t| value >= t),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub options: serde_json::Value,
    pub profile: &'static str,
    pub cpus: usize,
    pub message_bytes: usize,
    /// 1, 5 and 15 minute load averages when the run started.
    pub load_average_at_start: String,
    pub measurements: Vec<Measurement>,
    pub ratios: Vec<Ratio>,
}

impl Report {
    pub fn find(&self, prefix: &str) -> Option<&Measurement> {
        self.measurements
            .iter()
            .find(|m| m.name.starts_with(prefix))
    }

    pub fn print(&self) {
        println!();
        println!(
            "outreachd pipeline bench ({} build, {} CPUs, messages of {} bytes, load {})",
            self.profile, self.cpus, self.message_bytes, self.load_average_at_start
        );
        println!(
            "{:<44} {:>8} {:>9} {:>10} {:>12} {:>14}",
            "run", "messages", "seconds", "msg/s", "CPU µs/msg", "machine µs/msg"
        );
        for m in &self.measurements {
            println!(
                "{:<44} {:>8} {:>9.3} {:>10.0} {:>12.1} {:>14.1}",
                m.name,
                m.messages,
                m.wall_seconds,
                m.per_second,
                m.cpu_us_per_message,
                m.machine_cpu_us_per_message
            );
            for (k, v) in &m.details {
                println!("    {k}: {v}");
            }
        }
        println!();
        for r in &self.ratios {
            let verdict = match (r.target, r.met) {
                (Some(t), Some(true)) => format!("(target ≥ {t}: met)"),
                (Some(t), _) => format!("(target ≥ {t}: NOT met)"),
                _ => String::new(),
            };
            println!("{:<58} {:>10.2} {verdict}", r.name, r.value);
        }
    }

    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("Failed to create {}", dir.display()))?;
        }
        let json = serde_json::to_string_pretty(self)?;
        std::fs::write(path, json).with_context(|| format!("Failed to write {}", path.display()))
    }
}
