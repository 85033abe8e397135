//! Pure domain types: identifiers, e-mail addresses, rates, durations, statuses and sending windows.
//!
//! Everything here is plain data with parsing and validation. This module performs no I/O and
//! knows nothing of the store, SMTP or HTTP: other modules convert to and from these types at
//! their edges, so a value that exists is a value that is valid.

mod cap;
mod duration;
mod email;
mod ids;
mod outcome;
mod rate;
mod status;
mod window;

pub use cap::{
    Cap, CapParseError, DailyCap, HourlyCap, deserialize_daily_cap, deserialize_hourly_cap,
};
pub use duration::{DurationParseError, HumanDuration};
pub use email::{EmailAddress, EmailParseError};
pub use ids::{
    CampaignId, CampaignLeadId, LeadId, MailboxId, ProductId, SendId, StepId, WorkspaceId,
};
pub use outcome::{MailboxVerdict, StepOutcome};
pub use rate::{RateParseError, RateSpec};
pub use status::{
    CampaignLeadStatus, CampaignStatus, MailboxStatus, SendState, SmtpSecurity, StatusParseError,
    TimezonePolicy,
};
pub use window::{SendWindow, Weekdays, WindowParseError, resolve_local};
