//! The pausing policy of inbound mail: a mailbox whose hard-bounce share over its last sends
//! passes `bounce_rate_threshold_percent` is paused with the figures as its reason (once per
//! poller: an operator resumes it).

use super::Poller;
use super::error::PollError;
use crate::domain::{MailboxStateChange, MailboxStatus};

impl Poller {
    /// Pauses the mailbox when its hard-bounce share over the last sends passes the threshold.
    pub(super) async fn check_bounce_rate(&mut self) -> Result<(), PollError> {
        if self.paused_for_bounces {
            return Ok(());
        }
        let s = &self.settings;
        let rate = self
            .store
            .mailbox_bounce_rate(self.mailbox.id, s.bounce_rate_window)
            .await?;
        if rate.sends < s.bounce_rate_min_sends || rate.percent() <= s.bounce_rate_threshold_percent
        {
            return Ok(());
        }
        let reason = format!(
            "bounce rate {:.1}% ({} of the last {} sends) above {}%",
            rate.percent(),
            rate.bounced,
            rate.sends,
            s.bounce_rate_threshold_percent
        );
        tracing::warn!(
            mailbox = %self.mailbox.id,
            bounced = rate.bounced,
            sends = rate.sends,
            reason = %reason,
            "Mailbox paused: too many hard bounces."
        );
        let change = MailboxStateChange {
            status: MailboxStatus::Paused,
            reason: Some(reason),
            cooling_until: None,
        };
        self.store
            .set_mailbox_state(self.mailbox.id, &change)
            .await?;
        self.paused_for_bounces = true;
        Ok(())
    }
}
