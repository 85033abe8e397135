//! Which keys of an existing object an apply would change, for reports like
//! `campaign "Q4": updated (step 2, window)`. Whether anything changes at all is decided by the
//! store model's `matches_spec`; these lists only say what to look at.

use secrecy::ExposeSecret;

use crate::domain::{
    Campaign, Mailbox, MailboxCredentials, MailboxId, MailboxSpec, Product, ProductId, ProductSpec,
    ServerSpec, Step,
};

use super::CampaignDecl;

/// A reference resolved against the store: an object that exists, or one this apply creates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Target<Id> {
    Existing(Id),
    New,
}

impl<Id: Copy> Target<Id> {
    pub fn existing(&self) -> Option<Id> {
        match self {
            Self::Existing(id) => Some(*id),
            Self::New => None,
        }
    }
}

fn push_if(changed: &mut Vec<String>, differs: bool, key: &str) {
    if differs {
        changed.push(key.to_owned());
    }
}

pub(super) fn product(current: &Product, spec: &ProductSpec) -> Vec<String> {
    let mut changed = Vec::new();
    push_if(
        &mut changed,
        current.description != spec.description,
        "description",
    );
    push_if(
        &mut changed,
        current.source_file_name != spec.source_file_name,
        "description_file",
    );
    changed
}

pub(super) fn mailbox(
    current: &Mailbox,
    spec: &MailboxSpec,
    creds: &MailboxCredentials,
) -> Vec<String> {
    let mut changed = Vec::new();
    let c = &mut changed;
    push_if(c, current.address != spec.address.as_str(), "address");
    push_if(c, current.from_name != spec.from_name, "from_name");
    push_if(c, current.signature != spec.signature, "signature");
    push_if(c, current.smtp != spec.smtp.info(), "smtp");
    push_if(
        c,
        creds.smtp_password.expose_secret() != spec.smtp.password.expose_secret(),
        "smtp password",
    );
    push_if(
        c,
        current.imap != spec.imap.as_ref().map(ServerSpec::info),
        "imap",
    );
    if let (Some(have), Some(want)) = (&creds.imap_password, &spec.imap) {
        push_if(
            c,
            have.expose_secret() != want.password.expose_secret(),
            "imap password",
        );
    }
    push_if(c, current.daily_cap != spec.daily_cap, "daily_cap");
    push_if(c, current.hourly_cap != spec.hourly_cap, "hourly_cap");
    push_if(c, current.min_gap != spec.min_gap, "min_gap");
    push_if(c, current.max_gap != spec.max_gap, "max_gap");
    push_if(c, current.warmup != spec.warmup, "warmup");
    push_if(
        c,
        spec.warmup_started_on
            .is_some_and(|d| d != current.warmup_started_on),
        "warmup_started_on",
    );
    push_if(c, current.timezone != spec.timezone, "timezone");
    changed
}

pub(super) fn campaign(
    current: &Campaign,
    steps: &[Step],
    decl: &CampaignDecl,
    product: Option<Target<ProductId>>,
    pool: &[Target<MailboxId>],
) -> Vec<String> {
    let mut changed = Vec::new();
    let c = &mut changed;
    push_if(c, current.goal != decl.goal, "goal");
    push_if(c, current.ai.provider != decl.ai.provider, "ai_provider");
    push_if(c, current.ai.model != decl.ai.model, "ai_model");
    let product_differs = match product {
        None => current.product_id.is_some(),
        Some(target) => target.existing().is_none() || target.existing() != current.product_id,
    };
    push_if(c, product_differs, "product");
    push_if(
        c,
        decl.status.is_some_and(|s| s != current.status),
        "status",
    );
    let (have, want) = (&current.rules, &decl.rules);
    push_if(c, have.window != want.window, "window");
    push_if(c, have.timezone != want.timezone, "timezone");
    push_if(
        c,
        have.timezone_policy != want.timezone_policy,
        "timezone_policy",
    );
    push_if(
        c,
        have.daily_new_leads_cap != want.daily_new_leads_cap,
        "daily_new_leads_cap",
    );
    push_if(c, have.stop_on_reply != want.stop_on_reply, "stop_on_reply");
    push_if(
        c,
        have.stop_on_company_reply != want.stop_on_company_reply,
        "stop_on_company_reply",
    );
    push_if(
        c,
        have.stop_other_campaigns_on_reply != want.stop_other_campaigns_on_reply,
        "stop_other_campaigns_on_reply",
    );
    push_if(c, have.track_opens != want.track_opens, "track_opens");
    push_if(c, have.track_clicks != want.track_clicks, "track_clicks");
    let mut have_pool = current.mailbox_ids.clone();
    let mut want_pool: Vec<MailboxId> = pool.iter().filter_map(Target::existing).collect();
    have_pool.sort();
    want_pool.sort();
    push_if(
        c,
        want_pool.len() < pool.len() || have_pool != want_pool,
        "mailboxes",
    );
    if steps.len() == decl.steps.len() {
        for (i, (have, want)) in steps.iter().zip(&decl.steps).enumerate() {
            push_if(c, have.spec() != *want, &format!("step {}", i + 1));
        }
    } else {
        c.push(format!("steps ({} → {})", steps.len(), decl.steps.len()));
    }
    changed
}
