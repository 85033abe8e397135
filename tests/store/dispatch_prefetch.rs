//! Which texts are written ahead: the next leads in claim order due within the horizon, not
//! leased and reachable, without a stored text; never more than the window, however long the
//! backlog.

use outreachd::domain::{GeneratedFor, PrefetchRequest};

use crate::dispatch_fixtures::{Setup, base, generated, minutes};
use crate::support::TestBackend;

fn window(s: &Setup, now: chrono::DateTime<chrono::Utc>, max_rows: u32) -> PrefetchRequest {
    PrefetchRequest {
        workspace_id: s.ws,
        campaign_id: s.campaign,
        now,
        until: now + minutes(5),
        max_rows,
    }
}

async fn emails(s: &Setup, req: &PrefetchRequest) -> Vec<String> {
    s.store()
        .texts_to_write(req)
        .await
        .unwrap()
        .into_iter()
        .map(|j| j.lead.email.as_str().to_owned())
        .collect()
}

async fn leads_due_within_the_horizon_without_a_text_are_written_ahead_in_claim_order(
    backend: TestBackend,
) {
    let now = base();
    let s = Setup::new(backend, &["a@x.example", "b@x.example"], now + minutes(2)).await;
    let early = crate::fixtures::leads(s.store(), s.ws, &["early@x.example"]).await;
    s.store()
        .enroll_leads(s.ws, s.campaign, &early, now - minutes(1))
        .await
        .unwrap();
    let far = crate::fixtures::leads(s.store(), s.ws, &["far@x.example"]).await;
    s.store()
        .enroll_leads(s.ws, s.campaign, &far, now + minutes(30))
        .await
        .unwrap();

    let jobs = s
        .store()
        .texts_to_write(&window(&s, now, 10))
        .await
        .unwrap();

    let got: Vec<&str> = jobs.iter().map(|j| j.lead.email.as_str()).collect();
    assert_eq!(got[0], "early@x.example", "oldest due first");
    assert_eq!(got.len(), 3, "the lead due in 30 minutes waits: {got:?}");
    for j in &jobs {
        assert_eq!((j.step_order, j.mailbox_id), (1, s.mailbox));
        assert!(j.thread.is_none());
    }
}

async fn leads_with_a_stored_text_fill_the_window_without_being_written_again(
    backend: TestBackend,
) {
    let now = base();
    let s = Setup::new(
        backend,
        &["a@x.example", "b@x.example", "c@x.example"],
        now - minutes(1),
    )
    .await;
    let first = s.store().texts_to_write(&window(&s, now, 2)).await.unwrap();
    assert_eq!(first.len(), 2, "a window of two");
    let items: Vec<GeneratedFor> = first
        .iter()
        .map(|j| GeneratedFor {
            campaign_lead_id: j.campaign_lead_id,
            step_order: j.step_order,
            message: generated("written ahead"),
        })
        .collect();
    s.store().save_generated_many(&items).await.unwrap();

    assert!(
        emails(&s, &window(&s, now, 2)).await.is_empty(),
        "the two ready texts still fill the window: nothing further ahead is written"
    );
    assert_eq!(emails(&s, &window(&s, now, 3)).await.len(), 1);

    let claimed = s.claim(now, 3).await;
    let ready = claimed.iter().filter(|c| c.generated.is_some()).count();
    assert_eq!(ready, 2, "the claims carry the texts written ahead");
}

async fn leased_suppressed_and_paused_campaign_leads_are_not_written_ahead(backend: TestBackend) {
    let now = base();
    let s = Setup::new(
        backend,
        &["a@x.example", "stop@x.example", "c@x.example"],
        now - minutes(1),
    )
    .await;
    s.store()
        .add_suppression(s.ws, "stop@x.example", "asked to stop")
        .await
        .unwrap();
    let claimed = s.claim(now, 1).await;
    assert_eq!(claimed.len(), 1);
    let leased = claimed[0].lead.email.as_str().to_owned();

    let left = emails(&s, &window(&s, now, 10)).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(!left.contains(&leased) && !left.contains(&"stop@x.example".to_owned()));

    let other = crate::fixtures::workspace(s.store(), "other").await;
    let foreign = PrefetchRequest {
        workspace_id: other,
        ..window(&s, now, 10)
    };
    assert!(
        s.store().texts_to_write(&foreign).await.unwrap().is_empty(),
        "scoped by workspace"
    );
    s.store()
        .set_campaign_status(s.ws, s.campaign, outreachd::domain::CampaignStatus::Paused)
        .await
        .unwrap();
    assert!(emails(&s, &window(&s, now, 10)).await.is_empty());
}

crate::on_both_backends!(
    leads_due_within_the_horizon_without_a_text_are_written_ahead_in_claim_order,
    leads_with_a_stored_text_fill_the_window_without_being_written_again,
    leased_suppressed_and_paused_campaign_leads_are_not_written_ahead,
);
