//! What a workspace's campaigns did, as people read it back: the email log (one record per
//! send with its stored text), engagement events, and a campaign's counts per step and per day.
//!
//! Plain data. The store fills the records and raw counts in; the rates and their denominators
//! are defined here, once, for the API and any other reader.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{
    CampaignId, CampaignLeadId, CampaignLeadStatus, EventId, LeadId, MailboxId, SendId, SendState,
};

/// A lead as a record names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct LeadRef {
    pub id: LeadId,
    pub email: String,
}

/// The text stored for a step before it went out (what the lead received, or will).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct SentText {
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
}

/// One row of the email log: a (campaign lead, step) send and where it stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct SendRecord {
    pub id: SendId,
    pub campaign_id: CampaignId,
    pub campaign_lead_id: CampaignLeadId,
    pub lead: LeadRef,
    /// The step of the sequence (1-based).
    pub step: u32,
    pub state: SendState,
    /// `None` when the mailbox was deleted since.
    pub mailbox_id: Option<MailboxId>,
    /// The sending mailbox's address.
    pub mailbox: Option<String>,
    /// The Message-ID the send went out with.
    pub message_id: Option<String>,
    /// The server's last answer (`250 2.0.0 Ok: queued as …`).
    pub smtp_reply: Option<String>,
    /// Why the last attempt failed, when it did.
    pub last_error: Option<String>,
    pub attempts: u32,
    /// When the step was due.
    pub scheduled_for: Option<DateTime<Utc>>,
    /// For `retry`: when it is tried again.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The generated subject and body; `None` before the text was stored.
    pub message: Option<SentText>,
}

/// Which sends to list: every filter is optional; pages follow the send id (time order).
#[derive(Clone, Debug, Default)]
pub struct SendFilter {
    pub campaign: Option<CampaignId>,
    pub lead: Option<LeadId>,
    pub state: Option<SendState>,
    /// Only sends after this one (the cursor).
    pub after: Option<SendId>,
    pub limit: u32,
}

/// What an engagement event records. `bounce_hard` stops the lead and suppresses the address;
/// `bounce_soft` counts towards the soft-bounce limit; `bounce_sender` is a refusal of our
/// sender (the mailbox pauses, the lead is kept); `needs_review` paused the lead for a person.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Open,
    Click,
    Reply,
    AutoReply,
    BounceHard,
    BounceSoft,
    Unsubscribe,
    Complaint,
    BounceSender,
    NeedsReview,
}

impl EventKind {
    pub const ALL: &[Self] = &[
        Self::Open,
        Self::Click,
        Self::Reply,
        Self::AutoReply,
        Self::BounceHard,
        Self::BounceSoft,
        Self::Unsubscribe,
        Self::Complaint,
        Self::BounceSender,
        Self::NeedsReview,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Click => "click",
            Self::Reply => "reply",
            Self::AutoReply => "auto_reply",
            Self::BounceHard => "bounce_hard",
            Self::BounceSoft => "bounce_soft",
            Self::Unsubscribe => "unsubscribe",
            Self::Complaint => "complaint",
            Self::BounceSender => "bounce_sender",
            Self::NeedsReview => "needs_review",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for EventKind {
    type Err = super::StatusParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .copied()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| super::StatusParseError {
                kind: "event type",
                value: s.to_owned(),
                expected: "open click reply auto_reply bounce_hard bounce_soft unsubscribe complaint \
                    bounce_sender needs_review",
            })
    }
}

/// One engagement event.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct EventRecord {
    pub id: EventId,
    #[serde(rename = "type")]
    pub kind: EventKind,
    /// The campaign of the enrolment it concerns, when it concerns one.
    pub campaign_id: Option<CampaignId>,
    pub campaign_lead_id: Option<CampaignLeadId>,
    pub lead: Option<LeadRef>,
    /// The send it answers, when known.
    pub send_id: Option<SendId>,
    /// That send's step.
    pub step: Option<u32>,
    /// What the inbound message said: its Message-ID and folder, and for bounces the address,
    /// status and diagnostic; for auto-replies the return date.
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub occurred_at: DateTime<Utc>,
}

/// Which events to list; pages follow the event id (time order).
#[derive(Clone, Debug, Default)]
pub struct EventFilter {
    pub campaign: Option<CampaignId>,
    pub lead: Option<LeadId>,
    pub kind: Option<EventKind>,
    pub after: Option<EventId>,
    pub limit: u32,
}

/// Raw counts of one step, as the store reads them (see [`StepStats`] for their meaning).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StepCounts {
    pub step: u32,
    pub waiting: u64,
    pub sent: u64,
    pub replied: u64,
    pub bounced: u64,
    pub unsubscribed: u64,
    pub failed: u64,
    pub in_flight: u64,
    pub unknown: u64,
}

