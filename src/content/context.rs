//! `RenderContext`: the variables a step's templates (and the LLM prompt) see, built from store
//! rows so the caller passes rows and nothing else.
//!
//! A value that is missing, or empty, is left out rather than set to null or "": printing it then
//! fails the step with "undefined variable" instead of sending "Hi ,". Template authors who want
//! a fallback say so: `{{ first_name | default("there") }}` or `{% if company %}…{% endif %}`.

use crate::domain::{Campaign, InsightFacts, Lead, Mailbox, Product};
use std::collections::BTreeMap;

use serde::{Serialize, Serializer};

/// The lead's own fields, under `lead.` and repeated at the top level (`{{ first_name }}`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LeadVars {
    pub email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// First and last name joined; present when either is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub linkedin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ProductVars {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CampaignVars {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub goal: Option<String>,
    /// Words and phrases the campaign's emails must not contain (checked by the quality
    /// gates, not shown to templates).
    #[serde(skip)]
    pub banned_phrases: Vec<String>,
}

/// The mailbox the email goes out from.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SenderVars {
    pub address: String,
    /// The mailbox's from name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The first word of the from name, for sign-offs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
}

/// Everything a template can refer to. Serialises to the template's root object.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RenderContext {
    pub lead: LeadVars,
    /// Imported columns without a field of their own, by original header and by a snake_case
    /// alias (`"Company Size"` is also `company_size`). Empty values are left out.
    pub custom: BTreeMap<String, String>,
    /// The lead's persona JSON with null members removed; `None` when there is none.
    pub persona: Option<serde_json::Value>,
    /// What is known about the lead's company (`insight.summary`, `insight.facts`, …), when
    /// company insights are enabled and one could be had.
    pub insight: Option<InsightFacts>,
    pub product: Option<ProductVars>,
    pub campaign: CampaignVars,
    pub sender: SenderVars,
    /// 1-based position of the step in the sequence.
    pub step: u32,
}

/// A lead's own fields, under `lead.` and, as shortcuts, at the top level.
pub const LEAD_FIELDS: &[&str] = &[
    "email",
    "first_name",
    "last_name",
    "full_name",
    "title",
    "company",
    "website",
    "linkedin",
    "phone",
    "timezone",
];

/// The variable names a template may use at the top level besides [`LEAD_FIELDS`]; `validate`
/// flags others as typos.
pub const TOP_LEVEL_NAMES: &[&str] = &[
    "lead", "custom", "persona", "insight", "product", "campaign", "sender", "step",
];

impl RenderContext {
    /// The context for sending `step_order` of `campaign` to `lead` from `mailbox`.
    pub fn new(
        lead: &Lead,
        mailbox: &Mailbox,
        campaign: &Campaign,
        product: Option<&Product>,
        step_order: u32,
    ) -> Self {
        let first_name = present(lead.first_name.as_deref());
        let last_name = present(lead.last_name.as_deref());
        let full_name = match (&first_name, &last_name) {
            (Some(f), Some(l)) => Some(format!("{f} {l}")),
            (Some(one), None) | (None, Some(one)) => Some(one.clone()),
            (None, None) => None,
        };
        let sender_name = present(Some(&mailbox.from_name));
        Self {
            lead: LeadVars {
                email: lead.email.clone(),
                first_name,
                last_name,
                full_name,
                title: present(lead.title.as_deref()),
                company: present(lead.company.as_deref()),
                website: present(lead.website.as_deref()),
                linkedin: present(lead.linkedin.as_deref()),
                phone: present(lead.phone.as_deref()),
                timezone: present(lead.timezone.as_deref()),
            },
            custom: custom_vars(&lead.custom),
            persona: lead
                .persona
                .clone()
                .map(strip_nulls)
                .filter(|p| !p.is_null()),
            insight: None,
            product: product.map(|p| ProductVars {
                name: p.name.clone(),
                description: present(Some(&p.description)),
            }),
            campaign: CampaignVars {
                name: campaign.name.clone(),
                goal: present(Some(&campaign.goal)),
                banned_phrases: campaign.rules.banned_phrases.clone(),
            },
            sender: SenderVars {
                address: mailbox.address.clone(),
                first_name: sender_name
                    .as_deref()
                    .and_then(|n| n.split_whitespace().next())
                    .map(str::to_owned),
                name: sender_name,
                signature: present(Some(&mailbox.signature)),
            },
            step: step_order,
        }
    }
}

impl Serialize for RenderContext {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Root<'a> {
            lead: &'a LeadVars,
            #[serde(flatten)]
            aliases: &'a LeadVars,
            custom: &'a BTreeMap<String, String>,
            #[serde(skip_serializing_if = "Option::is_none")]
            persona: &'a Option<serde_json::Value>,
            #[serde(skip_serializing_if = "Option::is_none")]
            insight: &'a Option<InsightFacts>,
            #[serde(skip_serializing_if = "Option::is_none")]
            product: &'a Option<ProductVars>,
            campaign: &'a CampaignVars,
            sender: &'a SenderVars,
            step: u32,
        }
        Root {
            lead: &self.lead,
            aliases: &self.lead,
            custom: &self.custom,
            persona: &self.persona,
            insight: &self.insight,
            product: &self.product,
            campaign: &self.campaign,
            sender: &self.sender,
            step: self.step,
        }
        .serialize(serializer)
    }
}

/// `Some(trimmed)` unless the value is missing or blank.
fn present(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Non-empty custom values under their header, plus a snake_case alias that does not collide.
fn custom_vars(custom: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut vars: BTreeMap<String, String> = custom
        .iter()
        .filter_map(|(k, v)| present(Some(v)).map(|v| (k.clone(), v)))
        .collect();
    let aliases: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (snake_case(k), v.clone()))
        .filter(|(alias, _)| !alias.is_empty())
        .collect();
    for (alias, value) in aliases {
        vars.entry(alias).or_insert(value);
    }
    vars
}

/// `"Company Size (FTE)"` → `company_size_fte`: usable as `custom.company_size_fte`.
pub fn snake_case(header: &str) -> String {
    let mut out = String::with_capacity(header.len());
    for c in header.trim().chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out
}

/// Removes null members (recursively) so that `persona.x` is undefined, not printed as "none".
fn strip_nulls(value: serde_json::Value) -> serde_json::Value {
    match value {
        serde_json::Value::Object(map) => serde_json::Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        serde_json::Value::Array(items) => {
            serde_json::Value::Array(items.into_iter().map(strip_nulls).collect())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_become_snake_case_aliases() {
        assert_eq!(snake_case("Company Size (FTE)"), "company_size_fte");
        assert_eq!(snake_case("  industry "), "industry");
        assert_eq!(snake_case("!!"), "");
    }

    #[test]
    fn blank_custom_values_are_left_out_and_aliases_do_not_overwrite() {
        let custom = BTreeMap::from([
            ("Industry".to_owned(), "SaaS".to_owned()),
            ("industry".to_owned(), "Fintech".to_owned()),
            ("Notes".to_owned(), "  ".to_owned()),
        ]);
        let vars = custom_vars(&custom);
        assert_eq!(vars.get("industry").map(String::as_str), Some("Fintech"));
        assert_eq!(vars.get("Industry").map(String::as_str), Some("SaaS"));
        assert!(!vars.contains_key("Notes") && !vars.contains_key("notes"));
    }

    #[test]
    fn null_persona_members_are_removed() {
        let persona = serde_json::json!({"role": null, "pains": [{"a": null, "b": 1}]});
        assert_eq!(
            strip_nulls(persona),
            serde_json::json!({"pains": [{"b": 1}]})
        );
    }
}
