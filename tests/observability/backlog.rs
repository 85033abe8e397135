//! The due-backlog count behind `outreachd_due_backlog_steps`, on both backends: due steps of
//! running campaigns, capped, and none before they are due.

use chrono::{TimeDelta, Utc};

use crate::fixtures::{seed, step};
use crate::support::{TestBackend, test_store};

async fn the_due_backlog_counts_due_steps_up_to_its_cap(backend: TestBackend) {
    let t = test_store(backend).await;
    // Nobody sends: the seeded leads stay due (port 9 is never dialled).
    seed(
        t.store.as_ref(),
        9,
        2,
        30,
        vec![step("0s", Some("Hi"), "Hello.")],
    )
    .await;
    let now = Utc::now() + TimeDelta::seconds(1);
    assert_eq!(t.store.due_backlog(now, 1_000).await.unwrap(), 30);
    assert_eq!(t.store.due_backlog(now, 7).await.unwrap(), 7, "capped");
    let before = now - TimeDelta::hours(1);
    assert_eq!(t.store.due_backlog(before, 1_000).await.unwrap(), 0);
}

crate::on_both_backends!(the_due_backlog_counts_due_steps_up_to_its_cap);
