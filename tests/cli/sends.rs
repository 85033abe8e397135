//! `outreachd sends unknown|resolve`: listing `unknown` sends and resolving them by id or by
//! age, as sent (the lead moves on by its next step's delay) or to send again.

use std::sync::Arc;

use chrono::{TimeDelta, Utc};
use outreachd::domain::{CampaignLeadStatus, ClaimRequest, Completion, GeneratedMessage};
use outreachd::store::{OpenMode, Store};

use crate::helpers::{outreachd, settings, stderr, stdout};
use crate::ops::{MAILBOX, Ops, apply_file};

const TWO_STEPS: &str = r#"[[campaigns]]
name = "Seq"
goal = "Two steps"
status = "running"
mailboxes = ["sender1@example.test"]
timezone = "UTC"

[[campaigns.steps]]
delay = "0s"
subject = "Hello {{ first_name }}"
body = "Step one."

[[campaigns.steps]]
delay = "2d"
body = "Step two."
"#;

async fn open(ops: &Ops) -> Arc<dyn Store> {
    outreachd::startup::install_crypto_provider();
    outreachd::startup::open_store(&settings(&ops.env), OpenMode::Tool)
        .await
        .expect("open store")
}

/// Every due step 1 is claimed, marked `sending` and ends `unknown`, as after a crash.
async fn leave_unknown(ops: &Ops) -> usize {
    let store = open(ops).await;
    let ws = store.workspace_by_name("ops").await.unwrap().unwrap();
    let campaign = store.campaign_by_name(ws.id, "Seq").await.unwrap().unwrap();
    let now = Utc::now();
    let claimed = store
        .claim_due(&ClaimRequest {
            workspace_id: ws.id,
            campaign_id: campaign.id,
            now,
            lease_for: TimeDelta::minutes(5),
            max_rows: 100,
            max_new_leads: 100,
            mailboxes: None,
        })
        .await
        .unwrap();
    let mut done = Vec::new();
    for c in &claimed {
        let text = GeneratedMessage {
            subject: format!("Hello {}", c.lead.email),
            body_text: "Step one.".into(),
            body_html: None,
            provider: "template".into(),
            model: None,
            prompt_tokens: 0,
            completion_tokens: 0,
            cost_usd: 0.0,
        };
        store.save_generated(&c.send, 1, &text).await.unwrap();
        let message_id = format!("<{}@example.test>", c.send.send_id);
        assert!(
            store
                .mark_sending(&c.send, &message_id, now, TimeDelta::minutes(5))
                .await
                .unwrap()
        );
        done.push(Completion::Unknown {
            send: c.send,
            message_id,
            reason: "connection lost after the final dot".into(),
            count_date: now.date_naive(),
        });
    }
    store.complete_sends(&done, now).await.unwrap();
    claimed.len()
}

fn unknown(ops: &Ops) -> Vec<serde_json::Value> {
    serde_json::from_str(&ops.ok(&["sends", "unknown", "--json"])).expect("JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_sends_are_listed_and_resolved_by_id_or_by_age() {
    let ops = Ops::new();
    ops.write_apply(&apply_file(
        "outbox",
        25,
        "min_gap = \"0s\"\nmax_gap = \"0s\"",
        TWO_STEPS,
    ));
    ops.apply();
    assert!(ops.ok(&["sends", "unknown"]).contains("No unknown sends."));
    ops.enrol("Seq", &["a@rcpt.test", "b@rcpt.test", "c@rcpt.test"]);
    assert_eq!(leave_unknown(&ops).await, 3);

    let listed = unknown(&ops);
    assert_eq!(listed.len(), 3, "{listed:#?}");
    let text = ops.ok(&["sends", "unknown", "-w", "ops", "--campaign", "Seq"]);
    for send in &listed {
        for field in ["send_id", "lead_email", "message_id"] {
            let value = send[field].as_str().unwrap();
            assert!(text.contains(value), "{field} {value} missing:\n{text}");
        }
    }
    assert!(text.contains(MAILBOX) && text.contains("step 1"), "{text}");
    let other = outreachd(&["sends", "unknown", "--campaign", "Nope"], &ops.env);
    assert!(!other.status.success());
    assert!(stderr(&other).contains("campaign \"Nope\" not found"));

    let id = |email: &str| -> String {
        listed
            .iter()
            .find(|s| s["lead_email"] == email)
            .and_then(|s| s["send_id"].as_str())
            .unwrap()
            .to_owned()
    };
    let (a, b) = (id("a@rcpt.test"), id("b@rcpt.test"));
    let out = ops.ok(&["sends", "resolve", &a, "--as", "sent"]);
    assert!(
        out.contains("a@rcpt.test step 1: sent; next step due") && out.contains("Resolved 1 of 1"),
        "{out}"
    );
    let out = ops.ok(&["sends", "resolve", &b, "--as", "resend", "-w", "ops"]);
    assert!(out.contains("queued to send again"), "{out}");
    let again = outreachd(&["sends", "resolve", &a, "--as", "resend"], &ops.env);
    assert!(!again.status.success(), "an id no longer unknown fails");
    assert!(stdout(&again).contains("left alone"), "{}", stdout(&again));

    let newer = ops.ok(&["sends", "resolve", "--older-than", "1h", "--as", "sent"]);
    assert!(newer.contains("Resolved 0 of 0"), "{newer}");
    let rest = ops.ok(&["sends", "resolve", "--older-than", "0s", "--as", "sent"]);
    assert!(
        rest.contains("c@rcpt.test") && rest.contains("Resolved 1 of 1"),
        "{rest}"
    );
    assert!(unknown(&ops).is_empty());

    let store = open(&ops).await;
    let ws = store.workspace_by_name("ops").await.unwrap().unwrap();
    let campaign = store.campaign_by_name(ws.id, "Seq").await.unwrap().unwrap();
    let state = |email: &str| {
        let store = &store;
        let email = email.to_owned();
        async move {
            let lead = store
                .lead_by_email(
                    ws.id,
                    &outreachd::domain::EmailAddress::parse(&email).unwrap(),
                )
                .await
                .unwrap()
                .unwrap();
            store
                .enrolment_state(ws.id, campaign.id, lead.id)
                .await
                .unwrap()
                .unwrap()
        }
    };
    let a_state = state("a@rcpt.test").await;
    assert_eq!(
        (a_state.status, a_state.current_step_order),
        (CampaignLeadStatus::Active, 2)
    );
    let due = a_state.next_scheduled_at.expect("step 2 scheduled");
    let wait = due - Utc::now();
    assert!(
        wait > TimeDelta::days(2) - TimeDelta::minutes(5) && wait <= TimeDelta::days(2),
        "step 2 waits its 2-day delay: {wait}"
    );
    let b_state = state("b@rcpt.test").await;
    assert_eq!(b_state.current_step_order, 1, "b sends step 1 again");
    assert!(b_state.next_scheduled_at.is_some_and(|t| t <= Utc::now()));
}

#[test]
fn resolve_needs_ids_or_an_age_and_a_verdict() {
    let ops = Ops::new();
    let none = outreachd(&["sends", "resolve", "--as", "sent"], &ops.env);
    assert!(!none.status.success());
    let no_verdict = outreachd(&["sends", "resolve", "--older-than", "1h"], &ops.env);
    assert!(!no_verdict.status.success());
    let bad_age = outreachd(
        &["sends", "resolve", "--older-than", "90", "--as", "sent"],
        &ops.env,
    );
    assert!(!bad_age.status.success());
    assert!(stderr(&bad_age).contains("unit"), "{}", stderr(&bad_age));
}
