//! Adding, editing and deleting single leads (the API's `/leads`). The CSV importer adds leads
//! in bulk through the same `insert_leads`; both clean values the same way ([`clean_field`]:
//! no control characters, whitespace collapsed) and accept the same time zones, so a lead made
//! by hand is held to what a lead from a file is.
//!
//! Deleting: a lead that was ever sent to keeps its row. Its sends are the email log (what went
//! out, when, from which mailbox, the server's answer), which a delete must not erase as a side
//! effect; removing a person's data is a privacy erase, which keeps a salted hash so the address
//! is never mailed again. A lead never contacted is deleted with its enrolments.

use std::collections::BTreeMap;

use chrono::Utc;

use crate::domain::{
    EmailAddress, Lead, LeadDeletion, LeadId, LeadInsert, LeadRecord, LeadUpdate, NewLead,
    WorkspaceId,
};
use crate::import::{clean_field, parse_timezone};
use crate::store::{Store, StoreError};

/// Longest value of a standard field, in characters.
pub const MAX_FIELD_CHARS: usize = 1_000;
/// Most custom fields on one lead.
pub const MAX_CUSTOM_FIELDS: usize = 100;
/// Longest custom field name, in characters.
pub const MAX_CUSTOM_NAME_CHARS: usize = 100;
/// Longest custom field value, in characters.
pub const MAX_CUSTOM_VALUE_CHARS: usize = 5_000;

/// Attempts at an edit that keeps finding the lead changed by someone else.
const EDIT_ATTEMPTS: usize = 3;

/// One field at fault, named as the caller named it (`email`, `custom.Fleet Size`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvalidField {
    pub field: String,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LeadError {
    #[error("the lead has invalid fields")]
    Invalid(Vec<InvalidField>),
    #[error("a lead with the email {email} exists already (lead {id})")]
    Exists { email: String, id: LeadId },
    #[error("lead {0} not found")]
    NotFound(LeadId),
    #[error(
        "lead {id} has {sends} send(s) in the email log, which deleting it would erase; to \
         remove this person's data use a privacy erase, which also keeps the address from being \
         mailed again"
    )]
    HasSends { id: LeadId, sends: u64 },
    #[error("lead {0} kept changing while it was being edited; try again")]
    Busy(LeadId),
    #[error("lead {0} is being sent a message right now; try again in a minute")]
    InFlight(LeadId),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A lead's standard fields as a caller gives them: raw text, checked by [`create`].
#[derive(Clone, Debug, Default)]
pub struct LeadInput {
    pub email: String,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub title: Option<String>,
    pub company: Option<String>,
    pub website: Option<String>,
    pub linkedin: Option<String>,
    pub phone: Option<String>,
    pub timezone: Option<String>,
    pub custom: BTreeMap<String, String>,
}

/// A partial edit. `None` leaves a field as it is; `Some(None)` clears it; `Some(Some(v))` sets
/// it. A custom field given `None` is removed; custom fields not named are kept.
#[derive(Clone, Debug, Default)]
pub struct LeadPatch {
    pub email: Option<String>,
    pub first_name: Option<Option<String>>,
    pub last_name: Option<Option<String>>,
    pub title: Option<Option<String>>,
    pub company: Option<Option<String>>,
    pub website: Option<Option<String>>,
    pub linkedin: Option<Option<String>>,
    pub phone: Option<Option<String>>,
    pub timezone: Option<Option<String>>,
    pub custom: BTreeMap<String, Option<String>>,
}

/// Collects the faults of one input, so a caller hears of all of them at once.
#[derive(Default)]
struct Checks(Vec<InvalidField>);

impl Checks {
    fn fail(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.0.push(InvalidField {
            field: field.into(),
            message: message.into(),
        });
    }

    fn email(&mut self, value: &str) -> Option<EmailAddress> {
        match EmailAddress::parse(&clean_field(value)) {
            Ok(email) => Some(email),
            Err(e) => {
                self.fail("email", e.to_string());
                None
            }
        }
    }

    /// A cleaned text value; empty is no value.
    fn text(&mut self, field: &str, value: Option<&str>) -> Option<String> {
        let value = clean_field(value?);
        if value.chars().count() > MAX_FIELD_CHARS {
            self.fail(field, format!("longer than {MAX_FIELD_CHARS} characters"));
            return None;
        }
        (!value.is_empty()).then_some(value)
    }

    fn timezone(&mut self, value: Option<&str>) -> Option<String> {
        let value = clean_field(value?);
        if value.is_empty() {
            return None;
        }
        match parse_timezone(&value) {
            Some(name) => Some(name.to_owned()),
            None => {
                self.fail(
                    "timezone",
                    format!("unknown time zone {value:?} (use an IANA name such as Europe/Paris)"),
                );
                None
            }
        }
    }

