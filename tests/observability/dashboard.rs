//! `dashboards/outreachd.json`: its rows and variables, every expression parsed by promtool,
//! the JSON type-checked against `@grafana/schema`, and only declared metrics.

use std::fmt::Write as _;

use serde_json::Value;

use crate::tools::{assert_all_declared, assert_ok, dashboards, promtool, read, run, tool};

fn dashboard() -> Value {
    serde_json::from_str(&read("dashboards/outreachd.json")).expect("outreachd.json is JSON")
}

/// Every panel's query expression, rows' nested panels included.
fn expressions(dashboard: &Value) -> Vec<String> {
    fn walk(panels: &[Value], out: &mut Vec<String>) {
        for panel in panels {
            for target in panel["targets"].as_array().into_iter().flatten() {
                if let Some(expr) = target["expr"].as_str() {
                    out.push(expr.to_owned());
                }
            }
            if let Some(nested) = panel["panels"].as_array() {
                walk(nested, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(
        dashboard["panels"].as_array().expect("a panels array"),
        &mut out,
    );
    out
}

/// Grafana's variables replaced by values Prometheus accepts.
fn substitute(expr: &str) -> String {
    [
        ("$__rate_interval", "5m"),
        ("$__interval", "1m"),
        ("$__range", "1h"),
        ("${mailbox}", ".*"),
        ("$mailbox", ".*"),
        ("${campaign}", ".*"),
        ("$campaign", ".*"),
    ]
    .iter()
    .fold(expr.to_owned(), |e, (var, value)| e.replace(var, value))
}

#[test]
fn the_dashboard_has_the_rows_and_variables_operators_need() {
    let d = dashboard();
    let rows: Vec<&str> = d["panels"]
        .as_array()
        .expect("panels")
        .iter()
        .filter(|p| p["type"] == "row")
        .filter_map(|p| p["title"].as_str())
        .collect();
    assert_eq!(
        rows,
        [
            "Overview",
            "Mailboxes",
            "Campaigns",
            "Inbound",
            "Content",
            "HTTP API",
            "Internals"
        ]
    );
    let vars: Vec<&str> = d["templating"]["list"]
        .as_array()
        .expect("variables")
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    for var in ["datasource", "mailbox", "campaign"] {
        assert!(vars.contains(&var), "variable {var} missing: {vars:?}");
    }
    for panel in d["panels"].as_array().expect("panels") {
        if panel["type"] != "row" {
            assert_eq!(
                panel["datasource"]["uid"], "${datasource}",
                "{} must use the $datasource variable",
                panel["title"]
            );
        }
    }
}

#[test]
fn every_dashboard_expression_parses() {
    let Some(promtool) = promtool() else { return };
    let exprs = expressions(&dashboard());
    assert!(exprs.len() >= 30, "only {} expressions", exprs.len());
    let mut rules = String::from("groups:\n  - name: dashboard\n    rules:\n");
    for (i, expr) in exprs.iter().enumerate() {
        let quoted = serde_json::to_string(&substitute(expr)).expect("a JSON string");
        writeln!(
            rules,
            "      - record: dashboard:expr_{i}\n        expr: {quoted}"
        )
        .expect("write to a String");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("dashboard_rules.yml"), &rules).expect("write rules");
    let out = run(
        &promtool,
        &["check", "rules", "dashboard_rules.yml"],
        dir.path(),
    );
    assert_ok(
        &format!("promtool check rules on the dashboard's expressions:\n{rules}"),
        &out,
    );
}

#[test]
fn the_dashboard_uses_only_declared_metrics() {
    let exprs = expressions(&dashboard()).join("\n");
    let used = assert_all_declared("dashboards/outreachd.json", &exprs);
    assert!(used >= 20, "the dashboard uses only {used} metrics");
}

/// `npm ci` (when node_modules is missing or older than the lock file), then `npm run check`:
/// generate.mjs turns the JSON into a typed literal and tsc --strict checks it.
#[test]
fn the_dashboard_type_checks_against_grafana_schema() {
    let Some(npm) = tool(
        "npm",
        "scripts/test.sh installs node and npm (Debian packages nodejs npm)",
    ) else {
        return;
    };
    let dir = dashboards().join("schema-check");
    let installed = dir.join("node_modules/.package-lock.json");
    let stale = match (
        std::fs::metadata(&installed).and_then(|m| m.modified()),
        std::fs::metadata(dir.join("package-lock.json")).and_then(|m| m.modified()),
    ) {
        (Ok(installed), Ok(lock)) => installed < lock,
        _ => true,
    };
    if stale {
        let out = run(
            &npm,
            &["ci", "--no-audit", "--no-fund", "--loglevel=error"],
            &dir,
        );
        assert_ok("npm ci in dashboards/schema-check", &out);
    }
    let out = run(&npm, &["run", "--silent", "check"], &dir);
    assert_ok(
        "tsc --strict of dashboards/outreachd.json against @grafana/schema",
        &out,
    );
}
