//! The actor tree: a supervisor, per-campaign actors that claim and generate, per-mailbox
//! actors that pace and send, per-mailbox IMAP pollers that read replies and bounces, and the
//! completion writer that records outcomes in batches, and the persona actor that writes each
//! new lead's persona in the background.
//! Actors are tokio tasks that own their state and receive work on bounded channels through a
//! handle; a full channel is backpressure, never an unbounded buffer.
//!
//! Actors orchestrate; protocol code (`smtp`, `imap`) and persistence (`store`) never import
//! this module, so they stay testable on their own.

mod campaign;
mod completions;
mod context;
mod imap_poller;
mod job;
mod mailbox;
mod marker;
mod personas;
mod registry;
mod replies;
mod run_now;
mod sent_copies;
mod supervisor;
mod transport;

pub use completions::CompletionSink;
pub use job::{CampaignPlan, SendJob};
pub use personas::{PersonaQueue, spawn_persona_actor};
pub use replies::{ReplyInbox, spawn_reply_drafter};
pub use run_now::RunNowWindows;
pub use sent_copies::SentCopies;
pub use supervisor::{
    DispatchParts, OUTBOX_HOST, SupervisorHandle, SupervisorOptions, spawn_supervisor,
};