    /// Sets (or, for `None` or an empty value, removes) one custom field of `custom`.
    fn custom(&mut self, custom: &mut BTreeMap<String, String>, name: &str, value: Option<&str>) {
        let key = clean_field(name);
        let field = format!("custom.{name}");
        if key.is_empty() {
            self.fail(field, "a custom field needs a name");
            return;
        }
        if key.chars().count() > MAX_CUSTOM_NAME_CHARS {
            self.fail(
                field,
                format!("the name is longer than {MAX_CUSTOM_NAME_CHARS} characters"),
            );
            return;
        }
        let value = value.map(clean_field).unwrap_or_default();
        if value.chars().count() > MAX_CUSTOM_VALUE_CHARS {
            self.fail(
                field,
                format!("longer than {MAX_CUSTOM_VALUE_CHARS} characters"),
            );
        } else if value.is_empty() {
            custom.remove(&key);
        } else {
            custom.insert(key, value);
        }
    }

    fn finish<T>(self, value: T) -> Result<T, LeadError> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(LeadError::Invalid(self.0))
        }
    }
}

fn check_custom_count(checks: &mut Checks, custom: &BTreeMap<String, String>) {
    if custom.len() > MAX_CUSTOM_FIELDS {
        checks.fail(
            "custom",
            format!("more than {MAX_CUSTOM_FIELDS} custom fields"),
        );
    }
}

/// The lead `input` describes, or every field at fault.
pub fn validate(input: &LeadInput) -> Result<NewLead, LeadError> {
    let mut checks = Checks::default();
    let mut lead = NewLead {
        email: checks.email(&input.email),
        first_name: checks.text("first_name", input.first_name.as_deref()),
        last_name: checks.text("last_name", input.last_name.as_deref()),
        title: checks.text("title", input.title.as_deref()),
        company: checks.text("company", input.company.as_deref()),
        website: checks.text("website", input.website.as_deref()),
        linkedin: checks.text("linkedin", input.linkedin.as_deref()),
        phone: checks.text("phone", input.phone.as_deref()),
        timezone: checks.timezone(input.timezone.as_deref()),
        custom: BTreeMap::new(),
    };
    for (name, value) in &input.custom {
        checks.custom(&mut lead.custom, name, Some(value));
    }
    check_custom_count(&mut checks, &lead.custom);
    checks.finish(lead)
}

/// `lead` with `patch` applied; fields the patch leaves alone are kept as stored.
pub fn patched(lead: &Lead, patch: &LeadPatch) -> Result<NewLead, LeadError> {
    let mut checks = Checks::default();
    let email = match &patch.email {
        Some(email) => checks.email(email),
        None => match EmailAddress::parse(&lead.email) {
            Ok(email) => Some(email),
            Err(e) => {
                checks.fail(
                    "email",
                    format!("the stored email is invalid ({e}); set a new one"),
                );
                None
            }
        },
    };
    let mut field =
        |name: &str, change: &Option<Option<String>>, kept: &Option<String>| match change {
            Some(value) => checks.text(name, value.as_deref()),
            None => kept.clone(),
        };
    let mut next = NewLead {
        email,
        first_name: field("first_name", &patch.first_name, &lead.first_name),
        last_name: field("last_name", &patch.last_name, &lead.last_name),
        title: field("title", &patch.title, &lead.title),
        company: field("company", &patch.company, &lead.company),
        website: field("website", &patch.website, &lead.website),
        linkedin: field("linkedin", &patch.linkedin, &lead.linkedin),
        phone: field("phone", &patch.phone, &lead.phone),
        timezone: None,
        custom: lead.custom.clone(),
    };
    next.timezone = match &patch.timezone {
        Some(value) => checks.timezone(value.as_deref()),
        None => lead.timezone.clone(),
    };
    for (name, value) in &patch.custom {
        checks.custom(&mut next.custom, name, value.as_deref());
    }
    check_custom_count(&mut checks, &next.custom);
    checks.finish(next)
}

/// The fields of a stored lead, as `insert_leads` and `update_lead` take them.
fn fields_of(lead: &Lead) -> NewLead {
    NewLead {
        email: EmailAddress::parse(&lead.email).ok(),
        first_name: lead.first_name.clone(),
        last_name: lead.last_name.clone(),
        title: lead.title.clone(),
        company: lead.company.clone(),
        website: lead.website.clone(),
        linkedin: lead.linkedin.clone(),
        phone: lead.phone.clone(),
        timezone: lead.timezone.clone(),
        custom: lead.custom.clone(),
    }
}

/// Adds one lead. `Exists` when the workspace has its email already (case-insensitively).
pub async fn create(
    store: &dyn Store,
    ws: WorkspaceId,
    input: &LeadInput,
) -> Result<LeadRecord, LeadError> {
    let lead = validate(input)?;
    let inserted = store.insert_leads(ws, std::slice::from_ref(&lead)).await?;
    let id = match inserted.first() {
        Some(LeadInsert::Inserted(id)) => *id,
        Some(LeadInsert::Existing(id)) => {
            return Err(LeadError::Exists {
                email: input.email.trim().to_owned(),
                id: *id,
            });
        }
        None => {
            return Err(StoreError::Conflict("the store inserted nothing".into()).into());
        }
    };
    store
        .lead_by_id(ws, id)
        .await?
        .ok_or(LeadError::NotFound(id))
}

