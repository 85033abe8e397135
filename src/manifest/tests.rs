//! Parsing and validation of apply files: each test names one defect and checks the error says
//! where it is (file, line, object, key) on one line, without any secret.

use std::path::Path;

use secrecy::ExposeSecret;

use super::*;
use crate::domain::{HumanDuration, SendWindow};

const EXAMPLE: &str = include_str!("../../config/examples/campaign.toml");

const MINIMAL: &str = r#"[workspace]
name = "acme"

[[mailboxes]]
address = "alice@acme.test"
from_name = "Alice"
[mailboxes.smtp]
host = "smtp.acme.test"
port = 587
security = "starttls"
password_env = "ALICE_SMTP_PASSWORD"

[[campaigns]]
name = "Q4"
mailboxes = ["alice@acme.test"]
[[campaigns.steps]]
subject = "Hi {{ first_name }}"
body = "Hello"
[[campaigns.steps]]
delay = "3d"
body = "Following up"
"#;

const SECRET: &str = "alice-smtp-s3cret";

fn defaults() -> MailboxDefaults {
    MailboxDefaults {
        daily_cap: 50,
        hourly_cap: 0,
        min_gap: HumanDuration::from_secs(60),
        max_gap: HumanDuration::from_secs(180),
        timezone: "UTC".into(),
    }
}

fn env(name: &str) -> Option<String> {
    match name {
        "ALICE_SMTP_PASSWORD" => Some(SECRET.into()),
        "ALICE_IMAP_PASSWORD" => Some("alice-imap-s3cret".into()),
        "BOB_PASSWORD" => Some("bob-s3cret".into()),
        "CAROL_PASSWORD" => Some("carol-s3cret".into()),
        "EMPTY_PASSWORD" => Some(String::new()),
        _ => None,
    }
}

fn load_text(text: &str) -> Result<Manifest, ManifestError> {
    parse(
        Path::new("/etc/outreachd/acme.toml"),
        text,
        &defaults(),
        &env,
    )
}

/// The error for `text`, checked to be one line without the test secret.
fn error(text: &str) -> String {
    let err = load_text(text)
        .expect_err("the file should be rejected")
        .to_string();
    assert!(!err.contains('\n'), "error spans several lines: {err}");
    assert!(!err.contains(SECRET), "error shows a secret: {err}");
    assert!(
        err.starts_with("invalid apply file /etc/outreachd/acme.toml: "),
        "{err}"
    );
    err
}

/// MINIMAL with one substring replaced.
fn minimal_with(from: &str, to: &str) -> String {
    assert!(MINIMAL.contains(from), "{from:?} not in MINIMAL");
    MINIMAL.replacen(from, to, 1)
}

/// The 1-based line of the first line containing `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .expect("needle in text")
}

#[test]
fn the_example_file_loads_with_defaults_filled_in() {
    let m = load_text(EXAMPLE).unwrap();
    assert_eq!(m.workspace, "acme");
    assert_eq!(
        (m.mailboxes.len(), m.products.len(), m.campaigns.len()),
        (3, 1, 1)
    );
    assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    let alice = &m.mailboxes[0];
    assert_eq!((alice.daily_cap, alice.hourly_cap), (50, Some(10)));
    assert_eq!(alice.timezone, "Europe/Berlin");
    assert_eq!(alice.smtp.password.expose_secret(), SECRET);
    let imap = alice.imap.as_ref().unwrap();
    assert_eq!(imap.password.expose_secret(), "alice-imap-s3cret");
    let bob = &m.mailboxes[1];
    let bob_imap = bob.imap.as_ref().unwrap();
    assert_eq!(bob_imap.username, "bob@acme.test");
    assert_eq!(bob_imap.password.expose_secret(), "bob-s3cret");
    assert_eq!(m.mailboxes[2].min_gap, HumanDuration::parse("2m").unwrap());
    let q4 = &m.campaigns[0];
    assert_eq!(q4.product.as_ref().unwrap().target, "Widget Pro");
    assert_eq!(
        q4.rules.window,
        SendWindow::parse("mon-fri", "09:00", "17:00").unwrap()
    );
    assert_eq!(q4.steps.len(), 3);
    assert_eq!(q4.steps[1].subject_template, None);
    assert_eq!(q4.steps[1].delay, HumanDuration::parse("3d").unwrap());
}

#[test]
fn omitted_settings_come_from_the_config_defaults() {
    let m = load_text(MINIMAL).unwrap();
    let alice = &m.mailboxes[0];
    assert_eq!(
        (alice.daily_cap, alice.hourly_cap, alice.timezone.as_str()),
        (50, None, "UTC")
    );
    assert_eq!(
        (alice.min_gap.as_secs(), alice.max_gap.as_secs()),
        (60, 180)
    );
    assert_eq!(alice.smtp.username, "alice@acme.test");
    assert!(alice.imap.is_none() && alice.warmup.is_none());
    let q4 = &m.campaigns[0];
    assert_eq!(q4.rules, crate::domain::SendingRules::default());
    assert_eq!((q4.status, q4.steps[0].delay), (None, HumanDuration::ZERO));
}

