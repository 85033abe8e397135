//! `outreachd import-leads` end to end: the real binary on a fresh SQLite file.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use outreachd::domain::{
    CampaignSpec, EmailAddress, HumanDuration, MailboxSpec, SendingRules, ServerSpec, SmtpSecurity,
    StepSpec, WorkspaceId,
};
use outreachd::store::{OpenMode, Store};
use secrecy::SecretString;

use crate::helpers::{outreachd, settings, sqlite_env, stderr, stdout};

/// A temp dir with a migrated SQLite store holding workspace "acme".
struct Setup {
    dir: tempfile::TempDir,
    env: HashMap<String, String>,
    store: Arc<dyn Store>,
    ws: WorkspaceId,
}

impl Setup {
    async fn new() -> Self {
        outreachd::startup::install_crypto_provider();
        let dir = tempfile::tempdir().expect("temp dir");
        let env = sqlite_env(dir.path());
        let store = outreachd::startup::open_store(&settings(&env), OpenMode::Tool)
            .await
            .expect("open store");
        let ws = store
            .upsert_workspace("acme")
            .await
            .expect("create workspace")
            .value
            .id;
        Self {
            dir,
            env,
            store,
            ws,
        }
    }

    fn write(&self, name: &str, content: &[u8]) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).expect("write csv");
        path.display().to_string()
    }

    fn import(&self, args: &[&str]) -> std::process::Output {
        let mut all = vec!["import-leads"];
        all.extend_from_slice(args);
        outreachd(&all, &self.env)
    }

    async fn lead_count(&self) -> usize {
        self.store.lead_ids(self.ws).await.expect("lead ids").len()
    }

    /// Campaign "Q4 outreach" with one mailbox and one step.
    async fn campaign(&self) {
        let password = SecretString::from("secret".to_owned());
        let mailbox = MailboxSpec {
            address: EmailAddress::parse("sales@acme.test").expect("address"),
            from_name: "Sales".into(),
            signature: String::new(),
            smtp: ServerSpec {
                host: "127.0.0.1".into(),
                port: 2525,
                security: SmtpSecurity::Plain,
                username: "sales".into(),
                password,
            },
            imap: None,
            daily_cap: 50,
            hourly_cap: None,
            min_gap: HumanDuration::from_secs(60),
            max_gap: HumanDuration::from_secs(120),
            warmup: None,
            warmup_started_on: None,
            timezone: "UTC".into(),
        };
        let mailbox = self
            .store
            .upsert_mailbox(self.ws, &mailbox)
            .await
            .expect("mailbox")
            .value;
        let spec = CampaignSpec {
            name: "Q4 outreach".into(),
            goal: "book demos".into(),
            ai: Default::default(),
            product_id: None,
            status: None,
            rules: SendingRules::default(),
            mailbox_ids: vec![mailbox.id],
            steps: vec![StepSpec {
                delay: HumanDuration::from_secs(0),
                subject_template: Some("Hello {{ first_name }}".into()),
                body_template: "Hi".into(),
                ai_instructions: None,
            }],
        };
        self.store
            .upsert_campaign(self.ws, &spec)
            .await
            .expect("campaign");
    }
}

