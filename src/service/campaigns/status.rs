//! A campaign's lifecycle: draft → running ⇄ paused → completed (running may also complete at
//! once). Completed is final, and nothing goes back to draft. A campaign starts running only
//! with steps to send and mailboxes to send from.
//!
//! Apply files set `status` declaratively and are not held to these moves; the API is.

use crate::domain::{Campaign, CampaignId, CampaignStatus, WorkspaceId};
use crate::store::Store;

use super::CampaignError;
use CampaignStatus::{Completed, Draft, Paused, Running};

/// Whether `from → to` is a move of the lifecycle (staying put is not a move, and is allowed).
pub fn check_move(from: CampaignStatus, to: CampaignStatus) -> Result<(), String> {
    match (from, to) {
        (a, b) if a == b => Ok(()),
        (Draft | Paused, Running) | (Running, Paused) | (Running | Paused, Completed) => Ok(()),
        (Completed, _) => Err(format!(
            "the campaign is completed, which is final; it cannot become {to}"
        )),
        (_, Draft) => Err(format!("a campaign cannot go back to draft (it is {from})")),
        (Draft, _) => Err(format!(
            "a draft campaign can only start running (asked for {to})"
        )),
        _ => Err(format!("a campaign cannot move from {from} to {to}")),
    }
}

/// Moves campaign `id` to `to`. `Conflict` for a move the lifecycle forbids, for running
/// without steps or mailboxes, and when the campaign changed status meanwhile. Returns the
/// campaign as it is now and whether anything changed.
pub async fn set(
    store: &dyn Store,
    ws: WorkspaceId,
    id: CampaignId,
    to: CampaignStatus,
) -> Result<(Campaign, bool), CampaignError> {
    let campaign = store
        .campaign_by_id(ws, id)
        .await?
        .ok_or_else(|| CampaignError::not_found("campaign", id))?;
    let from = campaign.status;
    if from == to {
        return Ok((campaign, false));
    }
    check_move(from, to).map_err(CampaignError::Conflict)?;
    if to == Running {
        if campaign.mailbox_ids.is_empty() {
            return Err(CampaignError::Conflict(
                "the campaign has no mailboxes to send from; add some to mailbox_ids first".into(),
            ));
        }
        if store.campaign_steps(ws, id).await?.is_empty() {
            return Err(CampaignError::Conflict(
                "the campaign has no steps to send; add some first".into(),
            ));
        }
    }
    if !store.transition_campaign(ws, id, from, to).await? {
        return Err(CampaignError::Conflict(format!(
            "the campaign's status changed meanwhile (it was {from}); read it again and retry"
        )));
    }
    let now = store
        .campaign_by_id(ws, id)
        .await?
        .ok_or_else(|| CampaignError::not_found("campaign", id))?;
    Ok((now, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lifecycle_runs_forward_and_pauses_both_ways() {
        for (from, to) in [
            (Draft, Running),
            (Running, Paused),
            (Paused, Running),
            (Running, Completed),
            (Paused, Completed),
            (Running, Running),
        ] {
            assert!(check_move(from, to).is_ok(), "{from} -> {to}");
        }
    }

    #[test]
    fn completed_is_final_and_nothing_returns_to_draft() {
        for (from, to) in [
            (Completed, Running),
            (Completed, Paused),
            (Running, Draft),
            (Draft, Paused),
            (Draft, Completed),
        ] {
            assert!(check_move(from, to).is_err(), "{from} -> {to}");
        }
        assert!(
            check_move(Completed, Running)
                .unwrap_err()
                .contains("final")
        );
    }
}