#[test]
fn a_missing_file_is_named() {
    let err = load(Path::new("/nonexistent/acme.toml"), &defaults(), &env).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("cannot read apply file /nonexistent/acme.toml"),
        "{err}"
    );
}

#[test]
fn malformed_toml_names_the_file_and_line() {
    let err = error("[workspace\nname = \"acme\"\n");
    assert!(err.contains("line 1, column 11"), "{err}");
}

#[test]
fn an_unknown_key_names_the_line_the_object_and_the_key() {
    let text = minimal_with(
        "body = \"Following up\"",
        "body = \"Following up\"\ndelai = \"3d\"",
    );
    let err = error(&text);
    let line = line_of(&text, "delai");
    assert!(
        err.contains(&format!("line {line}, column 1: campaign \"Q4\" step 2")),
        "{err}"
    );
    assert!(err.contains("unknown field `delai`"), "{err}");
}

#[test]
fn a_typo_in_a_server_table_names_the_mailbox_and_the_table() {
    let text = minimal_with("port = 587", "prot = 587");
    let err = error(&text);
    assert!(
        err.contains("mailbox alice@acme.test, key smtp: unknown field `prot`"),
        "{err}"
    );
    assert!(
        err.contains(&format!("line {}", line_of(&text, "prot"))),
        "{err}"
    );
}

#[test]
fn a_bad_duration_is_reported_at_its_value() {
    let text = minimal_with("delay = \"3d\"", "delay = \"3 fortnights\"");
    let err = error(&text);
    assert!(
        err.contains(&format!("line {}, column 9", line_of(&text, "fortnights"))),
        "{err}"
    );
    assert!(
        err.contains("step 2, key delay") && err.contains("unknown unit"),
        "{err}"
    );
}

#[test]
fn a_bad_window_and_an_unknown_status_are_reported() {
    let text = minimal_with(
        "name = \"Q4\"",
        "name = \"Q4\"\nwindow = { days = \"mon-fri\", start = \"17:00\", end = \"09:00\" }",
    );
    assert!(error(&text).contains("key window: window start 17:00 is not before its end 09:00"));
    let text = minimal_with(
        "name = \"Q4\"",
        "name = \"Q4\"\nwindow = { days = \"funday\" }",
    );
    assert!(error(&text).contains("unknown weekday"));
    let text = minimal_with("name = \"Q4\"", "name = \"Q4\"\nstatus = \"runing\"");
    assert!(error(&text).contains("`running`"));
}

#[test]
fn an_unknown_time_zone_is_named() {
    let text = minimal_with(
        "name = \"Q4\"",
        "name = \"Q4\"\ntimezone = \"Mars/Olympus\"",
    );
    let err = error(&text);
    let line = line_of(&text, "Mars");
    assert!(
        err.contains(&format!(
            "line {line}: campaign \"Q4\", key timezone: unknown time zone \"Mars/Olympus\""
        )),
        "{err}"
    );
}

#[test]
fn an_unset_password_variable_is_named() {
    let err = error(&minimal_with("ALICE_SMTP_PASSWORD", "NOPE_PASSWORD"));
    assert!(
        err.contains("key smtp.password_env: environment variable NOPE_PASSWORD is not set"),
        "{err}"
    );
    let err = error(&minimal_with("ALICE_SMTP_PASSWORD", "EMPTY_PASSWORD"));
    assert!(err.contains("EMPTY_PASSWORD is empty"), "{err}");
}

#[test]
fn secrets_never_appear_in_errors_or_warnings() {
    let inline = format!("password = \"{SECRET}\"");
    // A typo next to an inline password: toml would quote the line in its long report.
    let text = minimal_with(
        "password_env = \"ALICE_SMTP_PASSWORD\"",
        &format!("{inline}\npasswd = \"{SECRET}\""),
    );
    assert!(error(&text).contains("unknown field `passwd`"));
    // A password written as a number: the type error would show it.
    let err = error(&minimal_with(
        "password_env = \"ALICE_SMTP_PASSWORD\"",
        "password = 123456789",
    ));
    assert!(
        !err.contains("123456789") && err.contains("key smtp.password"),
        "{err}"
    );
    // Inline passwords work, with a warning that does not show them.
    let m = load_text(&minimal_with(
        "password_env = \"ALICE_SMTP_PASSWORD\"",
        &inline,
    ))
    .unwrap();
    assert_eq!(m.mailboxes[0].smtp.password.expose_secret(), SECRET);
    let warning = m.warnings[0].to_string();
    assert!(
        warning.contains("smtp.password") && !warning.contains(SECRET),
        "{warning}"
    );
    assert!(
        !format!("{m:?}").contains(SECRET),
        "Debug of a manifest shows a secret"
    );
}

