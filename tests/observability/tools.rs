//! Finding and running the external checkers (promtool, npm) and reading the repository's
//! observability files.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn dashboards() -> PathBuf {
    root().join("dashboards")
}

pub fn read(relative: &str) -> String {
    let path = root().join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// `program` where it is installed, or `None` (skip; a failure under CI, where scripts/test.sh
/// installs every tool these tests need).
pub fn tool(program: &str, install_hint: &str) -> Option<PathBuf> {
    crate::support::skip::program(program, install_hint)
}

pub fn promtool() -> Option<PathBuf> {
    tool(
        "promtool",
        "scripts/test.sh installs it (Debian package prometheus)",
    )
}

/// Runs `program args` in `dir` and returns its output, failing the test if it cannot start.
pub fn run(program: &Path, args: &[&str], dir: &Path) -> Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("start {}: {e}", program.display()))
}

/// Asserts the command succeeded, showing its output otherwise.
pub fn assert_ok(what: &str, output: &Output) {
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr),
    );
}

/// Every `outreachd_*` metric name in `text`, with the `_bucket`, `_sum` and `_count` series of
/// histograms mapped to the histogram's name.
pub fn metric_names(text: &str) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    let bytes = text.as_bytes();
    let mut i = 0;
    while let Some(at) = text[i..].find("outreachd_") {
        let start = i + at;
        let boundary = start == 0 || {
            let c = bytes[start - 1];
            !(c.is_ascii_alphanumeric() || c == b'_' || c == b':')
        };
        let mut end = start;
        while end < bytes.len() && (bytes[end].is_ascii_alphanumeric() || bytes[end] == b'_') {
            end += 1;
        }
        if boundary {
            let name = &text[start..end];
            let base = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|suffix| name.strip_suffix(suffix))
                .filter(|base| {
                    outreachd::telemetry::catalogue::find(base).is_some_and(|d| {
                        matches!(d.kind, outreachd::telemetry::MetricKind::Histogram(_))
                    })
                })
                .unwrap_or(name);
            names.insert(base.to_owned());
        }
        i = end.max(start + 1);
    }
    names
}

/// Asserts every metric `text` uses is declared in the catalogue.
pub fn assert_all_declared(what: &str, text: &str) -> usize {
    let names = metric_names(text);
    let unknown: Vec<_> = names
        .iter()
        .filter(|n| outreachd::telemetry::catalogue::find(n).is_none())
        .collect();
    assert!(
        unknown.is_empty(),
        "{what} uses metrics the catalogue does not declare: {unknown:?}"
    );
    names.len()
}