/// Edits a lead. An edit that changes nothing writes nothing (and keeps `updated_at`).
pub async fn update(
    store: &dyn Store,
    ws: WorkspaceId,
    id: LeadId,
    patch: &LeadPatch,
) -> Result<LeadRecord, LeadError> {
    for _ in 0..EDIT_ATTEMPTS {
        let current = store
            .lead_by_id(ws, id)
            .await?
            .ok_or(LeadError::NotFound(id))?;
        let next = patched(&current.lead, patch)?;
        if next == fields_of(&current.lead) {
            return Ok(current);
        }
        // Read, merge, write only if nobody wrote in between: two edits of different fields
        // at once must not undo each other.
        match store
            .update_lead(ws, id, &next, current.updated_at, Utc::now())
            .await?
        {
            LeadUpdate::Updated(record) => return Ok(*record),
            LeadUpdate::NotFound => return Err(LeadError::NotFound(id)),
            LeadUpdate::Stale => continue,
        }
    }
    Err(LeadError::Busy(id))
}

/// Deletes a lead that was never sent to, with its enrolments.
pub async fn delete(store: &dyn Store, ws: WorkspaceId, id: LeadId) -> Result<(), LeadError> {
    match store.delete_lead(ws, id).await? {
        LeadDeletion::Deleted => Ok(()),
        LeadDeletion::NotFound => Err(LeadError::NotFound(id)),
        LeadDeletion::HasSends { sends } => Err(LeadError::HasSends { id, sends }),
        LeadDeletion::InFlight => Err(LeadError::InFlight(id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(email: &str) -> LeadInput {
        LeadInput {
            email: email.to_owned(),
            ..LeadInput::default()
        }
    }

    fn fields(e: LeadError) -> Vec<String> {
        match e {
            LeadError::Invalid(fields) => fields.into_iter().map(|f| f.field).collect(),
            other => panic!("expected invalid fields, got {other}"),
        }
    }

    #[test]
    fn values_are_cleaned_as_the_importer_cleans_them() {
        let mut given = input("  Ann@Acme.example ");
        given.first_name = Some("Ann\r\nBcc: x@evil".into());
        given.company = Some("   ".into());
        given.timezone = Some("europe/paris".into());
        given.custom = BTreeMap::from([("Fleet  Size".into(), " 120 ".into())]);

        let lead = validate(&given).unwrap();

        assert_eq!(lead.email.unwrap().as_str(), "Ann@Acme.example");
        assert_eq!(lead.first_name.as_deref(), Some("Ann Bcc: x@evil"));
        assert_eq!(lead.company, None);
        assert_eq!(lead.timezone.as_deref(), Some("Europe/Paris"));
        assert_eq!(
            lead.custom.get("Fleet Size").map(String::as_str),
            Some("120")
        );
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let mut given = input("not an address");
        given.timezone = Some("Mars/Olympus".into());
        given.title = Some("x".repeat(MAX_FIELD_CHARS + 1));
        given.custom = BTreeMap::from([(" ".into(), "v".into())]);

        let named = fields(validate(&given).unwrap_err());

        assert_eq!(named, ["email", "title", "timezone", "custom. "]);
    }

    fn stored() -> Lead {
        Lead {
            id: LeadId::new(),
            workspace_id: WorkspaceId::new(),
            email: "ann@acme.example".into(),
            first_name: Some("Ann".into()),
            last_name: Some("Lee".into()),
            title: None,
            company: Some("Acme".into()),
            website: None,
            linkedin: None,
            phone: None,
            timezone: None,
            custom: BTreeMap::from([("a".into(), "1".into()), ("b".into(), "2".into())]),
            persona: None,
            unsubscribed_at: None,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn a_patch_sets_clears_and_keeps_fields() {
        let patch = LeadPatch {
            first_name: Some(Some("Anna".into())),
            company: Some(None),
            custom: BTreeMap::from([("a".into(), None), ("c".into(), Some("3".into()))]),
            ..LeadPatch::default()
        };

        let next = patched(&stored(), &patch).unwrap();

        assert_eq!(next.first_name.as_deref(), Some("Anna"));
        assert_eq!(next.last_name.as_deref(), Some("Lee"));
        assert_eq!(next.company, None);
        assert_eq!(
            next.custom,
            BTreeMap::from([("b".into(), "2".into()), ("c".into(), "3".into())])
        );
        assert_eq!(next.email.unwrap().as_str(), "ann@acme.example");
    }

    #[test]
    fn an_empty_patch_changes_nothing() {
        let lead = stored();
        assert_eq!(
            patched(&lead, &LeadPatch::default()).unwrap(),
            fields_of(&lead)
        );
    }
}
