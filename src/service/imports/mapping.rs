//! Mapping proposals: when the header alias table leaves columns of a file unplaced, the
//! configured model proposes a lead field (or `custom`) for each, from the header and up to
//! [`SAMPLE_ROWS`] rows. The proposal is reported with the import; only an import told to
//! accept it (`--accept-mapping`, the API's `accept_mapping` part) fills fields from it.
//!
//! Only the unplaced columns' values leave the machine, each clipped. Asking is bounded by the
//! provider's timeout, and any failure (no key, provider down, an answer that is not a mapping)
//! is logged and leaves the import as it would be without a proposal. Each question is checked
//! against the workspace's daily budget (a spent one leaves the proposal out) and recorded in
//! `api_usage` (purpose `header_mapping`).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::ai::{AiSettings, CallUsage, JsonRequest, Models, ProviderName, Purpose};
use crate::domain::{MappingProposal, ProposedMapping, UsageOutcome, WorkspaceId};
use crate::import::{Field, HeaderMap, peek};
use crate::service::usage::{CallSite, UsageRecorder};

/// Rows of the file shown to the model.
pub const SAMPLE_ROWS: usize = 5;
/// Longest sample value sent, in characters.
const MAX_VALUE_CHARS: usize = 80;

/// `[imports]`: proposals for columns the header aliases do not place. `Default` matches
/// `config/default.toml`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MappingSettings {
    /// Ask the model for a mapping of the columns no alias places. The unplaced columns'
    /// header and first rows are sent to the provider.
    pub propose_mapping: bool,
    /// The `[ai.*]` provider asked.
    pub provider: ProviderName,
    /// The model asked; empty uses the provider's configured model.
    pub model: String,
}

impl Default for MappingSettings {
    fn default() -> Self {
        Self {
            propose_mapping: false,
            provider: ProviderName::Openai,
            model: String::new(),
        }
    }
}

/// A proposal, the (column, field) overrides it stands for, and what asking cost.
#[derive(Clone, Debug)]
pub struct Proposed {
    pub proposal: MappingProposal,
    pub overrides: Vec<(usize, Field)>,
    pub usage: CallUsage,
}

/// Asks the configured model for mapping proposals.
pub struct Proposer {
    settings: MappingSettings,
    models: Arc<Models>,
    wait: Duration,
    usage: Arc<UsageRecorder>,
}

impl Proposer {
    /// `None` unless `imports.propose_mapping` is on.
    pub fn new(
        settings: &MappingSettings,
        models: Arc<Models>,
        ai: &AiSettings,
        usage: Arc<UsageRecorder>,
    ) -> Option<Self> {
        settings.propose_mapping.then(|| Self {
            settings: settings.clone(),
            models,
            wait: ai.provider(settings.provider).timeout.as_duration(),
            usage,
        })
    }

    /// The proposal for the CSV file at `path`; `None` when every column is placed or on any
    /// failure (logged) or when workspace `ws`'s daily budget is spent.
    pub async fn propose(&self, ws: WorkspaceId, path: &Path) -> Option<Proposed> {
        let path = path.to_owned();
        let peeked = tokio::task::spawn_blocking(move || {
            std::fs::File::open(&path)
                .map_err(|e| e.to_string())
                .and_then(|file| peek(file, SAMPLE_ROWS).map_err(|e| e.to_string()))
        })
        .await;
        let (headers, rows) = match peeked {
            Ok(Ok(peeked)) => peeked,
            Ok(Err(error)) => {
                tracing::debug!(error = %error, "No mapping proposal: the file is unreadable.");
                return None;
            }
            Err(_) => return None,
        };
        let unplaced = HeaderMap::new(&headers).unplaced();
        if unplaced.is_empty() {
            return None;
        }
        let site = CallSite::for_purpose(ws, Purpose::HeaderMapping);
        if let Err(spent) = self.usage.allowance(&site).await {
            tracing::warn!(reason = %spent, "No mapping proposal: a daily budget is spent.");
            return None;
        }
        let asked = self.ask(&site, &headers, &rows, &unplaced);
        match tokio::time::timeout(self.wait, asked).await {
            Ok(Ok(proposed)) => Some(proposed),
            Ok(Err(error)) => {
                tracing::warn!(error = %error, "No mapping proposal: the model failed.");
                None
            }
            Err(_) => {
                tracing::warn!("No mapping proposal: the model did not answer in time.");
                None
            }
        }
    }

    /// Asks once and records the call in `api_usage`.
    async fn ask(
        &self,
        site: &CallSite,
        headers: &[String],
        rows: &[Vec<String>],
        unplaced: &[usize],
    ) -> Result<Proposed, crate::content::ContentError> {
        let model = Some(self.settings.model.trim()).filter(|m| !m.is_empty());
        let model = self.models.model(self.settings.provider, model)?;
        let started = Instant::now();
        let answer = match model.complete_json(&request(headers, rows, unplaced)).await {
            Ok(answer) => answer,
            Err(e) => {
                self.usage
                    .record_failure(site, model.provider(), &e, started.elapsed())
                    .await;
                return Err(e);
            }
        };
        self.usage
            .record_call(site, &answer.usage, UsageOutcome::Ok, None)
            .await;
        let (mappings, overrides) = read_answer(&answer.value, headers, unplaced);
        Ok(Proposed {
            proposal: MappingProposal {
                mappings,
                accepted: false,
                provider: answer.usage.provider.to_owned(),
                model: answer.usage.model.clone(),
            },
            overrides,
            usage: answer.usage,
        })
    }
}

