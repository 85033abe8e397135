//! Typed identifiers. A `LeadId` can never be passed where a `MailboxId` is expected.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, sqlx::Type, utoipa::ToSchema)]
        #[sqlx(transparent)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A new, time-ordered (UUIDv7) identifier: rows inserted together sit together in
            /// B-tree indexes, which keeps batch inserts cheap.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<Uuid> for $name {
            fn from(id: Uuid) -> Self {
                Self(id)
            }
        }
    )*};
}

id_type!(
    /// A tenant: everything else belongs to exactly one workspace.
    WorkspaceId,
    /// A sending identity with SMTP (and optionally IMAP) credentials.
    MailboxId,
    /// A product a campaign pitches.
    ProductId,
    /// A person who may be contacted.
    LeadId,
    /// A sequence of steps sent to enrolled leads.
    CampaignId,
    /// One step of a campaign's sequence.
    StepId,
    /// A lead's enrolment in a campaign.
    CampaignLeadId,
    /// One attempt row for (campaign lead, step): the unit of the step contract.
    SendId,
    /// A person who signs in to the HTTP API.
    UserId,
    /// A bearer token: an API token or a login session.
    TokenId,
    /// One Run Now of a campaign, whose report the API answers.
    RunId,
    /// A CSV import started over the API, run in the background.
    ImportJobId,
);

id_type!(
    /// An engagement event (a reply, a bounce, an unsubscribe…) recorded for a lead.
    EventId,
    /// One entry of a workspace's suppression list.
    SuppressionId,
    /// An inbound message waiting for (or given) a person's reading: its `inbound_messages` id.
    ReviewId,
    /// A lead's reply kept with the answer drafted for it (`lead_replies`).
    LeadReplyId,
);
