//! `ApplyReport`: what an apply did (or, on a dry run, would do), one line per object, or a
//! single "No changes" sentence when the store already matches the file.

use crate::domain::Change;
use std::fmt;

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Workspace,
    Product,
    Mailbox,
    Campaign,
}

/// One object's outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ObjectReport {
    pub kind: ObjectKind,
    /// The workspace or product or campaign name, or the mailbox address.
    pub name: String,
    pub change: Change,
    /// For `Updated`: the keys that differ (`step 2`, `smtp password`), never their values.
    pub changed: Vec<String>,
}

impl ObjectReport {
    /// `workspace acme`, `mailbox a@b.test`, `campaign "Q4"`: how messages name the object.
    pub fn label(&self) -> String {
        match self.kind {
            ObjectKind::Workspace => format!("workspace {}", self.name),
            ObjectKind::Mailbox => format!("mailbox {}", self.name),
            ObjectKind::Product => format!("product {:?}", self.name),
            ObjectKind::Campaign => format!("campaign {:?}", self.name),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    pub workspace: String,
    /// True when nothing was written.
    pub dry_run: bool,
    /// Workspace first, then products, mailboxes and campaigns in file order.
    pub objects: Vec<ObjectReport>,
}

impl ApplyReport {
    pub fn count(&self, change: Change) -> usize {
        self.objects.iter().filter(|o| o.change == change).count()
    }

    pub fn is_unchanged(&self) -> bool {
        self.count(Change::Unchanged) == self.objects.len()
    }

    fn count_kind(&self, kind: ObjectKind, one: &str, many: &str) -> String {
        let n = self.objects.iter().filter(|o| o.kind == kind).count();
        format!("{n} {}", if n == 1 { one } else { many })
    }
}

impl fmt::Display for ApplyReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_unchanged() {
            return writeln!(
                f,
                "No changes: workspace {} is up to date ({}, {}, {}).",
                self.workspace,
                self.count_kind(ObjectKind::Mailbox, "mailbox", "mailboxes"),
                self.count_kind(ObjectKind::Product, "product", "products"),
                self.count_kind(ObjectKind::Campaign, "campaign", "campaigns"),
            );
        }
        for object in &self.objects {
            let verb = match (object.change, self.dry_run) {
                (Change::Created, false) => "created",
                (Change::Created, true) => "would be created",
                (Change::Updated, false) => "updated",
                (Change::Updated, true) => "would be updated",
                (Change::Unchanged, _) => "unchanged",
            };
            write!(f, "{}: {verb}", object.label())?;
            if !object.changed.is_empty() {
                write!(f, " ({})", object.changed.join(", "))?;
            }
            writeln!(f)?;
        }
        let (created, updated, unchanged) = (
            self.count(Change::Created),
            self.count(Change::Updated),
            self.count(Change::Unchanged),
        );
        match self.dry_run {
            false => writeln!(
                f,
                "Applied: {created} created, {updated} updated, {unchanged} unchanged."
            ),
            true => writeln!(
                f,
                "Dry run, nothing was written: {created} to create, {updated} to update, {unchanged} unchanged."
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(kind: ObjectKind, name: &str, change: Change, changed: &[&str]) -> ObjectReport {
        ObjectReport {
            kind,
            name: name.into(),
            change,
            changed: changed.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn an_unchanged_workspace_is_reported_in_one_sentence_with_counts() {
        let report = ApplyReport {
            workspace: "acme".into(),
            dry_run: false,
            objects: vec![
                object(ObjectKind::Workspace, "acme", Change::Unchanged, &[]),
                object(ObjectKind::Product, "Widget", Change::Unchanged, &[]),
                object(ObjectKind::Mailbox, "a@acme.test", Change::Unchanged, &[]),
                object(ObjectKind::Mailbox, "b@acme.test", Change::Unchanged, &[]),
                object(ObjectKind::Campaign, "Q4", Change::Unchanged, &[]),
            ],
        };
        assert_eq!(
            report.to_string(),
            "No changes: workspace acme is up to date (2 mailboxes, 1 product, 1 campaign).\n"
        );
    }

    #[test]
    fn changes_are_listed_one_line_per_object_with_the_keys_that_differ() {
        let report = ApplyReport {
            workspace: "acme".into(),
            dry_run: false,
            objects: vec![
                object(ObjectKind::Workspace, "acme", Change::Unchanged, &[]),
                object(ObjectKind::Mailbox, "a@acme.test", Change::Created, &[]),
                object(
                    ObjectKind::Campaign,
                    "Q4",
                    Change::Updated,
                    &["step 2", "window"],
                ),
            ],
        };
        assert_eq!(
            report.to_string(),
            "workspace acme: unchanged\nmailbox a@acme.test: created\n\
             campaign \"Q4\": updated (step 2, window)\nApplied: 1 created, 1 updated, 1 unchanged.\n"
        );
    }

    #[test]
    fn a_dry_run_says_what_would_happen() {
        let report = ApplyReport {
            workspace: "acme".into(),
            dry_run: true,
            objects: vec![object(ObjectKind::Workspace, "acme", Change::Created, &[])],
        };
        assert!(
            report
                .to_string()
                .starts_with("workspace acme: would be created\nDry run")
        );
    }
}