#[test]
fn duplicate_names_are_reported_with_the_first_line() {
    let text = format!(
        "{MINIMAL}\n[[mailboxes]]\naddress = \"ALICE@acme.test\"\nfrom_name = \"A\"\n\
         smtp = {{ host = \"h.test\", port = 25, security = \"plain\", password_env = \"BOB_PASSWORD\" }}\n\
         [[campaigns]]\nname = \"Q4\"\n[[campaigns.steps]]\nsubject = \"s\"\nbody = \"b\"\n"
    );
    let err = error(&text);
    assert!(err.contains("2 problems"), "{err}");
    assert!(
        err.contains("mailbox ALICE@acme.test is declared twice (first on line 5)"),
        "{err}"
    );
    assert!(
        err.contains("campaign \"Q4\" is declared twice (first on line 14)"),
        "{err}"
    );
}

#[test]
fn a_campaign_without_steps_is_rejected() {
    let text = MINIMAL
        .split("[[campaigns.steps]]")
        .next()
        .unwrap_or_default();
    let err = error(text);
    assert!(
        err.contains("campaign \"Q4\", key steps: has no steps"),
        "{err}"
    );
}

#[test]
fn min_gap_above_max_gap_is_rejected_even_against_a_default() {
    let err = error(&minimal_with(
        "from_name = \"Alice\"",
        "from_name = \"Alice\"\nmin_gap = \"5m\"",
    ));
    assert!(
        err.contains(
            "key min_gap: min_gap (5m) is greater than max_gap (3m) (max_gap is the default)"
        ),
        "{err}"
    );
}

#[test]
fn port_zero_is_rejected() {
    let text = minimal_with("port = 587", "port = 0");
    let err = error(&text);
    assert!(
        err.contains(&format!(
            "line {}: mailbox alice@acme.test, key smtp.port",
            line_of(&text, "port = 0")
        )),
        "{err}"
    );
}

#[test]
fn the_first_step_needs_a_subject_and_follow_ups_need_a_delay() {
    let text =
        minimal_with("subject = \"Hi {{ first_name }}\"\n", "").replacen("delay = \"3d\"\n", "", 1);
    let err = error(&text);
    assert!(
        err.contains("step 1, key subject: the first step needs a subject"),
        "{err}"
    );
    assert!(
        err.contains("step 2, key delay: a follow-up needs a delay"),
        "{err}"
    );
}

#[test]
fn a_template_syntax_error_names_the_step_and_its_line() {
    let text = minimal_with(
        "body = \"Hello\"",
        "body = \"\"\"\nHello\n{{ first_name \"\"\"",
    );
    let err = error(&text);
    let line = line_of(&text, "{{ first_name \"\"\"");
    assert!(
        err.contains(&format!(
            "line {line}: campaign \"Q4\" step 1, key body: body template: syntax error"
        )),
        "{err}"
    );
}

#[test]
fn a_misspelt_template_variable_is_caught_before_any_send() {
    let err = error(&minimal_with("Hi {{ first_name }}", "Hi {{ frist_name }}"));
    assert!(
        err.contains("step 1, key subject: subject template: undefined variable \"frist_name\""),
        "{err}"
    );
}

#[test]
fn two_password_sources_are_rejected() {
    let err = error(&minimal_with(
        "password_env",
        "password_file = \"pw\"\npassword_env",
    ));
    assert!(
        err.contains("give only one of password_env, password_file and password"),
        "{err}"
    );
}

#[test]
fn a_password_file_is_read_relative_to_the_apply_file_without_its_newline() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("alice.pw"), "from-a-file\n").unwrap();
    let path = dir.path().join("acme.toml");
    std::fs::write(
        &path,
        minimal_with(
            "password_env = \"ALICE_SMTP_PASSWORD\"",
            "password_file = \"alice.pw\"",
        ),
    )
    .unwrap();
    let m = load(&path, &defaults(), &env).unwrap();
    assert_eq!(m.mailboxes[0].smtp.password.expose_secret(), "from-a-file");
    std::fs::remove_file(dir.path().join("alice.pw")).unwrap();
    let err = load(&path, &defaults(), &env).unwrap_err().to_string();
    assert!(
        err.contains("key smtp.password_file: cannot read") && err.contains("alice.pw"),
        "{err}"
    );
}

