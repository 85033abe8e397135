//! Splitting a batch of completions into one set of column arrays per outcome kind, the shape
//! `dispatch_outcomes` binds and `UNNEST`s. Strings are borrowed from the batch, not copied.

use crate::domain::{Completion, NextStep, SendRef};
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::store::StoreError;

/// Send ids, lease tokens and campaign leads of one kind's completions, in batch order.
#[derive(Default)]
pub(super) struct Fence {
    pub(super) send_ids: Vec<Uuid>,
    pub(super) tokens: Vec<Uuid>,
    pub(super) leads: Vec<Uuid>,
}

impl Fence {
    fn push(&mut self, send: &SendRef) {
        self.send_ids.push(send.send_id.0);
        self.tokens.push(send.lease.0);
        self.leads.push(send.campaign_lead_id.0);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.send_ids.is_empty()
    }
}

#[derive(Default)]
pub(super) struct Sent<'a> {
    pub(super) fence: Fence,
    pub(super) message_ids: Vec<&'a str>,
    pub(super) replies: Vec<&'a str>,
    pub(super) sent_at: Vec<DateTime<Utc>>,
    pub(super) thread_ids: Vec<Option<&'a str>>,
    pub(super) thread_subjects: Vec<Option<&'a str>>,
    pub(super) next_steps: Vec<Option<i32>>,
    pub(super) next_due: Vec<Option<DateTime<Utc>>>,
    pub(super) count_dates: Vec<NaiveDate>,
}

#[derive(Default)]
pub(super) struct Unknown<'a> {
    pub(super) fence: Fence,
    pub(super) message_ids: Vec<&'a str>,
    pub(super) reasons: Vec<&'a str>,
    pub(super) count_dates: Vec<NaiveDate>,
}

#[derive(Default)]
pub(super) struct Retry<'a> {
    pub(super) fence: Fence,
    pub(super) at: Vec<DateTime<Utc>>,
    pub(super) reasons: Vec<&'a str>,
    pub(super) counts: Vec<bool>,
}

#[derive(Default)]
pub(super) struct Failed<'a> {
    pub(super) fence: Fence,
    pub(super) reasons: Vec<&'a str>,
}

#[derive(Default)]
pub(super) struct Bounced<'a> {
    pub(super) fence: Fence,
    pub(super) replies: Vec<&'a str>,
    pub(super) suppression_ids: Vec<Uuid>,
    pub(super) event_ids: Vec<Uuid>,
}

/// A batch split into column arrays per kind.
#[derive(Default)]
pub(super) struct Batch<'a> {
    pub(super) sent: Sent<'a>,
    pub(super) unknown: Unknown<'a>,
    pub(super) retry: Retry<'a>,
    pub(super) failed: Failed<'a>,
    pub(super) bounced: Bounced<'a>,
}

impl<'a> Batch<'a> {
    pub(super) fn new(completions: &'a [Completion]) -> Result<Self, StoreError> {
        let mut b = Batch::default();
        for completion in completions {
            match completion {
                Completion::Sent {
                    send,
                    message_id,
                    reply,
                    sent_at,
                    thread,
                    next,
                    count_date,
                } => {
                    let s = &mut b.sent;
                    s.fence.push(send);
                    s.message_ids.push(message_id);
                    s.replies.push(reply);
                    s.sent_at.push(*sent_at);
                    s.thread_ids
                        .push(thread.as_ref().map(|t| t.message_id.as_str()));
                    s.thread_subjects
                        .push(thread.as_ref().map(|t| t.first_subject.as_str()));
                    let (step, due) = match next {
                        NextStep::At { step_order, due_at } => {
                            let step = i32::try_from(*step_order).map_err(|_| {
                                StoreError::Invalid(format!("step order {step_order} is too large"))
                            })?;
                            (Some(step), Some(*due_at))
                        }
                        NextStep::Done => (None, None),
                    };
                    s.next_steps.push(step);
                    s.next_due.push(due);
                    s.count_dates.push(*count_date);
                }
                Completion::Unknown {
                    send,
                    message_id,
                    reason,
                    count_date,
                } => {
                    let u = &mut b.unknown;
                    u.fence.push(send);
                    u.message_ids.push(message_id);
                    u.reasons.push(reason);
                    u.count_dates.push(*count_date);
                }
                Completion::Retry {
                    send,
                    at,
                    reason,
                    counts_as_attempt,
                } => {
                    let r = &mut b.retry;
                    r.fence.push(send);
                    r.at.push(*at);
                    r.reasons.push(reason);
                    r.counts.push(*counts_as_attempt);
                }
                Completion::Failed { send, reason } => {
                    b.failed.fence.push(send);
                    b.failed.reasons.push(reason);
                }
                Completion::Bounced { send, reply } => {
                    let x = &mut b.bounced;
                    x.fence.push(send);
                    x.replies.push(reply);
                    x.suppression_ids.push(Uuid::now_v7());
                    x.event_ids.push(Uuid::now_v7());
                }
            }
        }
        Ok(b)
    }
}
