//! What the campaign tests arrange outside their area's routes: a workspace's mailboxes (on a
//! smtp-sink) and leads, written through the daemon's own store, and the JSON of a campaign.

use outreachd::domain::{EmailAddress, HumanDuration, LeadId, MailboxId, NewLead, WorkspaceId};
use serde_json::{Value, json};

use crate::helpers::TestApp;

pub async fn workspace(app: &TestApp, name: &str) -> WorkspaceId {
    app.store
        .workspace_by_name(name)
        .await
        .unwrap()
        .expect("the workspace exists")
        .id
}

/// `count` unpaced mailboxes sender<i>@acme.test sending to the sink on `port`.
pub async fn mailboxes(app: &TestApp, ws: WorkspaceId, count: usize, port: u16) -> Vec<MailboxId> {
    paced_mailboxes(app, ws, count, port, "0s").await
}

/// Like [`mailboxes`], each waiting `gap` between two sends.
pub async fn paced_mailboxes(
    app: &TestApp,
    ws: WorkspaceId,
    count: usize,
    port: u16,
    gap: &str,
) -> Vec<MailboxId> {
    let mut ids = Vec::new();
    for i in 0..count {
        let mut spec = crate::fixtures::mailbox_spec(i, port);
        spec.min_gap = HumanDuration::parse(gap).unwrap();
        spec.max_gap = spec.min_gap;
        ids.push(app.store.upsert_mailbox(ws, &spec).await.unwrap().value.id);
    }
    ids
}

/// Leads `<prefix><i>@rcpt.test` named Lead<i>, at Company<i>.
pub async fn leads(app: &TestApp, ws: WorkspaceId, prefix: &str, count: usize) -> Vec<LeadId> {
    let new: Vec<NewLead> = (0..count)
        .map(|i| NewLead {
            email: Some(EmailAddress::parse(&format!("{prefix}{i}@rcpt.test")).unwrap()),
            first_name: Some(format!("Lead{i}")),
            company: Some(format!("Company{i}")),
            ..NewLead::default()
        })
        .collect();
    app.store
        .insert_leads(ws, &new)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id())
        .collect()
}

/// A three-step campaign over `mailboxes`, as a client writes it.
pub fn campaign_json(name: &str, mailboxes: &[MailboxId]) -> Value {
    json!({
        "name": name,
        "goal": "Book a call",
        "mailbox_ids": mailboxes,
        "window": {"days": "mon-fri", "start": "09:00", "end": "17:00"},
        "timezone": "Europe/Berlin",
        "timezone_policy": "lead",
        "daily_new_leads_cap": 40,
        "stop_on_company_reply": true,
        "steps": [
            {"subject": "Hi {{ first_name }}", "body": "Hello {{ first_name }} at {{ company }}."},
            {"delay": "3d", "body": "Just checking in, {{ first_name }}."},
            {"delay": "1w", "subject": "Last note", "body": "Closing the loop.",
             "ai_instructions": "Keep it short"},
        ],
    })
}

/// A one-step campaign that sends at any hour (or `window` when given).
pub fn one_step_json(name: &str, mailboxes: &[MailboxId], window: Option<Value>) -> Value {
    let mut body = json!({
        "name": name,
        "mailbox_ids": mailboxes,
        "steps": [{"subject": "Hi {{ first_name }}", "body": "Hello {{ first_name }}, one line."}],
    });
    if let Some(window) = window {
        body["window"] = window;
    }
    body
}

/// The id in a JSON answer.
pub fn id(answer: &Value) -> String {
    answer["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {answer}"))
        .to_owned()
}
