//! Products as the API edits them: create, replace or patch, soft-delete, and a description
//! taken from an uploaded document. Names and descriptions meet the same [`rules`] as in apply
//! files.
//!
//! A description written by hand clears the source file name; one read from a file records the
//! file's name. A product a campaign that is not completed uses cannot be deleted: its messages
//! are generated from the description (see `CatalogEdits::delete_product`).

use chrono::Utc;

use super::catalog_error::{CatalogError, campaign_list};
use crate::domain::rules::{self, SpecProblem};
use crate::domain::{Product, ProductId, ProductSpec, WorkspaceId};
use crate::extract::{self, DocumentKind};
use crate::store::{Removal, Store};

/// Changes to a product; `None` keeps what it has.
#[derive(Clone, Debug, Default)]
pub struct ProductPatch {
    pub name: Option<String>,
    pub description: Option<String>,
}

fn check(spec: &ProductSpec) -> Result<(), CatalogError> {
    let problems: Vec<SpecProblem> = [
        ("name", rules::line_text("name", &spec.name)),
        ("description", rules::description(&spec.description)),
    ]
    .into_iter()
    .filter_map(|(key, result)| {
        result.err().map(|message| SpecProblem {
            key: key.to_owned(),
            message,
        })
    })
    .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(CatalogError::Invalid(problems))
    }
}

fn not_found(id: ProductId) -> CatalogError {
    CatalogError::NotFound {
        kind: "product",
        id: id.to_string(),
    }
}

/// The product, or `NotFound` (also for a deleted one).
pub async fn get(
    store: &dyn Store,
    ws: WorkspaceId,
    id: ProductId,
) -> Result<Product, CatalogError> {
    store
        .product_by_id(ws, id)
        .await?
        .ok_or_else(|| not_found(id))
}

pub async fn create(
    store: &dyn Store,
    ws: WorkspaceId,
    name: String,
    description: String,
) -> Result<Product, CatalogError> {
    let spec = ProductSpec {
        name,
        description,
        source_file_name: None,
    };
    check(&spec)?;
    Ok(store.create_product(ws, &spec, Utc::now()).await?)
}

/// Applies `patch` to product `id` (a replace gives every field).
pub async fn update(
    store: &dyn Store,
    ws: WorkspaceId,
    id: ProductId,
    patch: ProductPatch,
) -> Result<Product, CatalogError> {
    let current = get(store, ws, id).await?;
    let source_file_name = match &patch.description {
        Some(d) if *d != current.description => None,
        _ => current.source_file_name,
    };
    let spec = ProductSpec {
        name: patch.name.unwrap_or(current.name),
        description: patch.description.unwrap_or(current.description),
        source_file_name,
    };
    check(&spec)?;
    store
        .update_product(ws, id, &spec, Utc::now())
        .await?
        .ok_or_else(|| not_found(id))
}

/// Soft-deletes product `id`: it leaves lists and lookups, and its name can be used to bring
/// it back.
pub async fn delete(store: &dyn Store, ws: WorkspaceId, id: ProductId) -> Result<(), CatalogError> {
    match store.delete_product(ws, id, Utc::now()).await? {
        Removal::Removed => Ok(()),
        Removal::NotFound => Err(not_found(id)),
        Removal::InUse { campaigns } => Err(CatalogError::Conflict(format!(
            "product {id} is used by {}, whose messages are written from its description: \
             give them another product (or complete them) first",
            campaign_list(&campaigns)
        ))),
    }
}

/// The last component of an uploaded file's name, as a client may send a whole path.
fn base_name(file_name: &str) -> String {
    let base = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
    base.chars().filter(|c| !c.is_control()).take(255).collect()
}

/// Makes the text of an uploaded document product `id`'s description. The kind comes from
/// `file_name`; a file that is damaged, of another kind or without text is refused under
/// `file`, naming the problem. Extraction runs on a blocking thread.
pub async fn describe_from_file(
    store: &dyn Store,
    ws: WorkspaceId,
    id: ProductId,
    file_name: &str,
    bytes: Vec<u8>,
) -> Result<Product, CatalogError> {
    let current = get(store, ws, id).await?;
    let unreadable = |message: String| CatalogError::invalid("file", message);
    let kind = DocumentKind::from_file_name(file_name).map_err(|e| unreadable(e.to_string()))?;
    let text = tokio::task::spawn_blocking(move || extract::extract(kind, &bytes))
        .await
        .map_err(|_| unreadable("the document reader stopped on this file".to_owned()))?
        .map_err(|e| unreadable(e.to_string()))?;
    let spec = ProductSpec {
        name: current.name,
        description: text,
        source_file_name: Some(base_name(file_name)),
    };
    check(&spec).map_err(|e| match e {
        // The text is the file's: report it under `file`, where the client can act.
        CatalogError::Invalid(problems) => CatalogError::Invalid(
            problems
                .into_iter()
                .map(|p| SpecProblem {
                    key: "file".to_owned(),
                    message: format!("the file's text: {}", p.message),
                })
                .collect(),
        ),
        other => other,
    })?;
    store
        .update_product(ws, id, &spec, Utc::now())
        .await?
        .ok_or_else(|| not_found(id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_uploaded_file_is_named_by_its_last_path_component() {
        assert_eq!(base_name("C:\\Users\\jo\\Brochure.pdf"), "Brochure.pdf");
        assert_eq!(base_name("../../etc/x.txt"), "x.txt");
        assert_eq!(base_name("a\nb.txt"), "ab.txt");
    }
}
