//! The words of a step as sent: the generated text stored before sending (so a retry resends
//! the same text), the thread later steps reply under, and a send row as reported to people.

use serde::Serialize;

use super::{CampaignLeadId, LeadId, SendState};

/// A text to store for one (campaign lead, step), see [`crate::store::Dispatch::save_generated_many`].
#[derive(Clone, Debug)]
pub struct GeneratedFor {
    pub campaign_lead_id: CampaignLeadId,
    pub step_order: u32,
    pub message: GeneratedMessage,
}

/// Subject and body as they will be (or were) sent, stored before sending so a retry resends
/// exactly the same text and a preview shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct GeneratedMessage {
    pub subject: String,
    pub body_text: String,
    pub body_html: Option<String>,
    pub provider: String,
    pub model: Option<String>,
    pub prompt_tokens: u32,
    pub completion_tokens: u32,
    pub cost_usd: f64,
}

/// The first message of a lead's thread: follow-ups reply under it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ThreadInfo {
    pub message_id: String,
    pub first_subject: String,
}

/// One send row as reported to people (Run Now's per-lead lines).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SendResult {
    pub lead_id: LeadId,
    pub email: String,
    pub step_order: u32,
    pub state: SendState,
    /// The server's reply or the reason it failed, retried or was deferred.
    pub detail: Option<String>,
}
