//! `outreachd explain`: the binding limit of a lead held by the window, by the mailbox's daily
//! cap, by a suppression, and of one eligible now; and of the mailbox itself.

use chrono::{Datelike, TimeDelta, Utc};
use outreachd::store::OpenMode;

use crate::helpers::settings;
use crate::ops::{MAILBOX, Ops, apply_file, campaign};

fn explain(ops: &Ops, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["explain", "-w", "ops", "--json"];
    all.extend_from_slice(args);
    serde_json::from_str(&ops.ok(&all)).expect("explain prints JSON")
}

fn lead(ops: &Ops, campaign: &str, email: &str) -> serde_json::Value {
    explain(ops, &["--campaign", campaign, "--lead", email])
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_names_the_window_the_daily_cap_a_suppression_or_eligible_now() {
    let ops = Ops::new();
    // A window open only on tomorrow's weekday is closed all of today.
    let tomorrow = (Utc::now() + TimeDelta::days(1))
        .weekday()
        .to_string()
        .to_lowercase();
    let windowed = format!(
        "timezone = \"UTC\"\nwindow = {{ days = \"{tomorrow}\", start = \"00:00\", end = \"23:59\" }}"
    );
    let campaigns = campaign("Open", "timezone = \"UTC\"") + &campaign("Windowed", &windowed);
    ops.write_apply(&apply_file(
        "outbox",
        25,
        "daily_cap = 1\nmin_gap = \"0s\"\nmax_gap = \"0s\"\ntimezone = \"UTC\"",
        &campaigns,
    ));
    ops.apply();
    ops.enrol("Open", &["a@rcpt.test", "b@rcpt.test", "c@rcpt.test"]);
    ops.enrol("Windowed", &["w@rcpt.test"]);

    let eligible = lead(&ops, "Open", "a@rcpt.test");
    assert_eq!(eligible["binding"], serde_json::Value::Null, "{eligible:#}");
    assert!(eligible["next_eligible"].is_string(), "{eligible:#}");

    let window = lead(&ops, "Windowed", "w@rcpt.test");
    assert_eq!(window["binding"], "window", "{window:#}");
    let opens = window["next_eligible"].as_str().expect("a next time");
    assert!(opens.contains("T00:00:00"), "{window:#}");

    // Suppress c (as an inbound bounce or the API would).
    outreachd::startup::install_crypto_provider();
    let store = outreachd::startup::open_store(&settings(&ops.env), OpenMode::Tool)
        .await
        .expect("open store");
    let ws = store
        .workspace_by_name("ops")
        .await
        .expect("read")
        .expect("workspace");
    store
        .add_suppression(ws.id, "c@rcpt.test", "test")
        .await
        .expect("suppress");
    let suppressed = lead(&ops, "Open", "c@rcpt.test");
    assert_eq!(suppressed["binding"], "suppression", "{suppressed:#}");
    assert_eq!(suppressed["next_eligible"], serde_json::Value::Null);
    drop(store);

    // The mailbox may send one a day: a run sends a or b, the other waits for the cap.
    ops.write_config(
        "[server]\nport = 0\n[daemon]\nreconcile_interval = \"1s\"\n[dispatch]\nidle_period = \"1s\"\n",
    );
    let config = ops.config.display().to_string();
    ops.ok(&["--config", &config, "run", "--until-idle"]);
    let mut bindings: Vec<String> = ["a@rcpt.test", "b@rcpt.test"]
        .iter()
        .map(|e| lead(&ops, "Open", e)["binding"].to_string())
        .collect();
    bindings.sort();
    assert_eq!(bindings, ["\"daily_cap\"", "\"lead_status\""]);
    let mailbox = explain(&ops, &["--mailbox", MAILBOX]);
    assert_eq!(mailbox["binding"], "daily_cap", "{mailbox:#}");

    // People get one line per check and the verdict.
    let text = ops.ok(&["explain", "--campaign", "Windowed", "--lead", "w@rcpt.test"]);
    for expected in [
        "suppression",
        "window",
        "BLOCKED until",
        "binding",
        "next eligible",
    ] {
        assert!(text.contains(expected), "{expected:?} missing:\n{text}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_refuses_unknown_names_and_incomplete_arguments() {
    let ops = Ops::new();
    ops.write_apply(&apply_file("outbox", 25, "", &campaign("Open", "")));
    ops.apply();
    let out = crate::helpers::outreachd(
        &[
            "explain",
            "--campaign",
            "Open",
            "--lead",
            "nobody@rcpt.test",
        ],
        &ops.env,
    );
    assert!(!out.status.success());
    assert!(crate::helpers::stderr(&out).contains("nobody@rcpt.test"));
    let out = crate::helpers::outreachd(&["explain", "--campaign", "Open"], &ops.env);
    assert!(!out.status.success());
}

/// The store reads behind `explain` and the supervisor's campaign reload, on both backends.
async fn enrolment_state_and_campaign_changes_are_read(backend: crate::support::TestBackend) {
    use outreachd::domain::{CampaignLeadStatus, LeadInsert, NewLead};

    let t = crate::support::test_store(backend).await;
    let store = t.store.as_ref();
    let defaults = settings(&std::collections::HashMap::new()).mailbox_defaults;
    let env = |_: &str| Some("pw".to_owned());
    let text = apply_file("outbox", 25, "", &campaign("Open", ""));
    let manifest =
        outreachd::manifest::parse(std::path::Path::new("ops.toml"), &text, &defaults, &env)
            .expect("valid apply file");
    outreachd::manifest::apply(store, &manifest, false)
        .await
        .expect("apply");
    let ws = store.workspace_by_name("ops").await.unwrap().unwrap();
    let campaign = store
        .campaign_by_name(ws.id, "Open")
        .await
        .unwrap()
        .unwrap();
    let changed = store.campaigns_changed_at().await.unwrap();
    assert_eq!(changed, Some(campaign.updated_at));
    let lead = NewLead {
        email: Some(outreachd::domain::EmailAddress::parse("x@rcpt.test").unwrap()),
        ..NewLead::default()
    };
    let id = match store.insert_leads(ws.id, &[lead]).await.unwrap()[0] {
        LeadInsert::Inserted(id) | LeadInsert::Existing(id) => id,
    };
    assert_eq!(
        store.enrolment_state(ws.id, campaign.id, id).await.unwrap(),
        None
    );
    let now = Utc::now();
    store
        .enroll_leads(ws.id, campaign.id, &[id], now)
        .await
        .unwrap();
    let state = store
        .enrolment_state(ws.id, campaign.id, id)
        .await
        .unwrap()
        .expect("enrolled");
    assert_eq!(state.status, CampaignLeadStatus::Active);
    assert_eq!(state.current_step_order, 1);
    assert_eq!(state.mailbox_id, Some(campaign.mailbox_ids[0]));
    let due = state.next_scheduled_at.expect("due");
    assert!((due - now).num_seconds().abs() <= 1, "{due} vs {now}");
    assert_eq!(state.lease_expires_at, None);
}

crate::on_both_backends!(enrolment_state_and_campaign_changes_are_read);
