//! A lead's persona: what a model made of the person from their role, company and website, in
//! the shape the seed defines (`title`, `industry`, `painPoints`, `priorities`,
//! `icebreakerHooks`, `openingLines`, `companyContext`, `keyTakeaways`). Generated once per lead
//! and reused by every email, where templates reach it as `persona.painPoints[0]`.
//!
//! [`Persona::schema`] is the JSON Schema asked of the model; [`Persona::from_model`] holds its
//! answer to that schema and to the limits below, naming the first field at fault, so an answer
//! that is not a persona is an error and never stored.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Most items in one list field.
pub const MAX_PERSONA_ITEMS: usize = 10;
/// Longest item of a list, or `title` and `industry`, in characters.
pub const MAX_PERSONA_ITEM_CHARS: usize = 500;
/// Longest `companyContext`, in characters.
pub const MAX_PERSONA_CONTEXT_CHARS: usize = 2_000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Persona {
    /// The person's role as the model understands it.
    pub title: String,
    pub industry: String,
    pub pain_points: Vec<String>,
    pub priorities: Vec<String>,
    pub icebreaker_hooks: Vec<String>,
    pub opening_lines: Vec<String>,
    /// What the company does, in a few sentences.
    pub company_context: String,
    pub key_takeaways: Vec<String>,
}

/// The field of a model's answer at fault, and how.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("persona field {field}: {problem}")]
pub struct PersonaFieldError {
    /// As in the JSON: `painPoints[2]`, `title`.
    pub field: String,
    pub problem: String,
}

const TEXT_FIELDS: [&str; 3] = ["title", "industry", "companyContext"];
const LIST_FIELDS: [&str; 5] = [
    "painPoints",
    "priorities",
    "icebreakerHooks",
    "openingLines",
    "keyTakeaways",
];

impl Persona {
    /// The JSON Schema of the answer: every field required, nothing else allowed (the subset
    /// OpenAI strict mode, Anthropic tools and Gemini all accept).
    pub fn schema() -> Value {
        let mut properties = Map::new();
        for field in TEXT_FIELDS {
            properties.insert(field.into(), serde_json::json!({"type": "string"}));
        }
        for field in LIST_FIELDS {
            properties.insert(
                field.into(),
                serde_json::json!({"type": "array", "items": {"type": "string"}}),
            );
        }
        let required: Vec<&str> = TEXT_FIELDS
            .iter()
            .chain(LIST_FIELDS.iter())
            .copied()
            .collect();
        serde_json::json!({
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false,
        })
    }

    /// A model's answer as a persona: every field present with its type, texts not empty and
    /// within their length, lists of 1 to [`MAX_PERSONA_ITEMS`] non-empty texts. Texts are
    /// trimmed. The first defect is the error.
    pub fn from_model(answer: &Map<String, Value>) -> Result<Self, PersonaFieldError> {
        if let Some(unknown) = answer
            .keys()
            .find(|k| !TEXT_FIELDS.contains(&k.as_str()) && !LIST_FIELDS.contains(&k.as_str()))
        {
            return Err(fault(unknown, "is not a persona field"));
        }
        let text = |field: &str| {
            let limit = if field == "companyContext" {
                MAX_PERSONA_CONTEXT_CHARS
            } else {
                MAX_PERSONA_ITEM_CHARS
            };
            match answer.get(field) {
                None => Err(fault(field, "is missing")),
                Some(Value::String(s)) => checked_text(field, s, limit),
                Some(_) => Err(fault(field, "is not a string")),
            }
        };
        let list = |field: &str| match answer.get(field) {
            None => Err(fault(field, "is missing")),
            Some(Value::Array(items)) => {
                if items.is_empty() {
                    return Err(fault(field, "is empty"));
                }
                if items.len() > MAX_PERSONA_ITEMS {
                    return Err(fault(
                        field,
                        &format!("has {} items, more than {MAX_PERSONA_ITEMS}", items.len()),
                    ));
                }
                items
                    .iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let name = format!("{field}[{i}]");
                        match item {
                            Value::String(s) => checked_text(&name, s, MAX_PERSONA_ITEM_CHARS),
                            _ => Err(fault(&name, "is not a string")),
                        }
                    })
                    .collect()
            }
            Some(_) => Err(fault(field, "is not a list")),
        };
        Ok(Self {
            title: text("title")?,
            industry: text("industry")?,
            pain_points: list("painPoints")?,
            priorities: list("priorities")?,
            icebreaker_hooks: list("icebreakerHooks")?,
            opening_lines: list("openingLines")?,
            company_context: text("companyContext")?,
            key_takeaways: list("keyTakeaways")?,
        })
    }

    /// The JSON stored on the lead and handed to templates and the email prompt.
    pub fn to_json(&self) -> Value {
        // Serialising a struct of strings and lists of strings cannot fail.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// A lead with what its persona needs and what it has: the row, the profile text a user gave,
/// and the stored persona with where it came from, or the last failure.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LeadPersona {
    pub lead: super::Lead,
    pub profile_text: Option<String>,
    pub generated_at: Option<chrono::DateTime<chrono::Utc>>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub cost_usd: Option<f64>,
    /// Why the last generation failed; cleared by a success.
    pub error: Option<String>,
}

impl LeadPersona {
    /// True when there is something to build a persona from: a website, a LinkedIn URL or a
    /// profile text.
    pub fn has_inputs(&self) -> bool {
        let given = |v: &Option<String>| v.as_deref().is_some_and(|v| !v.trim().is_empty());
        given(&self.lead.website) || given(&self.lead.linkedin) || given(&self.profile_text)
    }
}

/// What a stored persona cost: provider, model and USD of the call that made it.
#[derive(Clone, Debug, PartialEq)]
pub struct PersonaOrigin {
    pub provider: String,
    pub model: String,
    pub cost_usd: f64,
}

fn fault(field: &str, problem: &str) -> PersonaFieldError {
    PersonaFieldError {
        field: field.to_owned(),
        problem: problem.to_owned(),
    }
}

fn checked_text(field: &str, value: &str, limit: usize) -> Result<String, PersonaFieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(fault(field, "is empty"));
    }
    let chars = value.chars().count();
    if chars > limit {
        return Err(fault(
            field,
            &format!("has {chars} characters, more than {limit}"),
        ));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests;