const SYSTEM_PROMPT: &str = "\
You map the columns of a CSV file of sales leads to lead fields.

The user message is JSON: the file's whole header, the columns to map, and a few rows of those \
columns' values. The header may be in any language.

For each column to map, answer the lead field it holds: email (an email address), first_name, \
last_name, company (the employer's name), title (job title), website (the company's site or \
domain), linkedin (a LinkedIn URL), phone, timezone (an IANA zone) - or custom when it is none of \
these. Judge by header and values together. confidence is 0 to 1: below 0.5 when unsure. Map \
each field to at most one column.";

fn request(headers: &[String], rows: &[Vec<String>], unplaced: &[usize]) -> JsonRequest {
    let columns: Vec<&str> = unplaced.iter().map(|&i| headers[i].as_str()).collect();
    let samples: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            unplaced
                .iter()
                .map(|&i| clip(row.get(i).map_or("", String::as_str)))
                .collect()
        })
        .collect();
    let mut fields: Vec<&str> = Field::ALL.iter().map(|f| f.as_str()).collect();
    fields.push("custom");
    JsonRequest {
        purpose: Purpose::HeaderMapping,
        system: SYSTEM_PROMPT.to_owned(),
        user: json!({"header": headers, "columns_to_map": columns, "rows": samples}).to_string(),
        schema_name: "header_mapping",
        schema: json!({
            "type": "object",
            "properties": {
                "mappings": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "column": {"type": "string"},
                            "field": {"type": "string", "enum": fields},
                            "confidence": {"type": "number"},
                        },
                        "required": ["column", "field", "confidence"],
                        "additionalProperties": false,
                    },
                },
            },
            "required": ["mappings"],
            "additionalProperties": false,
        }),
        max_tokens: Some(800),
        temperature: None,
    }
}

/// The model's mappings of unplaced columns (others are ignored, each column once), and the
/// overrides they stand for: each field from its most confident column, `custom` left out.
fn read_answer(
    value: &serde_json::Map<String, serde_json::Value>,
    headers: &[String],
    unplaced: &[usize],
) -> (Vec<ProposedMapping>, Vec<(usize, Field)>) {
    #[derive(Deserialize)]
    struct Item {
        column: String,
        field: String,
        #[serde(default)]
        confidence: f64,
    }
    let items: Vec<Item> = value
        .get("mappings")
        .cloned()
        .and_then(|m| serde_json::from_value(m).ok())
        .unwrap_or_default();
    let mut mappings: Vec<(usize, ProposedMapping)> = Vec::new();
    for item in items {
        let Some(&index) = unplaced.iter().find(|&&i| headers[i] == item.column.trim()) else {
            continue;
        };
        let known = item.field == "custom" || Field::parse(&item.field).is_some();
        if !known || mappings.iter().any(|(i, _)| *i == index) {
            continue;
        }
        let confidence = if item.confidence.is_finite() {
            item.confidence.clamp(0.0, 1.0)
        } else {
            0.0
        };
        mappings.push((
            index,
            ProposedMapping {
                column: headers[index].clone(),
                field: item.field,
                confidence,
            },
        ));
    }
    mappings.sort_by_key(|(i, _)| *i);
    let mut overrides: Vec<(usize, Field, f64)> = Vec::new();
    for (index, m) in &mappings {
        let Some(field) = Field::parse(&m.field) else {
            continue;
        };
        match overrides.iter_mut().find(|(_, f, _)| *f == field) {
            Some(best) if best.2 < m.confidence => *best = (*index, field, m.confidence),
            Some(_) => {}
            None => overrides.push((*index, field, m.confidence)),
        }
    }
    (
        mappings.into_iter().map(|(_, m)| m).collect(),
        overrides.into_iter().map(|(i, f, _)| (i, f)).collect(),
    )
}

fn clip(value: &str) -> String {
    match value.char_indices().nth(MAX_VALUE_CHARS) {
        Some((cut, _)) => value[..cut].to_owned(),
        None => value.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_matches_the_documented_defaults() {
        let file: toml::Table =
            toml::from_str(include_str!("../../../config/default.toml")).unwrap();
        let documented: MappingSettings = file["imports"].clone().try_into().unwrap();
        assert_eq!(documented, MappingSettings::default());
    }

    #[test]
    fn only_unplaced_columns_and_known_fields_are_kept_each_field_once() {
        let headers: Vec<String> = ["Email", "Firma", "Vorname", "Notiz"]
            .map(String::from)
            .to_vec();
        let value = json!({"mappings": [
            {"column": "Email", "field": "company", "confidence": 0.9},
            {"column": "Firma", "field": "company", "confidence": 0.6},
            {"column": "Vorname", "field": "first_name", "confidence": 0.95},
            {"column": "Notiz", "field": "company", "confidence": 0.8},
            {"column": "Notiz", "field": "custom", "confidence": 0.9},
            {"column": "Ghost", "field": "phone", "confidence": 1.0},
            {"column": "Firma", "field": "fax", "confidence": 1.0},
        ]});
        let serde_json::Value::Object(map) = value else {
            unreachable!()
        };
        let (mappings, overrides) = read_answer(&map, &headers, &[1, 2, 3]);
        let columns: Vec<&str> = mappings.iter().map(|m| m.column.as_str()).collect();
        assert_eq!(columns, ["Firma", "Vorname", "Notiz"]);
        assert_eq!(
            overrides,
            [(3, Field::Company), (2, Field::FirstName)],
            "the more confident column feeds company"
        );
    }
}
