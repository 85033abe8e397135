//! Language-model usage: rows recorded per call, the sums read back for a campaign's cost, its
//! leads and the workspace summary, and the daily budgets kept from them across restarts.

use std::time::Duration;

use chrono::{DateTime, NaiveTime, TimeDelta, Utc};
use outreachd::ai::{CallUsage, Purpose};
use outreachd::content::ContentError;
use outreachd::domain::{CampaignCost, StepCost, UsageOutcome, UsageRecord};
use outreachd::service::usage::{BudgetSettings, Budgets, CallSite, OnExhausted, UsageRecorder};
use outreachd::telemetry::Metrics;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::dispatch_fixtures::{Setup, base};
use crate::fixtures::workspace;
use crate::support::TestBackend;

fn midnight(t: DateTime<Utc>) -> DateTime<Utc> {
    t.date_naive().and_time(NaiveTime::MIN).and_utc()
}

fn call(s: &Setup, lead: usize, step: u32, usd: f64, at: DateTime<Utc>) -> UsageRecord {
    UsageRecord {
        workspace_id: s.ws,
        campaign_id: Some(s.campaign),
        lead_id: Some(s.leads[lead]),
        step_order: Some(step),
        purpose: Purpose::Email,
        provider: "openai".into(),
        model: Some("gpt-test".into()),
        prompt_tokens: 1000,
        completion_tokens: 200,
        cost_usd: usd,
        latency: Duration::from_millis(850),
        outcome: UsageOutcome::Ok,
        error: None,
        occurred_at: at,
    }
}

async fn calls_sum_per_campaign_step_and_lead_within_their_workspace(backend: TestBackend) {
    let s = Setup::new(backend, &["a@lead.example", "b@lead.example"], base()).await;
    let now = base();
    let yesterday = midnight(now) - TimeDelta::hours(1);
    let failed = UsageRecord {
        outcome: UsageOutcome::Error,
        error: Some("openai: HTTP 500: overloaded".into()),
        prompt_tokens: 0,
        completion_tokens: 0,
        ..call(&s, 1, 2, 0.0, now)
    };
    let records = [
        call(&s, 0, 1, 0.25, yesterday),
        call(&s, 0, 2, 0.5, now),
        call(&s, 1, 1, 0.125, now),
        failed,
    ];
    s.store().record_usage(&records).await.unwrap();

    let cost = s
        .store()
        .campaign_cost(s.ws, s.campaign, midnight(now))
        .await
        .unwrap();
    assert_eq!(
        cost,
        CampaignCost {
            total_usd: 0.875,
            today_usd: 0.625,
            calls: 4,
            leads: 2,
            per_lead_usd: 0.4375,
            steps: vec![
                StepCost {
                    step: 1,
                    cost_usd: 0.375
                },
                StepCost {
                    step: 2,
                    cost_usd: 0.5
                },
            ],
        }
    );
    let leads = s
        .store()
        .lead_costs(s.ws, s.campaign, &s.leads)
        .await
        .unwrap();
    assert_eq!(leads.get(&s.leads[0]), Some(&0.75));
    assert_eq!(leads.get(&s.leads[1]), Some(&0.125));
    let today = s.store().spend_since(s.ws, None, midnight(now)).await;
    assert_eq!(today.unwrap(), 0.625);
    let campaign_today = s.store().spend_since(s.ws, Some(s.campaign), midnight(now));
    assert_eq!(campaign_today.await.unwrap(), 0.625);
    let summary = s.store().workspace_summary(s.ws, now).await.unwrap();
    assert_eq!(summary.campaigns[0].cost_usd, 0.875);

    let other = workspace(s.store(), "other").await;
    let theirs = s.store().campaign_cost(other, s.campaign, midnight(now));
    assert_eq!(theirs.await.unwrap(), CampaignCost::default());
    let theirs = s.store().lead_costs(other, s.campaign, &s.leads).await;
    assert!(theirs.unwrap().is_empty());
    assert_eq!(
        s.store().spend_since(other, None, yesterday).await.unwrap(),
        0.0
    );
}

fn budgets(s: &Setup, workspace_usd: f64, campaign_usd: f64) -> Budgets {
    let settings = BudgetSettings {
        workspace_daily_usd: workspace_usd,
        campaign_daily_usd: campaign_usd,
        on_exhausted: OnExhausted::Wait,
    };
    Budgets::new(settings, s.ts.store.clone(), Metrics::install().budgets())
}

