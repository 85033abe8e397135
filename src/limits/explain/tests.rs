use super::*;
use crate::domain::{
    CampaignLeadStatus, HumanDuration, MailboxId, MailboxStatus, SendWindow, ServerInfo,
    SmtpSecurity, Warmup, WorkspaceId,
};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn mailbox(daily_cap: u32) -> Mailbox {
    Mailbox {
        id: MailboxId(uuid::Uuid::nil()),
        workspace_id: WorkspaceId(uuid::Uuid::nil()),
        address: "rep@sender.test".into(),
        from_name: "Rep".into(),
        signature: String::new(),
        smtp: ServerInfo {
            host: "smtp.test".into(),
            port: 25,
            security: SmtpSecurity::Plain,
            username: "rep".into(),
        },
        imap: None,
        daily_cap,
        hourly_cap: None,
        min_gap: HumanDuration::from_secs(60),
        max_gap: HumanDuration::from_secs(120),
        warmup: None,
        warmup_started_on: chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
        timezone: "UTC".into(),
        status: MailboxStatus::Active,
        status_reason: None,
        cooling_until: None,
        created_at: at("2026-11-01T00:00:00Z"),
        updated_at: at("2026-11-01T00:00:00Z"),
    }
}

fn mailbox_facts(daily_cap: u32, sent_today: u32) -> MailboxFacts {
    MailboxFacts {
        mailbox: mailbox(daily_cap),
        sent_today,
        last_hour: Vec::new(),
    }
}

fn lead(now: DateTime<Utc>) -> LeadFacts {
    LeadFacts {
        suppressed: false,
        unsubscribed_at: None,
        lead_timezone: None,
        enrolment: Some(EnrolmentState {
            status: CampaignLeadStatus::Active,
            stop_reason: None,
            mailbox_id: None,
            current_step_order: 1,
            next_scheduled_at: Some(now - TimeDelta::minutes(5)),
            lease_expires_at: None,
        }),
        campaign_status: CampaignStatus::Running,
        rules: SendingRules::default(),
        new_leads_today: 0,
        mailbox: Some(mailbox_facts(50, 0)),
    }
}

#[test]
fn a_due_lead_with_room_everywhere_is_eligible_now() {
    let now = at("2026-11-23T10:00:00Z");
    let e = explain_lead(&lead(now), now);
    assert_eq!(e.binding, None, "{e}");
    assert_eq!(e.next_eligible, Some(now));
    assert!(e.checks.iter().all(|c| !c.is_blocked()));
    let names: Vec<_> = e.checks.iter().map(|c| c.name).collect();
    assert_eq!(
        names,
        [
            "suppression",
            "unsubscribed",
            "lead_status",
            "campaign_status",
            "window",
            "step_delay",
            "campaign_daily_cap",
            "mailbox_state",
            "gap",
            "hourly_cap",
            "daily_cap",
            "warmup"
        ]
    );
}

#[test]
fn a_suppressed_lead_is_blocked_for_good() {
    let now = at("2026-11-23T10:00:00Z");
    let mut facts = lead(now);
    facts.suppressed = true;
    let e = explain_lead(&facts, now);
    assert_eq!(e.binding, Some("suppression"));
    assert_eq!(e.next_eligible, None);
    assert!(e.to_string().contains("operator"), "{e}");
}

#[test]
fn a_closed_window_binds_until_it_opens() {
    // Monday 2026-11-23, 20:00 UTC; the window is 09:00-17:00 on workdays.
    let now = at("2026-11-23T20:00:00Z");
    let mut facts = lead(now);
    facts.rules.window = SendWindow::parse("mon-fri", "09:00", "17:00").unwrap();
    let e = explain_lead(&facts, now);
    assert_eq!(e.binding, Some("window"), "{e}");
    assert_eq!(e.next_eligible, Some(at("2026-11-24T09:00:00Z")));
}

#[test]
fn the_mailbox_daily_cap_binds_until_local_midnight() {
    let now = at("2026-11-23T10:00:00Z");
    let mut facts = lead(now);
    facts.mailbox = Some(mailbox_facts(3, 3));
    let e = explain_lead(&facts, now);
    assert_eq!(e.binding, Some("daily_cap"), "{e}");
    assert_eq!(e.next_eligible, Some(at("2026-11-24T00:00:00Z")));
}

#[test]
fn the_cap_reset_can_fall_outside_the_window() {
    // Capped today; tomorrow's midnight is outside 09:00-17:00, so the next send is at 09:00.
    let now = at("2026-11-23T10:00:00Z");
    let mut facts = lead(now);
    facts.rules.window = SendWindow::parse("mon-fri", "09:00", "17:00").unwrap();
    facts.mailbox = Some(mailbox_facts(3, 3));
    let e = explain_lead(&facts, now);
    assert_eq!(e.binding, Some("daily_cap"));
    assert_eq!(e.next_eligible, Some(at("2026-11-24T09:00:00Z")));
}

