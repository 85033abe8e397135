//! Pure domain types: identifiers, e-mail addresses, rates, durations, statuses and sending
//! windows, and the entities the store keeps (workspaces, mailboxes, products, campaigns, leads),
//! the records of the step contract (claims, completions) and of the inbound half.
//!
//! Everything here is plain data with parsing and validation. This module performs no I/O and
//! knows nothing of the store, SMTP or HTTP: other modules convert to and from these types at
//! their edges, so a value that exists is a value that is valid.

mod access;
mod activity;
mod campaign;
mod campaign_lead;
mod cap;
mod check;
mod dispatch;
mod duration;
mod email;
mod explain;
mod ids;
mod import_job;
mod inbound;
mod insight;
mod lead;
mod mailbox;
mod message;
mod outcome;
mod persona;
mod privacy;
mod product;
mod rate;
mod replies;
mod review;
pub mod rules;
mod run;
mod status;
mod summary;
mod upsert;
mod usage;
mod window;
mod workspace;

pub use access::*;
pub use activity::*;
pub use campaign::*;
pub use campaign_lead::*;
pub use check::*;
pub use dispatch::*;
pub use explain::*;
pub use import_job::*;
pub use inbound::*;
pub use insight::*;
pub use lead::*;
pub use mailbox::*;
pub use message::*;
pub use persona::*;
pub use privacy::*;
pub use product::*;
pub use replies::*;
pub use review::*;
pub use run::*;
pub use summary::*;
pub use upsert::*;
pub use usage::*;
pub use workspace::*;

pub use cap::{
    Cap, CapParseError, DailyCap, HourlyCap, deserialize_daily_cap, deserialize_hourly_cap,
};
pub use duration::{DurationParseError, HumanDuration};
pub use email::{EmailAddress, EmailParseError};
pub use ids::{
    CampaignId, CampaignLeadId, ImportJobId, LeadId, MailboxId, ProductId, RunId, SendId, StepId,
    TokenId, UserId, WorkspaceId,
};
pub use ids::{EventId, LeadReplyId, ReviewId, SuppressionId};
pub use outcome::{MailboxVerdict, StepOutcome};
pub use rate::{RateParseError, RateSpec};
pub use status::{
    CampaignLeadStatus, CampaignStatus, MailboxStatus, Role, SendState, SmtpSecurity,
    StatusParseError, TimezonePolicy, TokenKind,
};
pub use window::{SendWindow, Weekdays, WindowParseError, resolve_local};
