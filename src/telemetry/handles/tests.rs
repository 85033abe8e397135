//! The handles against a private Prometheus recorder: what a scrape shows after each call.

use chrono::{TimeDelta, Utc};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusRecorder};

use super::{InboundClass, InboundMetrics, MailboxMetrics, SupervisorMetrics};
use crate::domain::{CampaignId, MailboxStatus, StepOutcome};
use crate::telemetry::ProviderClass;

fn recorder() -> PrometheusRecorder {
    PrometheusBuilder::new().build_recorder()
}

/// The value of `series` (name and labels exactly as rendered) in `scrape`.
fn value(scrape: &str, series: &str) -> Option<f64> {
    scrape
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

#[test]
fn due_gauges_show_the_oldest_due_age_and_zero_campaigns_that_left() {
    let r = recorder();
    let (a, b) = (
        CampaignId(uuid::Uuid::from_u128(1)),
        CampaignId(uuid::Uuid::from_u128(2)),
    );
    let now = Utc::now();
    let scrape = metrics::with_local_recorder(&r, || {
        let mut m = SupervisorMetrics::new();
        m.due(
            now,
            [
                (a, Some(now - TimeDelta::seconds(90))),
                (b, Some(now + TimeDelta::hours(1))),
            ],
        );
        let first = r.handle().render();
        m.due(now, [(b, None)]);
        (first, r.handle().render())
    });
    let (first, second) = scrape;
    assert_eq!(
        value(&first, "outreachd_due_oldest_age_seconds"),
        Some(90.0)
    );
    assert_eq!(value(&first, "outreachd_due_campaigns"), Some(1.0));
    let a_age = format!("outreachd_campaign_due_age_seconds{{campaign=\"{a}\"}}");
    let b_age = format!("outreachd_campaign_due_age_seconds{{campaign=\"{b}\"}}");
    assert_eq!(value(&first, &a_age), Some(90.0));
    assert_eq!(value(&first, &b_age), Some(0.0), "not due yet");
    assert_eq!(value(&second, &a_age), Some(0.0), "zeroed once gone");
    assert_eq!(
        value(&second, "outreachd_due_oldest_age_seconds"),
        Some(0.0)
    );
    assert_eq!(value(&second, "outreachd_due_campaigns"), Some(0.0));
}

#[test]
fn mailbox_state_gauges_count_by_state_and_flag_each_mailbox() {
    let r = recorder();
    let (first, second) = metrics::with_local_recorder(&r, || {
        let mut m = SupervisorMetrics::new();
        m.mailbox_states([
            ("a@x.test", MailboxStatus::Active),
            ("b@x.test", MailboxStatus::Paused),
            ("c@x.test", MailboxStatus::Active),
        ]);
        let first = r.handle().render();
        m.mailbox_states([("a@x.test", MailboxStatus::Cooling)]);
        (first, r.handle().render())
    });
    assert_eq!(
        value(&first, r#"outreachd_mailboxes{state="active"}"#),
        Some(2.0)
    );
    assert_eq!(
        value(&first, r#"outreachd_mailboxes{state="paused"}"#),
        Some(1.0)
    );
    let paused = r#"outreachd_mailbox_state{mailbox="b@x.test",state="paused"}"#;
    assert_eq!(value(&first, paused), Some(1.0));
    assert_eq!(value(&second, paused), Some(0.0), "gone from the pools");
    let cooling = r#"outreachd_mailbox_state{mailbox="a@x.test",state="cooling"}"#;
    let active = r#"outreachd_mailbox_state{mailbox="a@x.test",state="active"}"#;
    assert_eq!(value(&second, cooling), Some(1.0));
    assert_eq!(value(&second, active), Some(0.0));
    assert_eq!(
        value(&second, r#"outreachd_mailboxes{state="active"}"#),
        Some(0.0)
    );
}

#[test]
fn a_send_is_counted_by_outcome_provider_mailbox_and_campaign() {
    let r = recorder();
    let campaign = CampaignId(uuid::Uuid::from_u128(7));
    let scrape = metrics::with_local_recorder(&r, || {
        let mut m = MailboxMetrics::new("s@x.test");
        let sent = StepOutcome::Sent {
            reply: String::new(),
        };
        m.outcome(&sent, ProviderClass::of("ann@gmail.com"), campaign);
        m.outcome(&sent, ProviderClass::of("ann@gmail.com"), campaign);
        m.cap_used(30, 120);
        r.handle().render()
    });
    let sends = r#"outreachd_sends_total{outcome="sent",provider="gmail"}"#;
    assert_eq!(value(&scrape, sends), Some(2.0));
    let other = r#"outreachd_sends_total{outcome="bounced",provider="other"}"#;
    assert_eq!(
        value(&scrape, other),
        Some(0.0),
        "every series exists from the start"
    );
    let mailbox = r#"outreachd_mailbox_sends_total{mailbox="s@x.test",outcome="sent"}"#;
    assert_eq!(value(&scrape, mailbox), Some(2.0));
    let by_campaign =
        format!("outreachd_campaign_sends_total{{campaign=\"{campaign}\",outcome=\"sent\"}}");
    assert_eq!(value(&scrape, &by_campaign), Some(2.0));
    let ratio = r#"outreachd_mailbox_daily_cap_used_ratio{mailbox="s@x.test"}"#;
    assert_eq!(value(&scrape, ratio), Some(0.25));
}

#[test]
fn a_cap_of_zero_reads_as_fully_used() {
    let r = recorder();
    let scrape = metrics::with_local_recorder(&r, || {
        MailboxMetrics::new("s@x.test").cap_used(0, 0);
        r.handle().render()
    });
    let ratio = r#"outreachd_mailbox_daily_cap_used_ratio{mailbox="s@x.test"}"#;
    assert_eq!(value(&scrape, ratio), Some(1.0));
}

#[test]
fn inbound_messages_are_counted_by_class_and_polls_stamp_the_mailbox() {
    let r = recorder();
    let at = chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap();
    let scrape = metrics::with_local_recorder(&r, || {
        let m = InboundMetrics::new();
        let mailbox = m.mailbox("s@x.test");
        m.classified(InboundClass::Unrelated, std::time::Duration::from_secs(3));
        mailbox.polled(true, at);
        mailbox.polled(false, at + TimeDelta::seconds(60));
        r.handle().render()
    });
    let unrelated = r#"outreachd_inbound_messages_total{class="unrelated"}"#;
    assert_eq!(value(&scrape, unrelated), Some(1.0));
    let last = r#"outreachd_imap_last_poll_timestamp_seconds{mailbox="s@x.test"}"#;
    assert_eq!(
        value(&scrape, last),
        Some(1_800_000_000.0),
        "failed polls do not count"
    );
    assert_eq!(
        value(&scrape, r#"outreachd_imap_polls_total{result="error"}"#),
        Some(1.0)
    );
}

#[test]
fn a_reply_records_its_lag_and_stop_latency_and_the_supervisor_its_pollers() {
    let r = recorder();
    let scrape = metrics::with_local_recorder(&r, || {
        let m = InboundMetrics::new();
        m.classified(InboundClass::Reply, std::time::Duration::from_secs(4));
        m.reply_stopped(std::time::Duration::from_secs(6));
        m.pollers_running(3);
        m.poller_restarted();
        m.unknown_reconciled(2, 1);
        r.handle().render()
    });
    let reply = r#"outreachd_inbound_messages_total{class="reply"}"#;
    assert_eq!(value(&scrape, reply), Some(1.0));
    assert_eq!(
        value(&scrape, "outreachd_imap_poll_lag_seconds_count"),
        Some(1.0)
    );
    assert_eq!(
        value(&scrape, "outreachd_reply_stop_latency_seconds_sum"),
        Some(6.0)
    );
    assert_eq!(value(&scrape, "outreachd_imap_pollers"), Some(3.0));
    let restarts = r#"outreachd_actor_restarts_total{actor="imap_poller"}"#;
    assert_eq!(value(&scrape, restarts), Some(1.0));
    let found = r#"outreachd_unknown_sends_reconciled_total{result="found"}"#;
    assert_eq!(value(&scrape, found), Some(2.0));
}

#[test]
fn content_usage_is_counted_by_the_provider_that_wrote_it_with_fallbacks_flagged() {
    let r = recorder();
    let scrape = metrics::with_local_recorder(&r, || {
        let m = super::ContentMetrics::new("openai");
        m.generated(
            super::GenerationResult::Ok,
            std::time::Duration::from_millis(800),
        );
        m.usage("openai", 120, 80, 0.000_25);
        m.usage("template", 0, 0, 0.0);
        r.handle().render()
    });
    let tokens = r#"outreachd_content_tokens_total{provider="openai",kind="prompt"}"#;
    assert_eq!(value(&scrape, tokens), Some(120.0));
    let cost = r#"outreachd_content_cost_microdollars_total{provider="openai"}"#;
    assert_eq!(value(&scrape, cost), Some(250.0));
    let fallback = r#"outreachd_content_generations_total{provider="openai",result="fallback"}"#;
    assert_eq!(value(&scrape, fallback), Some(1.0));
    let ok = r#"outreachd_content_generations_total{provider="openai",result="ok"}"#;
    assert_eq!(value(&scrape, ok), Some(1.0));
}

#[test]
fn failed_sends_count_smtp_errors_by_type_and_every_type_is_exported() {
    use crate::smtp::{Cause, Phase, Reply, SendError, classify_error};
    let r = recorder();
    let scrape = metrics::with_local_recorder(&r, || {
        let m = MailboxMetrics::new("m@x.test");
        for error in [
            SendError::new(Phase::Connect, Cause::Connection("refused".into())),
            SendError::new(Phase::Rcpt, Cause::Rejected(Reply::new(550, "5.1.1 No"))),
            SendError::new(Phase::Rcpt, Cause::Rejected(Reply::new(550, "5.1.1 No"))),
        ] {
            m.smtp_error(&error, &classify_error(&error));
        }
        r.handle().render()
    });
    let series = |t: &str| format!(r#"outreachd_errors_total{{stage="smtp",type="{t}"}}"#);
    assert_eq!(value(&scrape, &series("connect")), Some(1.0));
    assert_eq!(value(&scrape, &series("rejected")), Some(2.0));
    assert_eq!(
        value(&scrape, &series("tls")),
        Some(0.0),
        "every type is exported from the actor's start"
    );
}

#[test]
fn a_running_poller_reads_one_and_a_stopped_one_zero() {
    let r = recorder();
    let scrape = metrics::with_local_recorder(&r, || {
        let m = InboundMetrics::new();
        let (a, b) = (m.poller_up("a@x.test"), m.poller_up("b@x.test"));
        a.started();
        b.started();
        b.stopped();
        r.handle().render()
    });
    let up = |mailbox: &str| format!(r#"outreachd_imap_poller_up{{mailbox="{mailbox}"}}"#);
    assert_eq!(value(&scrape, &up("a@x.test")), Some(1.0));
    assert_eq!(value(&scrape, &up("b@x.test")), Some(0.0));
}
