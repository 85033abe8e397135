//! `outreachd apply` end to end (the real binary on a fresh SQLite file), and `manifest::apply`
//! against both store backends.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use outreachd::config::MailboxDefaults;
use outreachd::domain::{Change, EmailAddress, HumanDuration};
use outreachd::manifest::{self, ApplyReport, Manifest, ManifestError, ObjectKind};
use outreachd::store::{OpenMode, Store};
use secrecy::ExposeSecret;

use crate::helpers::{outreachd, settings, sqlite_env, stderr, stdout};
use crate::support::{TestBackend, test_store};

const PASSWORDS: [(&str, &str); 4] = [
    ("ALICE_SMTP_PASSWORD", "alice-smtp-Pa55word"),
    ("ALICE_IMAP_PASSWORD", "alice-imap-Pa55word"),
    ("BOB_PASSWORD", "bob-Pa55word"),
    ("CAROL_PASSWORD", "carol-Pa55word"),
];

fn example() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/examples/campaign.toml");
    std::fs::read_to_string(path).expect("read the example apply file")
}

/// `text` with one substring replaced; fails if it is not there.
fn edited(text: &str, from: &str, to: &str) -> String {
    assert!(text.contains(from), "{from:?} is not in the file");
    text.replacen(from, to, 1)
}

/// A temp dir with an SQLite URL, the password variables, and the example file.
struct Cli {
    /// Kept so the directory lives as long as the test.
    _dir: tempfile::TempDir,
    env: HashMap<String, String>,
    file: PathBuf,
}

impl Cli {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut env = sqlite_env(dir.path());
        env.extend(
            PASSWORDS
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string())),
        );
        let file = dir.path().join("campaign.toml");
        let cli = Self {
            _dir: dir,
            env,
            file,
        };
        cli.write(&example());
        cli
    }

    fn write(&self, text: &str) {
        std::fs::write(&self.file, text).expect("write apply file");
    }

    fn apply(&self, extra: &[&str]) -> Output {
        let file = self.file.display().to_string();
        let mut args = vec!["apply", "-f", &file];
        args.extend_from_slice(extra);
        let output = outreachd(&args, &self.env);
        assert_no_secret(&output);
        output
    }

    async fn store(&self) -> std::sync::Arc<dyn Store> {
        outreachd::startup::install_crypto_provider();
        outreachd::startup::open_store(&settings(&self.env), OpenMode::Tool)
            .await
            .expect("open store")
    }
}

fn assert_no_secret(output: &Output) {
    let all = format!("{}{}", stdout(output), stderr(output));
    for (_, password) in PASSWORDS {
        assert!(!all.contains(password), "a password was printed:\n{all}");
    }
}

fn assert_ok(output: &Output) -> String {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        stdout(output),
        stderr(output)
    );
    stdout(output)
}

/// The one `error:` line of a failed run (logs may also go to stderr).
fn error_line(output: &Output) -> String {
    let err = stderr(output);
    assert!(
        !output.status.success(),
        "expected a failure, got:\n{}",
        stdout(output)
    );
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    let errors: Vec<&str> = err.lines().filter(|l| l.starts_with("error:")).collect();
    assert_eq!(errors.len(), 1, "expected one error line:\n{err}");
    errors[0].to_owned()
}

