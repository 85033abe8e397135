//! The metric catalogue: every series outreachd exports, declared once.
//!
//! Names follow `outreachd_<noun>_<unit>[_total]`. Labels are bounded (outcome, stage, state,
//! provider class, error type; mailbox and campaign only on counters and gauges; never lead or
//! message ids). Histograms use explicit buckets. The definitions live in one file per area
//! ([`dispatch`], [`content`], [`inbound`], [`http`], [`internals`]); the README's metrics reference is
//! generated from [`all`] and a test keeps the two in sync. Handles are built in
//! `telemetry::handles`, nowhere else.

pub mod content;
pub mod dispatch;
pub mod http;
pub mod inbound;
pub mod internals;

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum MetricKind {
    Counter,
    Gauge,
    Histogram(&'static [f64]),
}

#[derive(Clone, Copy, Debug)]
pub struct MetricDef {
    pub name: &'static str,
    pub kind: MetricKind,
    pub labels: &'static [&'static str],
    /// What it measures, then what to do when it moves.
    pub help: &'static str,
}

/// The catalogue, by area, in README order.
pub const CATALOGUE: &[&[MetricDef]] = &[
    dispatch::DEFS,
    content::DEFS,
    inbound::DEFS,
    http::DEFS,
    internals::DEFS,
];

/// Every declared metric.
pub fn all() -> impl Iterator<Item = &'static MetricDef> {
    CATALOGUE.iter().flat_map(|group| group.iter())
}

/// The definition of `name`, if declared.
pub fn find(name: &str) -> Option<&'static MetricDef> {
    all().find(|d| d.name == name)
}

/// Markdown table of the catalogue, for the README's metrics reference.
pub fn markdown_reference() -> String {
    let mut out =
        String::from("| metric | type | labels | meaning and action |\n|---|---|---|---|\n");
    for def in all() {
        let kind = match def.kind {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::Histogram(_) => "histogram",
        };
        out.push_str(&format!(
            "| `{}` | {} | {} | {} |\n",
            def.name,
            kind,
            def.labels.join(", "),
            def.help
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's metrics reference is generated from the catalogue. Regenerate it with
    /// `OUTREACHD_BLESS=1 cargo test --lib readme_metrics_reference`.
    #[test]
    fn readme_metrics_reference_matches_the_catalogue() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
        let readme = std::fs::read_to_string(path).unwrap();
        let (start, end) = ("<!-- metrics:start -->\n", "<!-- metrics:end -->");
        let a = readme.find(start).expect("start marker") + start.len();
        let b = readme.find(end).expect("end marker");
        let expected = markdown_reference();
        if std::env::var("OUTREACHD_BLESS").is_ok() {
            let updated = format!("{}{}{}", &readme[..a], expected, &readme[b..]);
            std::fs::write(path, updated).unwrap();
            return;
        }
        assert_eq!(
            &readme[a..b],
            expected,
            "README metrics reference is stale: run with OUTREACHD_BLESS=1"
        );
    }

    #[test]
    fn every_metric_is_well_named_and_documented() {
        let mut names = std::collections::HashSet::new();
        for def in all() {
            assert!(def.name.starts_with("outreachd_"), "{}", def.name);
            assert!(names.insert(def.name), "{} declared twice", def.name);
            assert!(
                def.help.len() > 40,
                "{} needs help text that says what to do",
                def.name
            );
            match def.kind {
                MetricKind::Counter => assert!(def.name.ends_with("_total"), "{}", def.name),
                MetricKind::Histogram(b) => {
                    assert!(!b.is_empty(), "{}", def.name);
                    assert!(b.windows(2).all(|w| w[0] < w[1]), "{} buckets", def.name);
                    assert!(
                        !def.labels.contains(&"mailbox") && !def.labels.contains(&"campaign"),
                        "{}: no mailbox or campaign label on histograms",
                        def.name
                    );
                }
                MetricKind::Gauge => assert!(!def.name.ends_with("_total"), "{}", def.name),
            }
            assert!(
                !def.labels
                    .iter()
                    .any(|l| l.contains("lead") || l.contains("message")),
                "{}: unbounded label",
                def.name
            );
        }
    }

    #[test]
    fn the_core_metrics_are_declared() {
        for name in [
            dispatch::SENDS,
            dispatch::SMTP_TRANSACTION,
            dispatch::SCHEDULE_LAG,
            dispatch::DUE_OLDEST_AGE,
            dispatch::CLAIM_BATCH,
            dispatch::MAILBOX_STATE,
            dispatch::MAILBOX_CAP_USED,
            dispatch::LIMITER_WAIT,
            content::GENERATION,
            content::TOKENS,
            content::COST,
            inbound::IMAP_POLL_LAG,
            inbound::INBOUND_MESSAGES,
            inbound::REPLY_STOP_LATENCY,
            internals::ERRORS,
            internals::ACTOR_RESTARTS,
            internals::DB_POOL_CONNECTIONS,
            internals::BUILD_INFO,
        ] {
            assert!(find(name).is_some(), "{name}");
        }
    }
}
