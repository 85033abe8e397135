//! The messages that flow between actors: a ready-to-send job, and the campaign's plan that a
//! mailbox actor needs to schedule the lead's next step after sending.

use crate::domain::{Campaign, ClaimedSend, GeneratedMessage, NextStep, Step};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// What a campaign actor knows about its campaign, shared with the mailbox actors it feeds.
#[derive(Debug)]
pub struct CampaignPlan {
    pub campaign: Campaign,
    /// In `step_order`.
    pub steps: Vec<Step>,
    pub timezone: Tz,
}

impl CampaignPlan {
    pub fn new(campaign: Campaign, steps: Vec<Step>) -> Self {
        // Validated on apply; a hand-edited zone falls back to UTC rather than stopping sends.
        let timezone = campaign.rules.timezone.parse().unwrap_or(Tz::UTC);
        Self {
            campaign,
            steps,
            timezone,
        }
    }

    pub fn step(&self, order: u32) -> Option<&Step> {
        self.steps.iter().find(|s| s.step_order == order)
    }

    /// The zone the sending window is read in for this lead.
    pub fn zone_for(&self, lead_timezone: Option<&str>) -> Tz {
        crate::limits::send_zone(
            self.campaign.rules.timezone_policy,
            self.timezone,
            lead_timezone,
        )
    }

    /// Where the lead goes after `sent_step` went out at `sent_at`: the next step's delay from
    /// now, moved into the sending window; or done after the last step.
    pub fn next_step(
        &self,
        sent_step: u32,
        sent_at: DateTime<Utc>,
        lead_timezone: Option<&str>,
    ) -> NextStep {
        match self.step(sent_step + 1) {
            None => NextStep::Done,
            Some(next) => {
                let due = sent_at + next.delay.to_chrono();
                let due = self
                    .campaign
                    .rules
                    .window
                    .next_open(due, self.zone_for(lead_timezone));
                NextStep::At {
                    step_order: next.step_order,
                    due_at: due,
                }
            }
        }
    }
}

/// A claimed send with its final text, handed to the lead's mailbox actor.
#[derive(Debug)]
pub struct SendJob {
    pub claim: ClaimedSend,
    pub message: GeneratedMessage,
    pub plan: Arc<CampaignPlan>,
}
