//! Comparing a manifest with what the store holds, before anything is written: which objects
//! would be created, updated (and which keys) or left alone, and whether every name a campaign
//! uses (product, pool mailboxes) is declared in the file or exists already.
//!
//! Only reads. Mailbox passwords are compared through `Store::mailbox_credentials`, in memory.

use std::collections::HashMap;

use super::diff::{self, Target};
use super::error::{ManifestError, Problem};
use super::{CampaignDecl, Manifest};
use crate::domain::{
    CampaignSpec, Change, Mailbox, MailboxId, Product, ProductId, ProductSpec, Workspace,
};
use crate::service::mailboxes;
use crate::store::{Store, StoreError};

/// The planned change of one object, with the keys that differ when it is `Updated`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Planned {
    pub change: Change,
    pub changed: Vec<String>,
}

impl Planned {
    fn created() -> Self {
        Self {
            change: Change::Created,
            changed: Vec::new(),
        }
    }

    fn from_diff(unchanged: bool, changed: Vec<String>) -> Self {
        match unchanged {
            true => Self {
                change: Change::Unchanged,
                changed: Vec::new(),
            },
            false => Self {
                change: Change::Updated,
                changed,
            },
        }
    }
}

/// Everything `apply` needs to write (or, on a dry run, to report).
#[derive(Debug)]
pub(super) struct Plan {
    pub workspace: Option<Workspace>,
    /// One per manifest object, in manifest order.
    pub products: Vec<Planned>,
    pub mailboxes: Vec<Planned>,
    pub campaigns: Vec<Planned>,
    /// Products and mailboxes (by lower-case address) that campaigns use but the file does not
    /// declare: they exist in the store already.
    pub external_products: HashMap<String, ProductId>,
    pub external_mailboxes: HashMap<String, MailboxId>,
}

fn reading(action: String) -> impl FnOnce(StoreError) -> ManifestError {
    move |source| ManifestError::Store { action, source }
}

fn product_unchanged(current: &Product, spec: &ProductSpec) -> bool {
    current.name == spec.name
        && current.description == spec.description
        && current.source_file_name == spec.source_file_name
}

/// The store's form of a campaign once its references have ids.
pub(super) fn campaign_spec(
    decl: &CampaignDecl,
    product: Option<ProductId>,
    pool: Vec<MailboxId>,
) -> CampaignSpec {
    CampaignSpec {
        name: decl.name.clone(),
        goal: decl.goal.clone(),
        ai: decl.ai.clone(),
        product_id: product,
        status: decl.status,
        rules: decl.rules.clone(),
        mailbox_ids: pool,
        steps: decl.steps.clone(),
    }
}

