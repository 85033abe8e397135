//! The one-click unsubscribe URL in a received message works (RFC 8058), GET alone does not
//! unsubscribe (link scanners), and a forged token is refused.

use std::time::Duration;

use crate::fixtures::{Received, lead_states, seed, step, summary, wait_for};
use crate::helpers::spawn_app_with;
use crate::sink::Sink;
use crate::support::TestBackend;

async fn the_one_click_url_in_a_message_unsubscribes_its_lead(backend: TestBackend) {
    let sink = Sink::start(&[]).await;
    // The public URL must be known before the app starts; port 0 is resolved after, so point
    // links at a placeholder and call the app's real address with the same path.
    let app = spawn_app_with(
        backend,
        &[
            ("OUTREACHD__TRACKING__PUBLIC_URL", "https://t.acme.test"),
            ("OUTREACHD__DISPATCH__COMPLETION_FLUSH", "10ms"),
        ],
    )
    .await;
    let steps = vec![step("0s", Some("Hi"), "One."), step("1h", None, "Two.")];
    let seeded = seed(app.store.as_ref(), sink.port, 1, 2, steps).await;
    app.supervisor.notify();
    let dumps = sink.dumps(2).await;
    assert_eq!(dumps.len(), 2);
    let first = Received::parse(&dumps[0]);
    let header = first.header("list-unsubscribe").expect("List-Unsubscribe");
    assert_eq!(
        first.header("list-unsubscribe-post"),
        Some("List-Unsubscribe=One-Click")
    );
    let url = header
        .split(['<', '>'])
        .find(|p| p.starts_with("https://"))
        .expect("an https one-click URL");
    let path = url.trim_start_matches("https://t.acme.test");
    let local = format!("{}{}", app.address, path);

    // A scanner's GET shows a page and changes nothing.
    let page = app.client.get(&local).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(
        summary(app.store.as_ref(), seeded.workspace)
            .await
            .suppressions,
        0
    );

    // A forged token is refused.
    let forged = format!("{}AAAA", local.trim_end_matches(|c: char| c != '/'));
    let refused = app
        .client
        .post(&forged)
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 404);

    // The one-click POST unsubscribes: suppressed, and that lead's sequence stops.
    let done = app
        .client
        .post(&local)
        .body("List-Unsubscribe=One-Click")
        .send()
        .await
        .unwrap();
    assert_eq!(done.status(), 200);
    let s = wait_for(
        app.store.as_ref(),
        seeded.workspace,
        Duration::from_secs(10),
        |s| s.suppressions == 1 && lead_states(s).get("unsubscribed") == Some(&1),
    )
    .await;
    assert_eq!(
        lead_states(&s).get("active"),
        Some(&1),
        "the other lead goes on"
    );
    // Twice is fine.
    assert_eq!(app.client.post(&local).send().await.unwrap().status(), 200);
}

crate::on_both_backends!(the_one_click_url_in_a_message_unsubscribes_its_lead);
