//! `append_sent = true`: the daemon files its own copy of each sent message in the mailbox's
//! Sent folder (for providers that do not), the poller does not read it back as inbound mail,
//! and unknown-send reconciliation finds it there.

use outreachd::domain::InboundOptions;
use sqlx::Connection;

use crate::peers::peers;
use crate::setup::{lead, two_steps, world_with_options};
use crate::support::TestBackend;

/// Runs one statement against the test's database (either backend).
async fn execute(url: &str, sql: &'static str) {
    if url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::query(sql).execute(&mut conn).await.expect(sql);
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::query(sql).execute(&mut conn).await.expect(sql);
    }
}

async fn append_sent_files_our_copy_in_sent_where_reconciliation_finds_it(backend: TestBackend) {
    let Some(peers) = peers() else { return };
    let leads = [lead("a")];
    let options = InboundOptions {
        sent_folder_is_authoritative: false,
        append_sent: true,
    };
    let w = world_with_options(backend, &peers, &leads, two_steps("1h"), options).await;
    w.wait_until_sent(1).await;
    let (id, _) = w.step_one_to(&leads[0], 1).await;
    w.eventually("our copy in Sent", || async {
        peers.holds(&w.sender, "Sent", &id).await.then_some(())
    })
    .await;
    assert!(
        !peers.holds(&w.sender, "INBOX", &id).await,
        "the copy went to Sent only"
    );

    // The send's outcome turns `unknown` (as when the connection drops after the final "."):
    // the poller finds the appended copy in Sent and marks it sent again.
    execute(
        &w.app.database_url,
        "UPDATE email_sends SET state = 'unknown', smtp_reply = NULL WHERE state = 'sent'",
    )
    .await;
    let reply = w
        .eventually("the unknown send found in Sent", || async {
            let rows = w
                .query_pairs(
                    "SELECT state, COALESCE(smtp_reply, '') FROM email_sends WHERE step_order = 1",
                )
                .await;
            rows.into_iter()
                .find(|(state, _)| state == "sent")
                .map(|(_, reply)| reply)
        })
        .await;
    assert_eq!(reply, "found in the Sent folder");
    let inbound = w
        .query_pairs("SELECT folder, message_id FROM inbound_messages")
        .await;
    assert!(
        inbound.is_empty(),
        "our copy is not inbound mail: {inbound:?}"
    );
}

crate::on_both_backends!(append_sent_files_our_copy_in_sent_where_reconciliation_finds_it);