pub(super) async fn plan(store: &dyn Store, m: &Manifest) -> Result<Plan, ManifestError> {
    let workspace = store
        .workspace_by_name(&m.workspace)
        .await
        .map_err(reading(format!("look up workspace {}", m.workspace)))?;
    let ws = workspace.as_ref().map(|w| w.id);
    let (mailboxes_now, campaigns_now) = match ws {
        Some(ws) => (
            store
                .list_mailboxes(ws)
                .await
                .map_err(reading("list mailboxes".into()))?,
            store
                .list_campaigns(ws)
                .await
                .map_err(reading("list campaigns".into()))?,
        ),
        None => (Vec::new(), Vec::new()),
    };
    let mailbox_now: HashMap<String, &Mailbox> = mailboxes_now
        .iter()
        .map(|mb| (mb.address.to_lowercase(), mb))
        .collect();

    let mut products = Vec::new();
    let mut declared_products: HashMap<&str, Target<ProductId>> = HashMap::new();
    for spec in &m.products {
        let current = match ws {
            Some(ws) => store
                .product_by_name(ws, &spec.name)
                .await
                .map_err(reading(format!("look up product {:?}", spec.name)))?,
            None => None,
        };
        products.push(match &current {
            Some(p) => Planned::from_diff(product_unchanged(p, spec), diff::product(p, spec)),
            None => Planned::created(),
        });
        declared_products.insert(
            &spec.name,
            current.map_or(Target::New, |p| Target::Existing(p.id)),
        );
    }

    let mut mailboxes = Vec::new();
    let mut declared_mailboxes: HashMap<String, Target<MailboxId>> = HashMap::new();
    for (i, spec) in m.mailboxes.iter().enumerate() {
        let wanted = m.mailbox_status.get(i).copied().flatten();
        let key = spec.address.normalized();
        let planned = match (ws, mailbox_now.get(&key)) {
            (Some(ws), Some(current)) => {
                let creds = store
                    .mailbox_credentials(ws, current.id)
                    .await
                    .map_err(reading(format!(
                        "read the credentials of mailbox {}",
                        current.address
                    )))?;
                declared_mailboxes.insert(key, Target::Existing(current.id));
                let mut changed = diff::mailbox(current, spec, &creds);
                let status_differs = wanted.is_some_and(|w| mailboxes::differs(current, w));
                if status_differs {
                    changed.push("status".to_owned());
                }
                let unchanged = current.matches_spec(spec, &creds) && !status_differs;
                Planned::from_diff(unchanged, changed)
            }
            _ => {
                declared_mailboxes.insert(key, Target::New);
                Planned::created()
            }
        };
        mailboxes.push(planned);
    }

    let mut plan = Plan {
        workspace,
        products,
        mailboxes,
        campaigns: Vec::new(),
        external_products: HashMap::new(),
        external_mailboxes: HashMap::new(),
    };
    let mut problems = Vec::new();
    for decl in &m.campaigns {
        let label = format!("campaign {:?}", decl.name);
        let problem = |line, key: &str, message: String| Problem {
            line,
            column: None,
            object: Some(label.clone()),
            key: Some(key.to_owned()),
            message,
        };
        let product = match &decl.product {
            None => None,
            Some(r) => match declared_products.get(r.target.as_str()) {
                Some(target) => Some(*target),
                None => {
                    let found = match ws {
                        Some(ws) => store
                            .product_by_name(ws, &r.target)
                            .await
                            .map_err(reading(format!("look up product {:?}", r.target)))?,
                        None => None,
                    };
                    match found {
                        Some(p) => {
                            plan.external_products.insert(r.target.clone(), p.id);
                            Some(Target::Existing(p.id))
                        }
                        None => {
                            let message = format!(
                                "unknown product {:?}: declare it under [[products]] or create it first",
                                r.target
                            );
                            problems.push(problem(r.line, "product", message));
                            None
                        }
                    }
                }
            },
        };
        let mut pool = Vec::new();
        for r in &decl.mailboxes {
            let key = r.target.normalized();
            if let Some(target) = declared_mailboxes.get(&key) {
                pool.push(*target);
            } else if let Some(existing) = mailbox_now.get(&key) {
                plan.external_mailboxes.insert(key, existing.id);
                pool.push(Target::Existing(existing.id));
            } else {
                let message = format!(
                    "unknown mailbox {}: declare it under [[mailboxes]] or create it first",
                    r.target
                );
                problems.push(problem(r.line, "mailboxes", message));
            }
        }
        plan.campaigns.push(
            match (ws, campaigns_now.iter().find(|c| c.name == decl.name)) {
                (Some(ws), Some(current)) => {
                    let steps =
                        store
                            .campaign_steps(ws, current.id)
                            .await
                            .map_err(reading(format!(
                                "read the steps of campaign {:?}",
                                decl.name
                            )))?;
                    let changed = diff::campaign(current, &steps, decl, product, &pool);
                    let unchanged = resolved(product, &pool).is_some_and(|(product, ids)| {
                        current.matches_spec(&campaign_spec(decl, product, ids), &steps)
                    });
                    Planned::from_diff(unchanged, changed)
                }
                _ => Planned::created(),
            },
        );
    }
    if !problems.is_empty() {
        return Err(ManifestError::Invalid {
            path: m.source.clone(),
            problems,
        });
    }
    Ok(plan)
}

/// The ids of a campaign's references, if they all exist already.
fn resolved(
    product: Option<Target<ProductId>>,
    pool: &[Target<MailboxId>],
) -> Option<(Option<ProductId>, Vec<MailboxId>)> {
    let product = match product {
        None => None,
        Some(target) => Some(target.existing()?),
    };
    let ids = pool
        .iter()
        .map(Target::existing)
        .collect::<Option<Vec<_>>>()?;
    Some((product, ids))
}
