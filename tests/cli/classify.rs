//! `outreachd classify` prints one JSON line per file, from the same classifier as the poller.

use crate::helpers::{outreachd, stdout};

#[test]
fn classify_prints_the_class_of_each_corpus_file_and_names_a_missing_one() {
    let corpus = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/inbound");
    let mut files: Vec<String> = std::fs::read_dir(corpus)
        .unwrap()
        .flatten()
        .map(|e| e.path().display().to_string())
        .filter(|p| p.ends_with(".eml"))
        .collect();
    files.sort();
    let sample: Vec<&str> = files.iter().take(5).map(String::as_str).collect();
    let mut args = vec!["classify"];
    args.extend(&sample);
    let out = outreachd(&args, &Default::default());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = stdout(&out)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 5);
    assert!(
        lines.iter().all(|l| l["result"]["class"].is_string()),
        "{lines:?}"
    );

    let missing = outreachd(&["classify", "/nonexistent.eml"], &Default::default());
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("/nonexistent.eml"));
}