#[test]
fn the_step_delay_binds_until_the_step_is_due() {
    let now = at("2026-11-23T10:00:00Z");
    let mut facts = lead(now);
    let due = now + TimeDelta::hours(2);
    if let Some(e) = facts.enrolment.as_mut() {
        e.next_scheduled_at = Some(due);
    }
    let e = explain_lead(&facts, now);
    assert_eq!(e.binding, Some("step_delay"));
    assert_eq!(e.next_eligible, Some(due));
}

#[test]
fn the_campaign_cap_on_new_leads_spares_follow_ups() {
    let now = at("2026-11-23T10:00:00Z");
    let mut facts = lead(now);
    facts.rules.daily_new_leads_cap = Some(5);
    facts.new_leads_today = 5;
    let e = explain_lead(&facts, now);
    assert_eq!(e.binding, Some("campaign_daily_cap"));
    if let Some(e) = facts.enrolment.as_mut() {
        e.current_step_order = 2;
    }
    assert_eq!(explain_lead(&facts, now).binding, None);
}

#[test]
fn gap_hourly_cap_and_warmup_are_explained_for_a_mailbox() {
    let now = at("2026-11-23T10:00:00Z");
    let mut facts = mailbox_facts(50, 0);
    facts.last_hour = vec![now - TimeDelta::seconds(20)];
    let e = explain_mailbox(&facts, now);
    assert_eq!(e.binding, Some("gap"));
    assert_eq!(e.next_eligible, Some(now + TimeDelta::seconds(40)));

    facts.mailbox.hourly_cap = Some(2);
    facts.last_hour = vec![now - TimeDelta::minutes(50), now - TimeDelta::minutes(10)];
    let e = explain_mailbox(&facts, now);
    assert_eq!(e.binding, Some("hourly_cap"));
    assert_eq!(e.next_eligible, Some(now + TimeDelta::minutes(10)));

    let mut warm = mailbox_facts(50, 7);
    warm.mailbox.warmup = Some(Warmup {
        start_per_day: 5,
        increment_per_day: 0,
    });
    let e = explain_mailbox(&warm, now);
    assert_eq!(e.binding, Some("warmup"), "{e}");
}

#[test]
fn a_paused_mailbox_needs_an_operator_and_a_cooling_one_waits() {
    let now = at("2026-11-23T10:00:00Z");
    let mut facts = mailbox_facts(50, 0);
    facts.mailbox.status = MailboxStatus::Paused;
    facts.mailbox.status_reason = Some("AUTH failed".into());
    let e = explain_mailbox(&facts, now);
    assert_eq!((e.binding, e.next_eligible), (Some("mailbox_state"), None));
    facts.mailbox.status = MailboxStatus::Cooling;
    facts.mailbox.cooling_until = Some(now + TimeDelta::minutes(15));
    let e = explain_mailbox(&facts, now);
    assert_eq!(e.next_eligible, Some(now + TimeDelta::minutes(15)));
}

#[test]
fn the_json_form_names_each_check_and_verdict() {
    let now = at("2026-11-23T10:00:00Z");
    let mut facts = lead(now);
    facts.suppressed = true;
    let json = serde_json::to_value(explain_lead(&facts, now)).unwrap();
    assert_eq!(json["binding"], "suppression");
    assert_eq!(json["checks"][0]["name"], "suppression");
    assert_eq!(json["checks"][0]["verdict"], "blocked");
    assert_eq!(json["checks"][1]["verdict"], "pass");
}

#[test]
fn a_lead_released_to_the_cap_reset_is_explained_by_the_cap() {
    // The mailbox released the job to midnight: the step is due then, and the cap binds.
    let now = at("2026-11-23T10:00:00Z");
    let mut facts = lead(now);
    if let Some(e) = facts.enrolment.as_mut() {
        e.next_scheduled_at = Some(at("2026-11-24T00:00:00Z"));
    }
    facts.mailbox = Some(mailbox_facts(1, 1));
    let e = explain_lead(&facts, now);
    assert_eq!(e.binding, Some("daily_cap"), "{e}");
    assert_eq!(e.next_eligible, Some(at("2026-11-24T00:00:00Z")));
}

#[test]
fn the_warmup_ramp_counts_days_from_its_start_date_not_from_creation() {
    let mut mb = mailbox(100);
    mb.warmup = Some(Warmup {
        start_per_day: 5,
        increment_per_day: 2,
    });
    mb.created_at = at("2026-01-01T00:00:00Z");
    let day = |d| chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
    mb.warmup_started_on = day(20);
    let caps = crate::limits::BudgetConfig::for_mailbox(&mb);
    assert_eq!(caps.cap_on(day(20)), 5);
    assert_eq!(caps.cap_on(day(23)), 11);
}
