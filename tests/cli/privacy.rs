//! `outreachd privacy export|erase`: a privacy request from the command line exports what is
//! held about an address, erases it, and keeps it from being enrolled when imported again.

use crate::helpers::{outreachd, stderr};
use crate::ops::{Ops, apply_file, campaign};

fn export(ops: &Ops, email: &str) -> serde_json::Value {
    let out = ops.ok(&["privacy", "export", "--email", email, "-w", "ops"]);
    serde_json::from_str(&out).expect("export prints JSON")
}

#[test]
fn an_address_is_exported_erased_and_kept_out_when_imported_again() {
    let ops = Ops::new();
    ops.write_apply(&apply_file("127.0.0.1", 25, "", &campaign("Open", "")));
    ops.apply();
    ops.enrol("Open", &["Ann.Lee@rcpt.test", "bob@rcpt.test"]);

    let before = export(&ops, "ann.lee@RCPT.test");
    let erased = ops.ok(&[
        "privacy",
        "erase",
        "--email",
        "ANN.LEE@rcpt.test",
        "-w",
        "ops",
    ]);
    let after = export(&ops, "ann.lee@rcpt.test");
    ops.enrol("Open", &["ann.lee@rcpt.test"]);
    let again = export(&ops, "ann.lee@rcpt.test");

    assert_eq!(before["lead"]["email"], "Ann.Lee@rcpt.test", "{before:#}");
    assert_eq!(before["enrolments"][0]["campaign"], "Open", "{before:#}");
    assert!(erased.contains("1 lead(s), 1 enrolment(s)"), "{erased}");
    assert!(!erased.to_lowercase().contains("ann.lee"), "{erased}");
    assert_eq!(after["erased"], true, "{after:#}");
    assert_eq!(after["lead"], serde_json::Value::Null, "{after:#}");
    assert!(again["lead"]["unsubscribed_at"].is_string(), "{again:#}");
    assert_eq!(again["enrolments"], serde_json::json!([]), "{again:#}");
    assert_eq!(
        export(&ops, "bob@rcpt.test")["enrolments"][0]["status"],
        "active"
    );
}

#[test]
fn a_privacy_request_names_a_bad_address_or_an_unknown_workspace() {
    let ops = Ops::new();
    ops.write_apply(&apply_file("127.0.0.1", 25, "", &campaign("Open", "")));
    ops.apply();

    let bad = outreachd(
        &["privacy", "erase", "--email", "not-an-address", "-w", "ops"],
        &ops.env,
    );
    let unknown = outreachd(
        &["privacy", "export", "--email", "a@rcpt.test", "-w", "nope"],
        &ops.env,
    );

    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("--email"), "{}", stderr(&bad));
    assert!(!unknown.status.success());
    assert!(stderr(&unknown).contains("nope"), "{}", stderr(&unknown));
}
