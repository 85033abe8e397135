//! `outreachd demo` (the README's first command) sends its whole sequence to the outbox.

use crate::helpers::{outreachd, stdout};

#[test]
fn the_demo_sends_every_step_to_every_lead_into_the_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let out = outreachd(
        &["demo", "--dir", demo.to_str().unwrap(), "--leads", "6"],
        &Default::default(),
    );
    let text = stdout(&out);
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("18 emails sent") && text.contains("6 completed"),
        "{text}"
    );
    let mut files = Vec::new();
    for mailbox in std::fs::read_dir(demo.join("outbox")).unwrap().flatten() {
        for file in std::fs::read_dir(mailbox.path()).unwrap().flatten() {
            files.push(std::fs::read_to_string(file.path()).unwrap());
        }
    }
    assert_eq!(files.len(), 18, "3 steps x 6 leads");
    let follow_ups = files
        .iter()
        .filter(|f| f.contains("\nIn-Reply-To: <"))
        .count();
    assert_eq!(follow_ups, 12, "steps 2 and 3 thread under step 1");
}