/// Sends, replies and bounces of one day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct DayStats {
    /// A UTC date.
    pub date: NaiveDate,
    /// Sends that went out that day (`sent` or `bounced`, by send time).
    pub sends: u64,
    /// Reply events that day.
    pub replies: u64,
    /// Sends refused by the server that day, plus hard-bounce reports received that day.
    pub bounces: u64,
}

/// Campaign leads per status.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct LeadCounts {
    pub active: u64,
    pub paused: u64,
    pub completed: u64,
    pub replied: u64,
    pub bounced: u64,
    pub unsubscribed: u64,
    pub failed: u64,
}

impl LeadCounts {
    pub fn add(&mut self, status: CampaignLeadStatus, n: u64) {
        let slot = match status {
            CampaignLeadStatus::Active => &mut self.active,
            CampaignLeadStatus::Paused => &mut self.paused,
            CampaignLeadStatus::Completed => &mut self.completed,
            CampaignLeadStatus::Replied => &mut self.replied,
            CampaignLeadStatus::Bounced => &mut self.bounced,
            CampaignLeadStatus::Unsubscribed => &mut self.unsubscribed,
            CampaignLeadStatus::Failed => &mut self.failed,
        };
        *slot += n;
    }

    pub fn total(&self) -> u64 {
        self.active
            + self.paused
            + self.completed
            + self.replied
            + self.bounced
            + self.unsubscribed
            + self.failed
    }
}

/// What the store counts for a campaign's stats, in one consistent read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CampaignCounts {
    pub leads: LeadCounts,
    /// Campaign leads with at least one step sent (or refused by the server).
    pub contacted: u64,
    /// Campaign leads with at least one reply event.
    pub replied: u64,
    /// Per step that has sends or waiting leads, by step.
    pub steps: Vec<StepCounts>,
    /// Days with activity, by date (the service fills in the quiet days).
    pub days: Vec<DayStats>,
}

/// `part / whole` as a fraction from 0 to 1, rounded to four places; 0 when `whole` is 0.
pub fn rate(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    let r = part as f64 / whole as f64;
    (r * 10_000.0).round() / 10_000.0
}

/// One step's numbers. Counts are of sends (emails), not leads:
/// - `waiting`: active leads whose next step is this one;
/// - `sent`: sends of this step that went out: `sent`, or `bounced` (refused by the server
///   after it was handed over);
/// - `replied`: sent ones with a reply event that answers them;
/// - `bounced`: sent ones refused by the server or reported by a hard-bounce message;
/// - `unsubscribed`: sent ones answered by an unsubscribe request or a spam complaint;
/// - `failed`: sends that failed for good (template, content, retries exhausted);
/// - `unknown`: sends whose outcome is unknown (awaiting an operator or the Sent folder);
/// - `in_flight`: claimed, being sent, or waiting for a retry.
///
/// `reply_rate = replied / sent`, `bounce_rate = bounced / sent` (0 when nothing was sent).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, ToSchema)]
pub struct StepStats {
    pub step: u32,
    pub waiting: u64,
    pub sent: u64,
    pub replied: u64,
    pub bounced: u64,
    pub unsubscribed: u64,
    pub failed: u64,
    pub unknown: u64,
    pub in_flight: u64,
    pub reply_rate: f64,
    pub bounce_rate: f64,
}

impl From<StepCounts> for StepStats {
    fn from(c: StepCounts) -> Self {
        Self {
            step: c.step,
            waiting: c.waiting,
            sent: c.sent,
            replied: c.replied,
            bounced: c.bounced,
            unsubscribed: c.unsubscribed,
            failed: c.failed,
            unknown: c.unknown,
            in_flight: c.in_flight,
            reply_rate: rate(c.replied, c.sent),
            bounce_rate: rate(c.bounced, c.sent),
        }
    }
}