#[test]
fn a_file_level_default_overrides_the_config_and_hourly_cap_zero_means_none() {
    let text = minimal_with(
        "[[mailboxes]]",
        "[mailbox_defaults]\ndaily_cap = 30\nhourly_cap = 5\n\n[[mailboxes]]",
    );
    assert_eq!(
        (
            load_text(&text).unwrap().mailboxes[0].daily_cap,
            load_text(&text).unwrap().mailboxes[0].hourly_cap
        ),
        (30, Some(5))
    );
    let text = minimal_with(
        "from_name = \"Alice\"",
        "from_name = \"Alice\"\nhourly_cap = 0",
    );
    assert_eq!(load_text(&text).unwrap().mailboxes[0].hourly_cap, None);
}

#[test]
fn a_from_name_with_a_line_break_is_rejected() {
    let err = error(&minimal_with(
        "from_name = \"Alice\"",
        "from_name = \"Alice\\nBcc: x@y.test\"",
    ));
    assert!(
        err.contains("key from_name") && err.contains("line break"),
        "{err}"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = minimal_with("port = 587", "port = 0")
        .replacen("mailboxes = [", "timezone = \"Nowhere\"\nmailboxes = [", 1)
        .replacen("ALICE_SMTP_PASSWORD", "NOPE_PASSWORD", 1);
    let err = error(&text);
    assert!(err.contains("3 problems"), "{err}");
    let (port, var, tz) = (
        err.find("smtp.port"),
        err.find("NOPE_PASSWORD"),
        err.find("Nowhere"),
    );
    assert!(
        port < var && var < tz,
        "problems are not in line order: {err}"
    );
}

#[test]
fn an_unusual_port_and_security_pair_gives_a_warning() {
    let m = load_text(&minimal_with("port = 587", "port = 465")).unwrap();
    assert!(
        m.warnings[0]
            .to_string()
            .contains("port 465 usually uses security = \"tls\"")
    );
}

#[test]
fn caps_written_as_rates_over_their_own_period_are_counts() {
    let text = minimal_with(
        "from_name = \"Alice\"",
        "from_name = \"Alice\"\ndaily_cap = \"40/day\"\nhourly_cap = \"6/h\"",
    );
    let m = load_text(&text).unwrap();
    assert_eq!(
        (m.mailboxes[0].daily_cap, m.mailboxes[0].hourly_cap),
        (40, Some(6))
    );
    let text = format!("[mailbox_defaults]\ndaily_cap = \"30/24h\"\n\n{MINIMAL}");
    assert_eq!(load_text(&text).unwrap().mailboxes[0].daily_cap, 30);
}

#[test]
fn a_cap_rate_over_another_period_names_the_key_and_its_line() {
    let text = minimal_with(
        "from_name = \"Alice\"",
        "from_name = \"Alice\"\nhourly_cap = \"100/day\"",
    );
    let err = error(&text);
    let line = line_of(&text, "hourly_cap");
    assert!(
        err.contains(&format!("line {line}"))
            && err.contains("hourly_cap \"100/day\" is a rate per day"),
        "{err}"
    );
}

#[test]
fn a_mailbox_status_is_active_paused_or_absent() {
    let m = load_text(MINIMAL).unwrap();
    assert_eq!(m.mailbox_status, [None]);
    let paused = minimal_with(
        "from_name = \"Alice\"",
        "from_name = \"Alice\"\nstatus = \"paused\"",
    );
    assert_eq!(
        load_text(&paused).unwrap().mailbox_status,
        [Some(crate::service::mailboxes::WantedStatus::Paused)]
    );
    let cooling = minimal_with(
        "from_name = \"Alice\"",
        "from_name = \"Alice\"\nstatus = \"cooling\"",
    );
    let err = error(&cooling);
    assert!(
        err.contains("mailbox alice@acme.test")
            && err.contains("status must be \"active\" or \"paused\""),
        "{err}"
    );
}

#[test]
fn a_campaign_may_name_its_ai_provider_and_model() {
    let text = minimal_with(
        "name = \"Q4\"\n",
        "name = \"Q4\"\nai_provider = \"anthropic\"\nai_model = \"claude-sonnet-4-5\"\n",
    );
    let q4 = &load_text(&text).unwrap().campaigns[0];
    assert_eq!(q4.ai.provider, Some(crate::ai::ProviderName::Anthropic));
    assert_eq!(q4.ai.model.as_deref(), Some("claude-sonnet-4-5"));
    assert_eq!(
        load_text(MINIMAL).unwrap().campaigns[0].ai,
        crate::domain::CampaignAi::default()
    );
    let unknown = error(&minimal_with(
        "name = \"Q4\"\n",
        "name = \"Q4\"\nai_provider = \"mistral\"\n",
    ));
    assert!(unknown.contains("mistral"), "{unknown}");
}