async fn a_budget_spent_before_a_restart_is_still_spent_after_it(backend: TestBackend) {
    let s = Setup::new(backend, &["a@lead.example"], base()).await;
    let now = Utc::now();
    s.store()
        .record_usage(&[call(&s, 0, 1, 1.5, now)])
        .await
        .unwrap();

    // A daemon started now reads the day's stored spend at its first check.
    let exhausted = budgets(&s, 0.0, 1.0)
        .check(s.ws, Some(s.campaign), now)
        .await
        .unwrap_err();
    assert!(exhausted.campaign);
    assert_eq!(exhausted.on_exhausted, OnExhausted::Wait);
    assert_eq!(exhausted.until, midnight(now) + TimeDelta::days(1));
    assert!(
        exhausted
            .to_string()
            .starts_with("the campaign's daily AI budget of $1.00 is spent ($1.50 today)"),
        "{exhausted}"
    );
    assert!(
        budgets(&s, 2.0, 0.0)
            .check(s.ws, Some(s.campaign), now)
            .await
            .is_ok()
    );
    assert!(
        budgets(&s, 0.0, 1.0)
            .check(s.ws, Some(s.campaign), now + TimeDelta::days(1))
            .await
            .is_ok(),
        "a new UTC day starts from zero"
    );
}

async fn a_call_counts_against_the_budget_before_its_row_is_stored(backend: TestBackend) {
    let s = Setup::new(backend, &["a@lead.example"], base()).await;
    let now = Utc::now();
    let b = budgets(&s, 1.0, 0.0);
    assert!(b.check(s.ws, Some(s.campaign), now).await.is_ok());
    b.spent(s.ws, Some(s.campaign), 0.6, now);
    assert!(b.check(s.ws, Some(s.campaign), now).await.is_ok());
    b.spent(s.ws, None, 0.4, now);
    let exhausted = b.check(s.ws, Some(s.campaign), now).await.unwrap_err();
    assert!(
        !exhausted.campaign,
        "the workspace's budget is the one spent"
    );
}

async fn the_recorder_stores_every_call_and_drains_on_shutdown(backend: TestBackend) {
    let s = Setup::new(backend, &["a@lead.example"], base()).await;
    let (cancel, tracker) = (CancellationToken::new(), TaskTracker::new());
    let recorder = UsageRecorder::start(
        s.ts.store.clone(),
        BudgetSettings::default(),
        Metrics::install().budgets(),
        cancel.clone(),
        &tracker,
    );
    let site = CallSite::email(s.ws, s.campaign, s.leads[0], 1);
    let usage = CallUsage {
        provider: "anthropic",
        model: "claude-test".into(),
        input_tokens: 900,
        output_tokens: 100,
        cost_usd: 0.02,
        latency: Duration::from_millis(1200),
    };
    recorder
        .record_call(&site, &usage, UsageOutcome::Ok, None)
        .await;
    let timeout = ContentError::Timeout {
        provider: "anthropic",
        after: Duration::from_secs(30),
    };
    recorder
        .record_failure(&site, "anthropic", &timeout, Duration::from_secs(30))
        .await;
    let persona = CallSite {
        purpose: Purpose::Persona,
        step: None,
        ..site
    };
    recorder
        .record_call(&persona, &usage, UsageOutcome::Ok, None)
        .await;
    cancel.cancel();
    tracker.close();
    tracker.wait().await;
    // After shutdown a row is written by its caller.
    recorder
        .record_call(&persona, &usage, UsageOutcome::Fallback, Some(&timeout))
        .await;

    let cost = s
        .store()
        .campaign_cost(s.ws, s.campaign, midnight(Utc::now()))
        .await
        .unwrap();
    assert_eq!((cost.calls, cost.total_usd), (4, 0.06));
    assert_eq!(
        cost.steps,
        vec![StepCost {
            step: 1,
            cost_usd: 0.02
        }]
    );
}

crate::on_both_backends!(
    calls_sum_per_campaign_step_and_lead_within_their_workspace,
    a_budget_spent_before_a_restart_is_still_spent_after_it,
    a_call_counts_against_the_budget_before_its_row_is_stored,
    the_recorder_stores_every_call_and_drains_on_shutdown,
);