fn updated_lines(out: &str) -> Vec<&str> {
    out.lines().filter(|l| l.contains(": updated")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_creates_everything_and_a_second_apply_changes_nothing() {
    let cli = Cli::new();
    let out = assert_ok(&cli.apply(&[]));
    for line in [
        "workspace acme: created",
        "product \"Widget Pro\": created",
        "mailbox alice@acme.test: created",
        "mailbox carol@acme.test: created",
        "campaign \"Q4 outreach\": created",
        "Applied: 6 created, 0 updated, 0 unchanged.",
    ] {
        assert!(out.contains(line), "{line:?} missing from:\n{out}");
    }
    let again = assert_ok(&cli.apply(&[]));
    assert_eq!(
        again,
        "No changes: workspace acme is up to date (3 mailboxes, 1 product, 1 campaign).\n"
    );

    let store = cli.store().await;
    let ws = store
        .workspace_by_name("acme")
        .await
        .unwrap()
        .expect("workspace")
        .id;
    let q4 = store
        .campaign_by_name(ws, "Q4 outreach")
        .await
        .unwrap()
        .expect("campaign");
    assert_eq!(q4.mailbox_ids.len(), 3);
    assert_eq!(store.campaign_steps(ws, q4.id).await.unwrap().len(), 3);
    let alice = EmailAddress::parse("alice@acme.test").unwrap();
    let alice = store
        .mailbox_by_address(ws, &alice)
        .await
        .unwrap()
        .expect("mailbox");
    let creds = store.mailbox_credentials(ws, alice.id).await.unwrap();
    assert_eq!(creds.smtp_password.expose_secret(), PASSWORDS[0].1);
    assert_eq!(
        creds
            .imap_password
            .as_ref()
            .map(|p| p.expose_secret().to_owned())
            .as_deref(),
        Some(PASSWORDS[1].1)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editing_a_step_body_yields_exactly_one_updated_line() {
    let cli = Cli::new();
    assert_ok(&cli.apply(&[]));
    cli.write(&edited(
        &example(),
        "just floating this",
        "just bringing this",
    ));
    let out = assert_ok(&cli.apply(&[]));
    assert_eq!(
        updated_lines(&out),
        vec!["campaign \"Q4 outreach\": updated (step 2)"],
        "{out}"
    );
    assert!(out.contains("mailbox bob@acme.test: unchanged"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_shows_the_plan_and_writes_nothing() {
    let cli = Cli::new();
    let out = assert_ok(&cli.apply(&["--dry-run"]));
    assert!(
        out.contains("campaign \"Q4 outreach\": would be created"),
        "{out}"
    );
    assert!(
        out.contains("Dry run, nothing was written: 6 to create"),
        "{out}"
    );
    assert!(
        cli.store()
            .await
            .workspace_by_name("acme")
            .await
            .unwrap()
            .is_none()
    );

    assert_ok(&cli.apply(&[]));
    cli.write(&edited(
        &example(),
        "daily_cap = \"50/day\"",
        "daily_cap = 45",
    ));
    let out = assert_ok(&cli.apply(&["--dry-run"]));
    assert!(
        out.contains("mailbox alice@acme.test: would be updated (daily_cap)"),
        "{out}"
    );
    // The dry run wrote nothing: the real apply still has the change to make.
    let out = assert_ok(&cli.apply(&[]));
    assert_eq!(
        updated_lines(&out),
        vec!["mailbox alice@acme.test: updated (daily_cap)"],
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_password_is_an_update_that_never_shows_the_password() {
    let mut cli = Cli::new();
    assert_ok(&cli.apply(&[]));
    cli.env
        .insert("BOB_PASSWORD".into(), "bob-New-Pa55word".into());
    let output = cli.apply(&[]);
    assert!(!stderr(&output).contains("bob-New-Pa55word"));
    let out = assert_ok(&output);
    assert!(!out.contains("bob-New-Pa55word"), "{out}");
    assert_eq!(
        updated_lines(&out),
        vec!["mailbox bob@acme.test: updated (smtp password, imap password)"],
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_files_fail_with_one_line_naming_the_file_the_line_and_the_key() {
    let cli = Cli::new();
    // A first apply, so the store (and its key file) exist for the reference checks below.
    assert_ok(&cli.apply(&[]));
    let file = cli.file.display().to_string();
    let line_of = |text: &str, needle: &str| {
        text.lines()
            .position(|l| l.contains(needle))
            .map(|i| i + 1)
            .expect("needle")
    };
    let cases: Vec<(String, &str, Vec<&str>)> = vec![
        (
            edited(&example(), "track_clicks = false", "track_clics = false"),
            "track_clics",
            vec!["campaign \"Q4 outreach\"", "unknown field `track_clics`"],
        ),
        (
            edited(&example(), "delay = \"4d\"", "delay = \"4 days and a bit\""),
            "4 days",
            vec!["campaign \"Q4 outreach\" step 3, key delay"],
        ),
        (
            edited(&example(), "BOB_PASSWORD", "NO_SUCH_PASSWORD"),
            "NO_SUCH_PASSWORD",
            vec![
                "mailbox bob@acme.test, key smtp.password_env",
                "NO_SUCH_PASSWORD is not set",
            ],
        ),
        (
            edited(&example(), "\"carol@acme.test\"]", "\"dave@acme.test\"]"),
            "dave@",
            vec!["key mailboxes: unknown mailbox dave@acme.test"],
        ),
        (
            edited(
                &example(),
                "product = \"Widget Pro\"",
                "product = \"Widget Max\"",
            ),
            "Widget Max",
            vec!["key product: unknown product \"Widget Max\""],
        ),
        (
            edited(&example(), "port = 587", "port = 0"),
            "port = 0",
            vec!["key smtp.port"],
        ),
    ];
    for (text, needle, expected) in cases {
        cli.write(&text);
        let error = error_line(&cli.apply(&[]));
        let line = line_of(&text, needle);
        assert!(
            error.starts_with(&format!("error: invalid apply file {file}: line {line}")),
            "{error}"
        );
        for part in expected {
            assert!(error.contains(part), "{part:?} missing from: {error}");
        }
    }
    // Malformed TOML, and a campaign without steps.
    cli.write("[workspace\nname = \"acme\"\n");
    assert!(error_line(&cli.apply(&[])).contains(&format!("{file}: line 1, column 11")));
    let stepless = example()
        .split("[[campaigns.steps]]")
        .next()
        .unwrap_or_default()
        .to_owned();
    cli.write(&stepless);
    assert!(
        error_line(&cli.apply(&[])).contains("campaign \"Q4 outreach\", key steps: has no steps")
    );
    // Nothing above was written: the original file still applies without changes.
    cli.write(&example());
    assert!(assert_ok(&cli.apply(&[])).starts_with("No changes"));
}

// --- the library, on both backends ---

fn defaults() -> MailboxDefaults {
    MailboxDefaults {
        daily_cap: 50,
        hourly_cap: 0,
        min_gap: HumanDuration::from_secs(60),
        max_gap: HumanDuration::from_secs(180),
        timezone: "UTC".into(),
    }
}

fn manifest_of(text: &str) -> Manifest {
    let env = |name: &str| {
        PASSWORDS
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    };
    manifest::parse(Path::new("campaign.toml"), text, &defaults(), &env).expect("valid manifest")
}

fn changes(report: &ApplyReport, kind: ObjectKind) -> Vec<(String, Change, Vec<String>)> {
    report
        .objects
        .iter()
        .filter(|o| o.kind == kind && o.change != Change::Unchanged)
        .map(|o| (o.name.clone(), o.change, o.changed.clone()))
        .collect()
}

async fn apply_is_idempotent_and_reports_each_change(backend: TestBackend) {
    let t = test_store(backend).await;
    let store = &*t.store;
    let m = manifest_of(&example());
    let first = manifest::apply(store, &m, false)
        .await
        .expect("first apply");
    assert_eq!(first.count(Change::Created), 6, "{first}");
    let second = manifest::apply(store, &m, false)
        .await
        .expect("second apply");
    assert!(second.is_unchanged(), "{second}");

    let text = edited(&example(), "daily_cap = \"50/day\"", "daily_cap = 45");
    let text = edited(&text, "end = \"17:00\"", "end = \"18:00\"");
    let text = edited(&text, "status = \"draft\"", "status = \"paused\"");
    let m = manifest_of(&text);
    let planned = manifest::apply(store, &m, true).await.expect("dry run");
    let written = manifest::apply(store, &m, false)
        .await
        .expect("apply changes");
    for report in [&planned, &written] {
        assert_eq!(
            changes(report, ObjectKind::Mailbox),
            vec![(
                "alice@acme.test".into(),
                Change::Updated,
                vec!["daily_cap".into()]
            )]
        );
        assert_eq!(
            changes(report, ObjectKind::Campaign),
            vec![(
                "Q4 outreach".into(),
                Change::Updated,
                vec!["status".into(), "window".into()]
            )]
        );
    }
    assert!(
        manifest::apply(store, &m, false)
            .await
            .unwrap()
            .is_unchanged()
    );
}

async fn campaigns_may_use_objects_applied_earlier_but_not_unknown_ones(backend: TestBackend) {
    let t = test_store(backend).await;
    let store = &*t.store;
    manifest::apply(store, &manifest_of(&example()), false)
        .await
        .expect("apply example");
    let later = "[workspace]\nname = \"acme\"\n\n[[campaigns]]\nname = \"Q1\"\nproduct = \"Widget Pro\"\n\
                 mailboxes = [\"BOB@acme.test\"]\n[[campaigns.steps]]\nsubject = \"Hi\"\nbody = \"Hello\"\n";
    let report = manifest::apply(store, &manifest_of(later), false)
        .await
        .expect("apply later file");
    assert_eq!(
        changes(&report, ObjectKind::Campaign),
        vec![("Q1".into(), Change::Created, vec![])]
    );

    let unknown = later.replace("acme\"", "other\"");
    let err = manifest::apply(store, &manifest_of(&unknown), false)
        .await
        .expect_err("unknown references");
    let ManifestError::Invalid { problems, .. } = &err else {
        panic!("not Invalid: {err}")
    };
    assert_eq!(problems.len(), 2, "{err}");
    assert_eq!(
        (problems[0].line, problems[0].key.as_deref()),
        (Some(6), Some("product"))
    );
    assert_eq!(
        (problems[1].line, problems[1].key.as_deref()),
        (Some(7), Some("mailboxes"))
    );
    assert!(
        store.workspace_by_name("other").await.unwrap().is_none(),
        "an invalid file wrote its workspace"
    );
}

crate::on_both_backends!(
    apply_is_idempotent_and_reports_each_change,
    campaigns_may_use_objects_applied_earlier_but_not_unknown_ones,
);