/// A campaign's numbers. Totals count leads, not emails:
/// - `enrolled`: campaign leads of any status (`leads` splits them by status);
/// - `contacted`: those with at least one step that went out;
/// - `sent`: emails that went out, all steps (the sum of the steps' `sent`);
/// - `replied`: leads with at least one reply event in this campaign;
/// - `bounced`, `unsubscribed`, `failed`: leads whose enrolment stopped so (a hard bounce, an
///   unsubscribe link, request or complaint, or a suppression; a permanent failure).
///
/// `reply_rate = replied / contacted`, `bounce_rate = bounced / contacted` (0 when nobody was
/// contacted): the share of the people written to, whatever the number of steps.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct CampaignStats {
    pub campaign_id: CampaignId,
    /// When these numbers were counted (they may be a few seconds old).
    pub as_of: DateTime<Utc>,
    pub enrolled: u64,
    pub leads: LeadCounts,
    pub contacted: u64,
    pub sent: u64,
    pub replied: u64,
    pub bounced: u64,
    pub unsubscribed: u64,
    pub failed: u64,
    pub reply_rate: f64,
    pub bounce_rate: f64,
    /// Every step of the campaign, in order.
    pub steps: Vec<StepStats>,
    /// One entry per UTC day of the last `days` days, oldest first, today included.
    pub daily: Vec<DayStats>,
    /// What the campaign's language-model calls cost (zeros with the template provider).
    pub cost: super::CampaignCost,
}

impl CampaignStats {
    /// Assembles the numbers counted at `as_of`: `step_count` steps (steps without counts
    /// show zeros) and `days` UTC days ending on `as_of`'s.
    pub fn from_counts(
        campaign_id: CampaignId,
        counts: CampaignCounts,
        step_count: u32,
        as_of: DateTime<Utc>,
        days: u32,
    ) -> Self {
        let today = as_of.date_naive();
        let last_step = counts
            .steps
            .iter()
            .map(|s| s.step)
            .max()
            .unwrap_or(0)
            .max(step_count);
        let steps: Vec<StepStats> = (1..=last_step)
            .map(|n| {
                let c = counts
                    .steps
                    .iter()
                    .find(|s| s.step == n)
                    .copied()
                    .unwrap_or(StepCounts {
                        step: n,
                        ..StepCounts::default()
                    });
                StepStats::from(c)
            })
            .collect();
        let first = today - chrono::Days::new(u64::from(days.saturating_sub(1)));
        let daily = first
            .iter_days()
            .take(days as usize)
            .map(|date| {
                counts
                    .days
                    .iter()
                    .find(|d| d.date == date)
                    .copied()
                    .unwrap_or(DayStats {
                        date,
                        ..DayStats::default()
                    })
            })
            .collect();
        let leads = counts.leads;
        Self {
            campaign_id,
            as_of,
            enrolled: leads.total(),
            leads,
            contacted: counts.contacted,
            sent: steps.iter().map(|s| s.sent).sum(),
            replied: counts.replied,
            bounced: leads.bounced,
            unsubscribed: leads.unsubscribed,
            failed: leads.failed,
            reply_rate: rate(counts.replied, counts.contacted),
            bounce_rate: rate(leads.bounced, counts.contacted),
            steps,
            daily,
            cost: super::CampaignCost::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn rates_are_fractions_and_zero_without_a_denominator() {
        assert_eq!(rate(1, 3), 0.3333);
        assert_eq!(rate(5, 0), 0.0);
        assert_eq!(rate(2, 2), 1.0);
    }

    #[test]
    fn stats_show_every_step_and_every_day_even_quiet_ones() {
        let counts = CampaignCounts {
            leads: LeadCounts {
                active: 6,
                replied: 2,
                bounced: 1,
                ..LeadCounts::default()
            },
            contacted: 4,
            replied: 2,
            steps: vec![StepCounts {
                step: 1,
                sent: 4,
                replied: 2,
                bounced: 1,
                ..StepCounts::default()
            }],
            days: vec![DayStats {
                date: day("2026-03-09"),
                sends: 4,
                replies: 2,
                bounces: 1,
            }],
        };

        let as_of = "2026-03-10T12:00:00Z".parse().unwrap();
        let stats = CampaignStats::from_counts(CampaignId::new(), counts, 3, as_of, 3);

        assert_eq!(stats.enrolled, 9);
        assert_eq!(stats.steps.len(), 3);
        assert_eq!(stats.steps[0].reply_rate, 0.5);
        assert_eq!(stats.steps[0].bounce_rate, 0.25);
        assert_eq!(stats.steps[2].sent, 0);
        assert_eq!(stats.reply_rate, 0.5);
        assert_eq!(stats.bounce_rate, 0.25);
        let dates: Vec<String> = stats.daily.iter().map(|d| d.date.to_string()).collect();
        assert_eq!(dates, ["2026-03-08", "2026-03-09", "2026-03-10"]);
        assert_eq!(stats.daily[1].sends, 4);
    }

    #[test]
    fn event_kinds_round_trip_through_their_names() {
        for k in EventKind::ALL {
            assert_eq!(k.as_str().parse::<EventKind>().unwrap(), *k);
        }
        assert!("bounce".parse::<EventKind>().is_err());
    }
}
