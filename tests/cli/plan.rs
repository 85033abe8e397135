//! `outreachd plan`: what an apply file or a new daemon configuration would change, without
//! writing.

use outreachd::domain::EmailAddress;
use outreachd::store::OpenMode;

use crate::helpers::{outreachd, settings, stderr, stdout};
use crate::ops::{MAILBOX, Ops, SMTP_PASSWORD, apply_file, campaign};

const V1: &str = "daily_cap = 10\nmin_gap = \"60s\"\nmax_gap = \"120s\"";
const V2: &str = "daily_cap = 20\nmin_gap = \"30s\"\nmax_gap = \"120s\"\n\
                  warmup_started_on = \"2026-01-05\"";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_shows_created_updated_with_values_and_unchanged_objects_without_writing() {
    let mut ops = Ops::new();
    ops.write_apply(&apply_file("outbox", 25, V1, &campaign("Open", "")));
    ops.apply();
    let file = ops.apply.display().to_string();

    let same = ops.ok(&["plan", "-f", &file]);
    assert!(same.contains("0 to create, 0 to update"), "{same}");
    assert!(
        same.contains(&format!("unchanged mailbox {MAILBOX}")),
        "{same}"
    );

    let campaigns = campaign("Open", "daily_new_leads_cap = 5") + &campaign("New", "");
    ops.write_apply(&apply_file("outbox", 25, V2, &campaigns));
    ops.env
        .insert("OPS_SMTP_PASSWORD".into(), "Another-Pa55-77".into());
    let plan = outreachd(&["plan", "-f", &file], &ops.env);
    let text = stdout(&plan) + &stderr(&plan);
    assert!(plan.status.success(), "{text}");
    for expected in [
        &format!("~ update mailbox {MAILBOX}") as &str,
        "daily_cap: 10 -> 20",
        "min_gap: 1m -> 30s",
        "smtp password (changed)",
        "warmup_started_on: ",
        "-> 2026-01-05",
        "~ update campaign \"Open\"",
        "daily_new_leads_cap: none -> 5",
        "+ create campaign \"New\"",
        "1 to create, 2 to update",
    ] {
        assert!(text.contains(expected), "{expected:?} missing:\n{text}");
    }
    assert!(!text.contains(SMTP_PASSWORD) && !text.contains("Another-Pa55-77"));

    let json: serde_json::Value =
        serde_json::from_str(&ops.ok(&["plan", "-f", &file, "--json"])).expect("JSON");
    let mailbox = json["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .find(|o| o["kind"] == "mailbox")
        .expect("the mailbox")
        .clone();
    assert_eq!(mailbox["change"], "updated");
    let cap = mailbox["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .find(|f| f["key"] == "daily_cap")
        .expect("daily_cap field")
        .clone();
    assert_eq!(
        (cap["old"].as_str(), cap["new"].as_str()),
        (Some("10"), Some("20"))
    );

    // Nothing was written.
    outreachd::startup::install_crypto_provider();
    let store = outreachd::startup::open_store(&settings(&ops.env), OpenMode::Tool)
        .await
        .expect("open store");
    let ws = store.workspace_by_name("ops").await.unwrap().unwrap();
    let mb = store
        .mailbox_by_address(ws.id, &EmailAddress::parse(MAILBOX).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(mb.daily_cap, 10);
    assert!(
        store
            .campaign_by_name(ws.id, "New")
            .await
            .unwrap()
            .is_none()
    );
}

#[test]
fn plan_of_a_new_config_says_which_keys_reload_and_which_need_a_restart() {
    let ops = Ops::new();
    ops.write_config("[mailbox_defaults]\ndaily_cap = 50\n");
    let new = ops.path("new.toml");
    std::fs::write(
        &new,
        "[mailbox_defaults]\ndaily_cap = 20\n[server]\nport = 9999\n[log]\nlevel = \"debug\"\n",
    )
    .unwrap();
    let current = ops.config.display().to_string();
    let text = ops.ok(&["--config", &current, "plan", "--new-config", &new]);
    for expected in [
        "mailbox_defaults.daily_cap: 50 -> 20 (reloads live)",
        "log.level: \"info\" -> \"debug\" (reloads live)",
        "server.port: 8080 -> 9999 (needs a restart)",
    ] {
        assert!(text.contains(expected), "{expected:?} missing:\n{text}");
    }
    // An invalid new file is refused with its line and key.
    std::fs::write(&new, "[server]\nport = 1\nbogus = true\n").unwrap();
    let out = outreachd(
        &["--config", &current, "plan", "--new-config", &new],
        &ops.env,
    );
    let err = stderr(&out);
    assert!(!out.status.success());
    assert!(err.contains("bogus") && err.contains("line 3"), "{err}");
}
