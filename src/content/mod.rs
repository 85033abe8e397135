//! Message content: template rendering (minijinja with strict undefined, no environment, file
//! or include access; spintax), LLM providers behind a `ContentProvider` trait, and personas.
//!
//! It produces subjects and bodies; it never sends mail nor writes to the store.
//!
//! The flow for one (lead, step): build a [`RenderContext`] from the store rows, render the step
//! with [`render_draft`] seeded by [`spin_seed`] (same lead and step, same text), hand the
//! [`Draft`] to the configured [`ContentProvider`] (from [`build_provider`]), store the
//! [`Generated`] it returns, then send. Every provider's text passes the quality gates of
//! [`quality`] first ([`GatedProvider`]). A [`ContentError`] says whether trying again later can
//! help ([`ContentError::is_retryable`]); template errors fail the step with their message.

mod compiled;
mod compose;
mod context;
mod error;
mod gated;
mod model;
mod prompt;
mod provider;
pub mod quality;
mod routed;
mod settings;
mod spintax;
mod template;

pub use compose::{ComposeError, Composition, reply_subject, request_for, stored_form};
pub use context::{CampaignVars, LeadVars, ProductVars, RenderContext, SenderVars, snake_case};
pub use error::{ContentError, TemplatePart};
pub use gated::GatedProvider;
pub use model::ModelProvider;
pub use prompt::SYSTEM_PROMPT;
pub use provider::{
    ContentProvider, FallbackProvider, Generated, GenerationRequest, TemplateProvider,
    build_provider,
};
pub use routed::RoutedProvider;
pub use settings::{ContentSettings, OnFailure, ProviderKind};
pub use spintax::{expand as expand_spintax, spin_seed};
pub use template::{
    Draft, MAX_OUTPUT_BYTES, MAX_SUBJECT_CHARS, MAX_TEMPLATE_BYTES, normalize_subject, render,
    render_draft, validate,
};
