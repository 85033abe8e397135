//! Data for the read-only areas, made the way production makes it: a campaign of workspace
//! "acme" that the daemon under test sends to a real smtp-sink, and inbound messages recorded
//! through the store as the IMAP poller records them.

use std::time::Duration;

use chrono::Utc;
use outreachd::domain::{
    BounceSeverity, InboundAction, InboundRecord, MailboxId, NewLead, OptOut, SendFilter, SendId,
    SendRecord, StepSpec,
};

use crate::fixtures::{SeedPlan, Seeded, seed_plan, wait_for};
use crate::helpers::TestApp;
use crate::sink::Sink;

/// A campaign that ran: its step 1 went out to every lead.
pub struct Ran {
    /// Keeps the smtp-sink listening while the test goes on (a later step may be sent).
    _sink: Sink,
    pub seeded: Seeded,
    pub mailbox: MailboxId,
}

/// Seeds `leads` leads (lead<i>@rcpt.test unless `lead` renames them) into a running campaign
/// with `steps`, and waits until the daemon sent step 1 to each.
pub async fn ran(
    app: &TestApp,
    leads: usize,
    steps: Vec<StepSpec>,
    lead: impl Fn(usize, NewLead) -> NewLead,
) -> Ran {
    let sink = Sink::start(&[]).await;
    let plan = SeedPlan {
        lead: Box::new(lead),
        ..SeedPlan::new(1, leads, steps)
    };
    let seeded = seed_plan(app.store.as_ref(), sink.port, plan).await;
    let want = leads as u64;
    wait_for(
        app.store.as_ref(),
        seeded.workspace,
        Duration::from_secs(30),
        |s| s.campaigns[0].emails_sent >= want,
    )
    .await;
    let mailbox = app.store.list_mailboxes(seeded.workspace).await.unwrap()[0].id;
    Ran {
        _sink: sink,
        seeded,
        mailbox,
    }
}

impl Ran {
    /// Every send of the campaign, by lead address.
    pub async fn sends(&self, app: &TestApp) -> Vec<SendRecord> {
        let filter = SendFilter {
            campaign: Some(self.seeded.campaign),
            limit: 1_000,
            ..SendFilter::default()
        };
        let mut sends = app
            .store
            .list_sends(self.seeded.workspace, &filter)
            .await
            .unwrap();
        sends.sort_by(|a, b| a.lead.email.cmp(&b.lead.email));
        sends
    }

    /// The send of step 1 to `email`.
    pub async fn send_to(&self, app: &TestApp, email: &str) -> SendId {
        self.sends(app)
            .await
            .into_iter()
            .find(|s| s.lead.email == email && s.step == 1)
            .unwrap_or_else(|| panic!("no send to {email}"))
            .id
    }

    /// Records an inbound message with `class` and `action`, as the IMAP poller would.
    pub async fn inbound(
        &self,
        app: &TestApp,
        message_id: &str,
        class: &'static str,
        action: InboundAction,
    ) {
        let record = InboundRecord {
            workspace_id: self.seeded.workspace,
            mailbox_id: self.mailbox,
            message_id: message_id.to_owned(),
            folder: "INBOX".to_owned(),
            class,
            received_at: Utc::now(),
            actions: vec![action],
            needs_review: None,
            judgement: None,
        };
        let outcome = app.store.record_inbound(&record).await.unwrap();
        assert_eq!(outcome.matched, 1, "{message_id} found no lead");
    }

    /// The lead of `email` replies to step 1.
    pub async fn reply(&self, app: &TestApp, email: &str, message_id: &str) {
        let send = self.send_to(app, email).await;
        let action = InboundAction::Reply {
            send_id: Some(send),
            email: Some(email.to_owned()),
        };
        self.inbound(app, message_id, "reply", action).await;
    }

    /// Step 1 to `email` hard-bounces (a bounce report arrives).
    pub async fn hard_bounce(&self, app: &TestApp, email: &str, message_id: &str) {
        let send = self.send_to(app, email).await;
        let action = InboundAction::Bounce {
            send_id: Some(send),
            email: email.to_owned(),
            severity: BounceSeverity::Hard,
            status: Some("5.1.1".to_owned()),
            diagnostic: Some(format!("550 5.1.1 <{email}>: user unknown")),
            soft_limit: 3,
        };
        self.inbound(app, message_id, "bounce", action).await;
    }

    /// The lead of `email` asks to be removed.
    pub async fn unsubscribe(&self, app: &TestApp, email: &str, message_id: &str) {
        let send = self.send_to(app, email).await;
        let action = InboundAction::OptOut {
            kind: OptOut::Unsubscribe,
            send_id: Some(send),
            email: Some(email.to_owned()),
        };
        self.inbound(app, message_id, "unsubscribe_request", action)
            .await;
    }
}

/// A paused campaign of workspace "acme" with `leads` leads enrolled and waiting (nothing is
/// sent while it is paused), named lead<i>@rcpt.test.
pub async fn waiting(app: &TestApp, leads: usize) -> Seeded {
    use outreachd::domain::{CampaignSpec, CampaignStatus, EmailAddress, SendingRules};

    let store = app.store.as_ref();
    let ws = store.upsert_workspace("acme").await.unwrap().value;
    let spec = crate::fixtures::mailbox_spec(0, crate::sink::free_port());
    let mailbox = store.upsert_mailbox(ws.id, &spec).await.unwrap().value;
    let campaign = CampaignSpec {
        name: "Q4".into(),
        goal: "Book a call".into(),
        ai: Default::default(),
        product_id: None,
        status: Some(CampaignStatus::Paused),
        rules: SendingRules::default(),
        mailbox_ids: vec![mailbox.id],
        steps: vec![crate::fixtures::step("0s", Some("Hi"), "Hello.")],
    };
    let campaign = store.upsert_campaign(ws.id, &campaign).await.unwrap().value;
    let new: Vec<NewLead> = (0..leads)
        .map(|i| NewLead {
            email: Some(EmailAddress::parse(&format!("lead{i}@rcpt.test")).unwrap()),
            first_name: Some(format!("Lead{i}")),
            ..NewLead::default()
        })
        .collect();
    let ids: Vec<_> = store
        .insert_leads(ws.id, &new)
        .await
        .unwrap()
        .iter()
        .map(|r| r.id())
        .collect();
    store
        .enroll_leads(ws.id, campaign.id, &ids, Utc::now())
        .await
        .unwrap();
    Seeded {
        workspace: ws.id,
        campaign: campaign.id,
    }
}
