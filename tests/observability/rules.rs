//! `dashboards/alerts.yml`: valid rules, unit-tested both ways, a runbook for each, and only
//! declared metrics.

use std::collections::BTreeMap;

use crate::tools::{assert_all_declared, assert_ok, dashboards, promtool, read, run};

/// The alert names in alerts.yml, in order.
fn alert_names() -> Vec<String> {
    read("dashboards/alerts.yml")
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
        .map(|n| n.trim().to_owned())
        .collect()
}

#[test]
fn alert_rules_pass_promtool_check_rules() {
    let Some(promtool) = promtool() else { return };
    let out = run(&promtool, &["check", "rules", "alerts.yml"], &dashboards());
    assert_ok("promtool check rules dashboards/alerts.yml", &out);
    assert!(alert_names().len() >= 7, "{:?}", alert_names());
}

#[test]
fn alert_unit_tests_pass_promtool_test_rules() {
    let Some(promtool) = promtool() else { return };
    let out = run(
        &promtool,
        &["test", "rules", "alerts.test.yml"],
        &dashboards(),
    );
    assert_ok("promtool test rules dashboards/alerts.test.yml", &out);
}

/// Each alert has at least one evaluation where it fires and one where it stays quiet.
#[test]
fn every_alert_is_tested_firing_and_not_firing() {
    let tests = read("dashboards/alerts.test.yml");
    let lines: Vec<&str> = tests.lines().map(str::trim).collect();
    let mut seen: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(name) = line.strip_prefix("alertname: ") else {
            continue;
        };
        let quiet = lines
            .get(i + 1)
            .is_some_and(|next| *next == "exp_alerts: []");
        let entry = seen.entry(name.trim().to_owned()).or_default();
        if quiet {
            entry.1 += 1;
        } else {
            entry.0 += 1;
        }
    }
    for alert in alert_names() {
        let (firing, quiet) = seen.get(&alert).copied().unwrap_or_default();
        assert!(firing > 0, "{alert}: no unit test where it fires");
        assert!(quiet > 0, "{alert}: no unit test where it stays quiet");
    }
}

#[test]
fn every_alert_links_a_runbook_section_of_the_readme() {
    let rules = read("dashboards/alerts.yml");
    let readme = read("README.md");
    for alert in alert_names() {
        let link = format!("runbook: \"README.md#runbook-{}\"", alert.to_lowercase());
        assert!(rules.contains(&link), "{alert}: missing `{link}`");
        let heading = format!("#### Runbook: {alert}\n");
        assert!(
            readme.contains(&heading),
            "README lacks `{}`",
            heading.trim()
        );
    }
}

#[test]
fn alerts_use_only_declared_metrics() {
    let used = assert_all_declared("dashboards/alerts.yml", &read("dashboards/alerts.yml"));
    assert!(used >= 7, "the alerts use {used} metrics");
}
