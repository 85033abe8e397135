//! `unknown` sends: listing them, and an operator's verdict on each.
//!
//! A send is `unknown` when the daemon lost track of it after handing it to SMTP (a crash, a
//! connection cut after the final "."): the server may have accepted it, so it is never resent
//! automatically and its lead waits. An operator who checked (the Sent folder, the server's
//! logs) resolves it: `sent` does what an SMTP 250 would have done (the next step is scheduled
//! by its delay and the campaign's window, or the lead completes); `resend` queues the step
//! again, and the next claim sends it with the same Message-ID and the same stored text.
//! Each resolution is logged and counted in `outreachd_unknown_sends_resolved_total`.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use chrono::{DateTime, TimeDelta, Utc};
use serde::Serialize;

use super::ServiceError;
use crate::actors::CampaignPlan;
use crate::domain::{CampaignId, NextStep, SendId, Workspace};
use crate::store::{Store, UnknownFilter, UnknownSendInfo};
use crate::telemetry::OperatorMetrics;

/// An operator's verdict on an `unknown` send.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Resolution {
    /// The server accepted it: record it sent and move the lead on.
    Sent,
    /// It never arrived: send the same message again.
    Resend,
}

impl Resolution {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Resend => "resend",
        }
    }
}

/// Which `unknown` sends to resolve.
#[derive(Clone, Debug)]
pub enum Selection {
    Ids(Vec<SendId>),
    /// Those that became `unknown` longer than this ago.
    OlderThan(TimeDelta),
}

/// What happened to one selected send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Resolved {
    pub send_id: SendId,
    /// `None` for an id that is not an `unknown` send of the workspace (or campaign).
    pub send: Option<UnknownSendInfo>,
    /// False when nothing was written (not found, or resolved by someone else meanwhile).
    pub applied: bool,
    /// For `sent`: when the lead's next step is due (`None`: sequence completed).
    pub next_due: Option<DateTime<Utc>>,
}

async fn campaign_id(
    store: &dyn Store,
    ws: &Workspace,
    name: Option<&str>,
) -> Result<Option<CampaignId>, ServiceError> {
    let Some(name) = name else {
        return Ok(None);
    };
    match store.campaign_by_name(ws.id, name).await? {
        Some(c) => Ok(Some(c.id)),
        None => Err(ServiceError::NotFound {
            kind: "campaign",
            name: format!("{name:?}"),
            workspace: ws.name.clone(),
        }),
    }
}

/// The workspace's `unknown` sends (of one campaign when named), oldest first.
pub async fn unknown(
    store: &dyn Store,
    ws: &Workspace,
    campaign: Option<&str>,
) -> Result<Vec<UnknownSendInfo>, ServiceError> {
    let filter = UnknownFilter {
        campaign: campaign_id(store, ws, campaign).await?,
        before: None,
    };
    Ok(store.unknown_sends_in(ws.id, &filter).await?)
}

/// Resolves the selected `unknown` sends as `resolution`, one transaction each; results in
/// selection order (ids) or oldest first (`OlderThan`).
pub async fn resolve(
    store: &dyn Store,
    ws: &Workspace,
    campaign: Option<&str>,
    selection: &Selection,
    resolution: Resolution,
    now: DateTime<Utc>,
) -> Result<Vec<Resolved>, ServiceError> {
    let mut filter = UnknownFilter {
        campaign: campaign_id(store, ws, campaign).await?,
        before: None,
    };
    if let Selection::OlderThan(age) = selection {
        filter.before = Some(now - *age);
    }
    let found = store.unknown_sends_in(ws.id, &filter).await?;
    let chosen: Vec<(SendId, Option<UnknownSendInfo>)> = match selection {
        Selection::OlderThan(_) => found.into_iter().map(|s| (s.send_id, Some(s))).collect(),
        Selection::Ids(ids) => {
            let mut by_id: HashMap<SendId, UnknownSendInfo> =
                found.into_iter().map(|s| (s.send_id, s)).collect();
            ids.iter().map(|id| (*id, by_id.remove(id))).collect()
        }
    };
    let metrics = OperatorMetrics::new();
    let mut plans: HashMap<CampaignId, CampaignPlan> = HashMap::new();
    let mut results = Vec::with_capacity(chosen.len());
    for (send_id, send) in chosen {
        let Some(info) = send else {
            tracing::warn!(send = %send_id, "Not an unknown send of this workspace; left alone.");
            results.push(Resolved {
                send_id,
                send: None,
                applied: false,
                next_due: None,
            });
            continue;
        };
        let (applied, next_due) = match resolution {
            Resolution::Sent => {
                let next = next_step(store, ws, &mut plans, &info, now).await?;
                let applied = store
                    .resolve_unknown_as_sent(ws.id, send_id, next, now)
                    .await?;
                let due = match next {
                    NextStep::At { due_at, .. } => Some(due_at),
                    NextStep::Done => None,
                };
                (applied, due)
            }
            Resolution::Resend => (
                store.resolve_unknown_as_resend(ws.id, send_id, now).await?,
                None,
            ),
        };
        if applied {
            match resolution {
                Resolution::Sent => metrics.resolved_as_sent(),
                Resolution::Resend => metrics.resolved_as_resend(),
            }
            tracing::info!(
                send = %send_id,
                resolution = resolution.as_str(),
                campaign = %info.campaign,
                lead = %info.lead_email,
                step = info.step_order,
                message_id = info.message_id.as_deref().unwrap_or(""),
                next_due = ?next_due,
                "Unknown send resolved by an operator."
            );
        } else {
            tracing::warn!(send = %send_id, "Send was no longer unknown; left alone.");
        }
        results.push(Resolved {
            send_id,
            send: Some(info),
            applied,
            next_due,
        });
    }
    Ok(results)
}

/// Where the lead goes after the resolved step, as after an SMTP 250 at the send's time.
async fn next_step(
    store: &dyn Store,
    ws: &Workspace,
    plans: &mut HashMap<CampaignId, CampaignPlan>,
    info: &UnknownSendInfo,
    now: DateTime<Utc>,
) -> Result<NextStep, ServiceError> {
    let plan = match plans.entry(info.campaign_id) {
        Entry::Occupied(e) => e.into_mut(),
        Entry::Vacant(e) => {
            let campaign = store
                .campaign_by_id(ws.id, info.campaign_id)
                .await?
                .ok_or_else(|| ServiceError::NotFound {
                    kind: "campaign",
                    name: info.campaign.clone(),
                    workspace: ws.name.clone(),
                })?;
            let steps = store.campaign_steps(ws.id, info.campaign_id).await?;
            e.insert(CampaignPlan::new(campaign, steps))
        }
    };
    let sent_at = info.sent_at.unwrap_or(now);
    Ok(plan.next_step(info.step_order, sent_at, info.lead_timezone.as_deref()))
}
