//! Golden corpus for `imap::classify`: every `tests/data/inbound/NAME.eml` must classify to
//! exactly `NAME.json` (`{"error": "…"}` for a typed error), with the leads, subjects and our
//! Message-ID domains of `context.json` as the classifier's outside knowledge.
//!
//! `OUTREACHD_BLESS=1 cargo test --test classify` rewrites the `.json` files from the current
//! classifier instead of comparing. Review every blessed file by hand before committing it:
//! the corpus is only worth something if each answer was checked by a person.

mod fuzz;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use outreachd::domain::EmailAddress;
use outreachd::imap::classify::{ClassifyContext, LeadSet, judge};
use serde::Deserialize;
use serde_json::Value;

pub fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/inbound")
}

/// Every `.eml` file of the corpus, sorted by name.
pub fn corpus() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("the corpus directory exists")
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    files.sort();
    files
}

#[derive(Deserialize)]
struct ContextFile {
    our_domains: Vec<String>,
    leads: Vec<String>,
    subjects: Vec<String>,
}

/// What the corpus assumes the poller knows: leads and sent subjects, and our From domains.
pub struct Known {
    pub leads: LeadSet,
    pub our_domains: Vec<String>,
}

impl Known {
    pub fn load() -> Self {
        let path = corpus_dir().join("context.json");
        let text = std::fs::read_to_string(path).expect("context.json");
        let file: ContextFile = serde_json::from_str(&text).expect("context.json parses");
        let mut leads = LeadSet::new();
        for email in &file.leads {
            leads.add_lead(&EmailAddress::parse(email).expect("a valid lead address"));
        }
        for subject in &file.subjects {
            leads.add_subject(subject);
        }
        Self {
            leads,
            our_domains: file.our_domains,
        }
    }

    pub fn context(&self) -> ClassifyContext<'_> {
        ClassifyContext::new(&self.leads).with_domains(&self.our_domains)
    }
}

/// The judgement as the golden files hold it: everything but the evidence, whose wording may
/// change without changing what the message is (unit tests check the evidence itself).
fn actual(raw: &[u8], ctx: &ClassifyContext<'_>) -> Value {
    match judge(raw, ctx) {
        Ok(found) => {
            let mut value = serde_json::to_value(found).expect("a judgement serialises");
            if let Some(fields) = value.as_object_mut() {
                fields.remove("evidence");
            }
            value
        }
        Err(error) => serde_json::json!({ "error": error.to_string() }),
    }
}

/// Expected and actual, pretty-printed side by side, lines that differ marked.
fn diff(expected: &Value, actual: &Value) -> String {
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    let (e, a) = (pretty(expected), pretty(actual));
    let (e, a): (Vec<&str>, Vec<&str>) = (e.lines().collect(), a.lines().collect());
    let mut out = String::new();
    for i in 0..e.len().max(a.len()) {
        let (el, al) = (
            e.get(i).copied().unwrap_or(""),
            a.get(i).copied().unwrap_or(""),
        );
        if el == al {
            out.push_str(&format!("    {el}\n"));
        } else {
            out.push_str(&format!("  - {el}\n  + {al}\n"));
        }
    }
    out
}

#[test]
fn every_corpus_message_classifies_as_its_golden_json() {
    let bless = std::env::var("OUTREACHD_BLESS").is_ok_and(|v| v == "1");
    let known = Known::load();
    let ctx = known.context();
    let mut failures = Vec::new();
    for eml in corpus() {
        let raw = std::fs::read(&eml).expect("a readable corpus file");
        let got = actual(&raw, &ctx);
        let golden = eml.with_extension("json");
        if bless {
            let text = serde_json::to_string_pretty(&got).expect("json") + "\n";
            std::fs::write(&golden, text).expect("a writable golden file");
            continue;
        }
        let want: Value = match std::fs::read_to_string(&golden) {
            Ok(text) => serde_json::from_str(&text).expect("golden json parses"),
            Err(_) => {
                failures.push(format!(
                    "{}: no golden file (bless, then review)",
                    eml.display()
                ));
                continue;
            }
        };
        if want != got {
            failures.push(format!(
                "{} (- expected, + actual):\n{}",
                eml.display(),
                diff(&want, &got)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} mismatches:\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn corpus_covers_every_class_and_every_line_ending_style() {
    let known = Known::load();
    let ctx = known.context();
    let mut classes: BTreeMap<String, usize> = BTreeMap::new();
    let mut endings: BTreeMap<&str, usize> = BTreeMap::new();
    let files = corpus();
    for eml in &files {
        let raw = std::fs::read(eml).expect("a readable corpus file");
        let class = actual(&raw, &ctx)["class"]
            .as_str()
            .unwrap_or("error")
            .to_owned();
        *classes.entry(class).or_default() += 1;
        let style = if raw.windows(2).any(|w| w == b"\r\n") {
            "crlf"
        } else if raw.contains(&b'\r') {
            "cr"
        } else {
            "lf"
        };
        *endings.entry(style).or_default() += 1;
    }
    assert!(files.len() >= 60, "only {} corpus messages", files.len());
    for class in [
        "reply",
        "auto_reply",
        "bounce",
        "complaint",
        "unsubscribe_request",
        "unrelated",
    ] {
        assert!(
            classes.get(class).is_some_and(|n| *n >= 3),
            "too few {class}: {classes:?}"
        );
    }
    for style in ["crlf", "lf", "cr"] {
        assert!(
            endings.get(style).is_some_and(|n| *n >= 10),
            "too few {style}: {endings:?}"
        );
    }
}

/// The same bytes with every line ending rewritten one way.
fn with_endings(raw: &[u8], ending: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + raw.len() / 20);
    let mut bytes = raw.iter().copied().peekable();
    while let Some(b) = bytes.next() {
        match b {
            b'\r' => {
                bytes.next_if_eq(&b'\n');
                out.extend_from_slice(ending);
            }
            b'\n' => out.extend_from_slice(ending),
            b => out.push(b),
        }
    }
    out
}

#[test]
fn line_ending_style_never_changes_a_classification() {
    let known = Known::load();
    let ctx = known.context();
    for eml in corpus() {
        let raw = std::fs::read(&eml).expect("a readable corpus file");
        let want = actual(&raw, &ctx);
        for ending in [&b"\r\n"[..], b"\n", b"\r"] {
            let got = actual(&with_endings(&raw, ending), &ctx);
            assert_eq!(got, want, "{} with {ending:?} line endings", eml.display());
        }
    }
}

#[test]
fn classify_file_answers_json_for_a_corpus_file_and_names_unreadable_ones() {
    use outreachd::imap::classify::{ClassifyFileError, classify_file};
    let known = Known::load();
    let ctx = known.context();
    let eml = corpus_dir().join("bounce_postfix_user_unknown.eml");
    let json = classify_file(&eml, &ctx).expect("the corpus file classifies");
    assert_eq!(json["class"], "bounce");
    assert_eq!(json["recipients"][0]["kind"], "hard");
    let missing = corpus_dir().join("no_such_message.eml");
    let err = classify_file(&missing, &ctx).expect_err("a missing file is an error");
    assert!(matches!(err, ClassifyFileError::Read { .. }), "{err}");
    assert!(err.to_string().contains("no_such_message.eml"));
}
