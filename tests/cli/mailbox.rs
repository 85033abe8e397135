//! `outreachd mailbox pause|resume|status`, and a mailbox's `status` key in apply files.

use crate::helpers::{outreachd, stderr, stdout};
use crate::ops::{MAILBOX, Ops, apply_file, campaign};

const LIMITS: &str = "daily_cap = 7\nmin_gap = \"0s\"\nmax_gap = \"0s\"\ntimezone = \"UTC\"";

fn status_json(ops: &Ops) -> serde_json::Value {
    let text = ops.ok(&["mailbox", "status", MAILBOX, "--json"]);
    let all: serde_json::Value = serde_json::from_str(&text).expect("status prints JSON");
    all[0].clone()
}

#[test]
fn an_operator_pauses_and_resumes_a_mailbox_and_sees_its_state() {
    let ops = Ops::new();
    ops.write_apply(&apply_file("outbox", 25, LIMITS, &campaign("Open", "")));
    ops.apply();

    let state = status_json(&ops);
    assert_eq!(state["status"], "active", "{state:#}");
    assert_eq!(state["sent_today"], 0);
    assert_eq!(state["daily_cap_today"], 7);
    assert_eq!(state["reason"], serde_json::Value::Null);

    let paused = ops.ok(&["mailbox", "pause", MAILBOX, "--reason", "SPF record broken"]);
    assert!(
        paused.contains(&format!("Mailbox {MAILBOX} paused")),
        "{paused}"
    );
    let listed = ops.ok(&["mailbox", "status", "-w", "ops"]);
    assert!(
        listed.contains("paused") && listed.contains("reason: SPF record broken"),
        "{listed}"
    );
    assert!(listed.contains("sent today 0/7"), "{listed}");
    let again = ops.ok(&["mailbox", "pause", MAILBOX]);
    assert!(again.contains("already paused"), "{again}");
    assert_eq!(status_json(&ops)["reason"], "SPF record broken", "kept");

    let resumed = ops.ok(&["mailbox", "resume", MAILBOX, "-w", "ops"]);
    assert!(
        resumed.contains("resumed (was paused: SPF record broken)"),
        "{resumed}"
    );
    let state = status_json(&ops);
    assert_eq!(
        (&state["status"], &state["reason"]),
        (&"active".into(), &serde_json::Value::Null)
    );
    let again = ops.ok(&["mailbox", "resume", MAILBOX]);
    assert!(again.contains("already active"), "{again}");

    let missing = outreachd(&["mailbox", "pause", "nobody@example.test"], &ops.env);
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("mailbox nobody@example.test not found in workspace \"ops\""),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn an_apply_file_pauses_and_resumes_a_mailbox_and_plan_shows_it() {
    let ops = Ops::new();
    let file = ops.apply.display().to_string();
    let with_status = |status: &str| {
        apply_file(
            "outbox",
            25,
            &format!("{LIMITS}\nstatus = \"{status}\""),
            "",
        )
    };
    ops.write_apply(&apply_file("outbox", 25, LIMITS, ""));
    ops.apply();

    ops.write_apply(&with_status("paused"));
    let plan = ops.ok(&["plan", "-f", &file]);
    assert!(
        plan.contains(&format!("~ update mailbox {MAILBOX}"))
            && plan.contains("status: active -> paused"),
        "{plan}"
    );
    assert_eq!(status_json(&ops)["status"], "active", "plan writes nothing");
    let applied = ops.apply();
    assert!(
        applied.contains(&format!("mailbox {MAILBOX}: updated (status)")),
        "{applied}"
    );
    let state = status_json(&ops);
    assert_eq!(
        (&state["status"], &state["reason"]),
        (&"paused".into(), &"paused by an operator".into())
    );
    assert!(
        ops.apply().contains("No changes"),
        "a second apply writes nothing"
    );

    // Absent means "leave as it is": the pause stays.
    ops.write_apply(&apply_file("outbox", 25, LIMITS, ""));
    assert!(ops.apply().contains("No changes"));
    assert_eq!(status_json(&ops)["status"], "paused");

    ops.write_apply(&with_status("active"));
    let plan = ops.ok(&["plan", "-f", &file]);
    assert!(plan.contains("status: paused -> active"), "{plan}");
    let applied = ops.apply();
    assert!(applied.contains("updated (status)"), "{applied}");
    assert_eq!(status_json(&ops)["status"], "active");
    assert!(ops.apply().contains("No changes"));

    ops.write_apply(&with_status("cooling"));
    let refused = outreachd(&["apply", "-f", &file], &ops.env);
    let text = stdout(&refused) + &stderr(&refused);
    assert!(!refused.status.success(), "{text}");
    assert!(
        text.contains("status") && text.contains("\"active\" or \"paused\""),
        "{text}"
    );
}

#[test]
fn a_new_mailbox_can_be_created_paused() {
    let ops = Ops::new();
    ops.write_apply(&apply_file(
        "outbox",
        25,
        &format!("{LIMITS}\nstatus = \"paused\""),
        "",
    ));
    let applied = ops.apply();
    assert!(
        applied.contains(&format!("mailbox {MAILBOX}: created")),
        "{applied}"
    );
    assert_eq!(status_json(&ops)["status"], "paused");
}