fn assert_ok(output: &std::process::Output) {
    assert!(
        output.status.success(),
        "exit {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        stdout(output),
        stderr(output)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_with_aliases_and_bad_rows_imports_the_good_ones_and_lists_the_rest_by_line() {
    let setup = Setup::new().await;
    let csv = "\u{feff}E-Mail Address;Given Name;Surname;Organisation;Time Zone;Deal Size\r\n\
               ann@example.com;Ann;Lee;Acme;Europe/Paris;10k\r\n\
               not-an-email;Bob;;;;\r\n\
               bea@example.com;\"Bea\r\nTrice\";Kim;\"Multi\nLine Co\";;\r\n\
               \r\n\
               ANN@example.com;Ann;again;;;\r\n\
               cy@example.com;Cy;;;Mars/Base;\r\n";
    let file = setup.write("leads.csv", csv.as_bytes());
    let output = setup.import(&["--workspace", "acme", &file]);
    assert_ok(&output);
    let out = stdout(&output);
    assert!(
        out.contains("Imported 2 leads from leads.csv (5 rows): 2 invalid, 1 duplicate in file."),
        "{out}"
    );
    assert!(out.contains("line 3: invalid email:"), "{out}");
    assert!(
        out.contains("line 8: ANN@example.com: duplicate of line 2"),
        "{out}"
    );
    assert!(
        out.contains("line 9: cy@example.com: unknown time zone \"Mars/Base\""),
        "{out}"
    );
    assert!(
        out.contains("Kept as custom fields: \"Deal Size\"."),
        "{out}"
    );

    let email = |s: &str| EmailAddress::parse(s).expect("email");
    let ann = setup
        .store
        .lead_by_email(setup.ws, &email("ann@example.com"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(ann.first_name.as_deref(), Some("Ann"));
    assert_eq!(ann.company.as_deref(), Some("Acme"));
    assert_eq!(ann.timezone.as_deref(), Some("Europe/Paris"));
    assert_eq!(ann.custom.get("Deal Size").map(String::as_str), Some("10k"));
    let bea = setup
        .store
        .lead_by_email(setup.ws, &email("bea@example.com"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bea.first_name.as_deref(), Some("Bea Trice"));
    assert_eq!(bea.company.as_deref(), Some("Multi Line Co"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn importing_the_same_file_twice_reports_the_leads_that_already_exist() {
    let setup = Setup::new().await;
    let file = setup.write(
        "leads.csv",
        b"email,name\na@example.com,A\nb@example.com,B\n",
    );
    assert_ok(&setup.import(&["-w", "acme", &file]));
    let again = setup.import(&["-w", "acme", &file]);
    assert_ok(&again);
    let out = stdout(&again);
    assert!(
        out.contains("Imported 0 leads from leads.csv (2 rows): 2 already existed."),
        "{out}"
    );
    assert!(
        out.contains("line 2: a@example.com: already exists"),
        "{out}"
    );
    assert_eq!(setup.lead_count().await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_workspace_is_a_clear_error() {
    let setup = Setup::new().await;
    let file = setup.write("leads.csv", b"email\na@example.com\n");
    let output = setup.import(&["--workspace", "nope", &file]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("workspace \"nope\" not found; create it with outreachd apply"),
        "{}",
        stderr(&output)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_header_without_an_email_column_fails_naming_the_headers_found() {
    let setup = Setup::new().await;
    let file = setup.write("leads.csv", b"Name;Company\nAnn;Acme\n");
    let output = setup.import(&["--workspace", "acme", &file]);
    assert!(!output.status.success());
    let err = stderr(&output);
    assert!(err.contains("no email column"), "{err}");
    assert!(err.contains("\"Name\", \"Company\""), "{err}");
    assert_eq!(setup.lead_count().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_file_fails_before_the_database_is_touched() {
    let dir = tempfile::tempdir().expect("temp dir");
    let env = sqlite_env(dir.path());
    let missing = dir.path().join("nope.csv").display().to_string();
    let output = outreachd(&["import-leads", "-w", "acme", &missing], &env);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("Failed to open the lead file"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path().join("outreachd.db").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_campaign_fails_before_anything_is_imported() {
    let setup = Setup::new().await;
    let file = setup.write("leads.csv", b"email\na@example.com\n");
    let output = setup.import(&["-w", "acme", &file, "--campaign", "Nope"]);
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("campaign \"Nope\" not found"),
        "{}",
        stderr(&output)
    );
    assert_eq!(setup.lead_count().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_and_already_known_leads_are_enrolled_into_the_campaign() {
    let setup = Setup::new().await;
    setup.campaign().await;
    let first = setup.write("first.csv", b"email\nold@example.com\n");
    assert_ok(&setup.import(&["-w", "acme", &first]));
    let file = setup.write(
        "leads.csv",
        b"email\nold@example.com\nnew@example.com\nbad\n",
    );
    let output = setup.import(&["-w", "acme", &file, "--campaign", "Q4 outreach"]);
    assert_ok(&output);
    let out = stdout(&output);
    assert!(
        out.contains(
            "Imported 1 lead from leads.csv (3 rows): 1 invalid, 1 already existed; enrolled 2 \
             into \"Q4 outreach\"."
        ),
        "{out}"
    );
    let summary = setup
        .store
        .workspace_summary(setup.ws, chrono::Utc::now())
        .await
        .unwrap();
    let enrolled: u64 = summary.campaigns[0].leads_by_status.values().sum();
    assert_eq!(enrolled, 2);
}

/// 100,000 rows with CRLF endings, a few with quoted newlines and a few blank lines between them
/// (so physical lines drift from record numbers), 25 invalid emails and 25 duplicates. Returns
/// the text and the lines of the bad rows.
fn big_csv() -> (String, Vec<u64>) {
    let mut csv = String::from("Email,First Name,Last Name,Company,Notes\r\n");
    let mut bad_lines = Vec::new();
    let mut line = 2;
    for i in 0..100_000u64 {
        if i % 25_000 == 24_999 {
            csv.push_str("\r\n");
            line += 1;
        }
        let email = match i % 4_000 {
            7 => {
                bad_lines.push(line);
                format!("bad-email-{i}.example.com")
            }
            2_007 => {
                bad_lines.push(line);
                format!("Lead{}@Example.com", i - 1)
            }
            _ => format!("lead{i}@example.com"),
        };
        let notes = if i % 10_000 == 5 {
            "\"first line\r\nsecond line\""
        } else {
            "plain"
        };
        write!(
            csv,
            "{email},First{i},Last{i},Company {},{notes}\r\n",
            i % 97
        )
        .expect("write");
        line += 1 + notes.matches('\n').count() as u64;
    }
    (csv, bad_lines)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hundred_thousand_rows_with_fifty_bad_ones_import_and_the_bad_ones_are_listed() {
    let setup = Setup::new().await;
    let (csv, bad_lines) = big_csv();
    assert_eq!(bad_lines.len(), 50);
    let file = setup.write("leads.csv", csv.as_bytes());
    let started = Instant::now();
    let output = setup.import(&["--workspace", "acme", &file]);
    let elapsed = started.elapsed();
    eprintln!("import-leads of 100,000 rows took {elapsed:.1?}");
    assert_ok(&output);
    let out = stdout(&output);
    assert!(
        out.contains(
            "Imported 99,950 leads from leads.csv (100,000 rows): 25 invalid, 25 duplicates in file."
        ),
        "{out}"
    );
    // The 20 listed ones reach past a blank line and four quoted newlines.
    for line in &bad_lines[..20] {
        assert!(
            out.contains(&format!("  line {line}: ")),
            "line {line} not listed:\n{out}"
        );
    }
    assert!(
        !out.contains(&format!("  line {}: ", bad_lines[20])),
        "{out}"
    );
    assert!(out.contains("… and 30 more"), "{out}");
    assert_eq!(setup.lead_count().await, 99_950);
}
