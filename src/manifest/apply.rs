//! `apply`: plan against the store (reads only, all references checked), then write the
//! workspace, products, mailboxes and campaigns in that order, since each may be referenced by
//! the next. A dry run stops after planning.
//!
//! The store's upserts decide what actually changed; the plan supplies which keys differ. A
//! mailbox's `status` is applied after its upsert through `service::mailboxes`, the same
//! pause and resume an operator's command uses.

use std::collections::HashMap;

use chrono::Utc;

use super::plan::{self, Plan, Planned};
use super::report::{ApplyReport, ObjectKind, ObjectReport};
use super::{Manifest, ManifestError};
use crate::domain::{Change, MailboxId, ProductId};
use crate::service::{ServiceError, mailboxes};
use crate::store::{Store, StoreError};

/// Applies `manifest` to `store` (or, with `dry_run`, only reports what would change).
///
/// Nothing is written unless the whole manifest resolves: unknown products or mailboxes fail
/// with [`ManifestError::Invalid`] first. A store error part-way through a write fails with
/// [`ManifestError::Write`]; applying again after fixing the cause finishes the job.
pub async fn apply(
    store: &dyn Store,
    manifest: &Manifest,
    dry_run: bool,
) -> Result<ApplyReport, ManifestError> {
    let plan = plan::plan(store, manifest).await?;
    if dry_run {
        return Ok(planned_report(manifest, &plan));
    }
    execute(store, manifest, plan).await
}

fn object(kind: ObjectKind, name: &str, planned: &Planned) -> ObjectReport {
    ObjectReport {
        kind,
        name: name.to_owned(),
        change: planned.change,
        changed: planned.changed.clone(),
    }
}

fn planned_report(m: &Manifest, plan: &Plan) -> ApplyReport {
    let workspace = Planned {
        change: if plan.workspace.is_some() {
            Change::Unchanged
        } else {
            Change::Created
        },
        changed: Vec::new(),
    };
    let mut objects = vec![object(ObjectKind::Workspace, &m.workspace, &workspace)];
    objects.extend(
        m.products
            .iter()
            .zip(&plan.products)
            .map(|(p, c)| object(ObjectKind::Product, &p.name, c)),
    );
    objects.extend(
        m.mailboxes
            .iter()
            .zip(&plan.mailboxes)
            .map(|(mb, c)| object(ObjectKind::Mailbox, mb.address.as_str(), c)),
    );
    objects.extend(
        m.campaigns
            .iter()
            .zip(&plan.campaigns)
            .map(|(c, p)| object(ObjectKind::Campaign, &c.name, p)),
    );
    ApplyReport {
        workspace: m.workspace.clone(),
        dry_run: true,
        objects,
    }
}

/// The store's verdict, with the plan's list of differing keys when it agrees there was a change.
fn written(
    kind: ObjectKind,
    name: &str,
    change: Change,
    planned: Option<&Planned>,
) -> ObjectReport {
    let changed = match (change, planned) {
        (Change::Updated, Some(p)) => p.changed.clone(),
        _ => Vec::new(),
    };
    ObjectReport {
        kind,
        name: name.to_owned(),
        change,
        changed,
    }
}

async fn execute(
    store: &dyn Store,
    m: &Manifest,
    plan: Plan,
) -> Result<ApplyReport, ManifestError> {
    let failed = |object: String| move |source: StoreError| ManifestError::Write { object, source };
    let ws = store
        .upsert_workspace(&m.workspace)
        .await
        .map_err(failed(format!("workspace {}", m.workspace)))?;
    let ws_id = ws.value.id;
    let mut objects = vec![written(
        ObjectKind::Workspace,
        &m.workspace,
        ws.change,
        None,
    )];

    let mut product_ids: HashMap<String, ProductId> = plan.external_products.clone();
    for (spec, planned) in m.products.iter().zip(&plan.products) {
        let up = store
            .upsert_product(ws_id, spec)
            .await
            .map_err(failed(format!("product {:?}", spec.name)))?;
        product_ids.insert(spec.name.clone(), up.value.id);
        objects.push(written(
            ObjectKind::Product,
            &spec.name,
            up.change,
            Some(planned),
        ));
    }

    let mut mailbox_ids: HashMap<String, MailboxId> = plan.external_mailboxes.clone();
    for (i, (spec, planned)) in m.mailboxes.iter().zip(&plan.mailboxes).enumerate() {
        let label = || format!("mailbox {}", spec.address);
        let up = store
            .upsert_mailbox(ws_id, spec)
            .await
            .map_err(failed(label()))?;
        mailbox_ids.insert(spec.address.normalized(), up.value.id);
        let mut report = written(
            ObjectKind::Mailbox,
            spec.address.as_str(),
            up.change,
            Some(planned),
        );
        let want = m.mailbox_options.get(i).copied().unwrap_or_default();
        let have = store
            .inbound_options(ws_id, up.value.id)
            .await
            .map_err(failed(label()))?
            .unwrap_or_default();
        if have != want {
            store
                .set_inbound_options(ws_id, up.value.id, &want)
                .await
                .map_err(failed(label()))?;
            if report.change == Change::Unchanged {
                report.change = Change::Updated;
            }
            report.changed.push("inbound options".to_owned());
        }
        if let Some(wanted) = m.mailbox_status.get(i).copied().flatten() {
            let wrote = mailboxes::set_wanted(store, &up.value, wanted, Utc::now())
                .await
                .map_err(|e| failed(label())(service_store_error(e)))?;
            if wrote && report.change != Change::Created {
                report.change = Change::Updated;
                report.changed.push("status".to_owned());
            }
        }
        objects.push(report);
    }

    for (decl, planned) in m.campaigns.iter().zip(&plan.campaigns) {
        let label = format!("campaign {:?}", decl.name);
        // The plan checked every reference, so a miss here means the store changed under us.
        let product = match &decl.product {
            None => None,
            Some(r) => Some(*product_ids.get(&r.target).ok_or_else(|| {
                failed(label.clone())(StoreError::not_found("product", &r.target))
            })?),
        };
        let pool = decl
            .mailboxes
            .iter()
            .map(|r| {
                mailbox_ids
                    .get(&r.target.normalized())
                    .copied()
                    .ok_or_else(|| {
                        failed(label.clone())(StoreError::not_found("mailbox", r.target.as_str()))
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let spec = plan::campaign_spec(decl, product, pool);
        let up = store
            .upsert_campaign(ws_id, &spec)
            .await
            .map_err(failed(label))?;
        objects.push(written(
            ObjectKind::Campaign,
            &decl.name,
            up.change,
            Some(planned),
        ));
    }
    Ok(ApplyReport {
        workspace: m.workspace.clone(),
        dry_run: false,
        objects,
    })
}

/// A mailbox's state change fails like its upsert would: as a store error.
fn service_store_error(e: ServiceError) -> StoreError {
    match e {
        ServiceError::Store(e) => e,
        other => StoreError::Invalid(other.to_string()),
    }
}
