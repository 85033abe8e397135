//! One question to a model about one company: the prompt, the JSON Schema of the answer, and
//! the answer as the stored [`InsightFacts`].
//!
//! What the model says ends up in email prompts, so its size is bounded here: a few items per
//! list, each clipped.

use serde::Deserialize;
use serde_json::json;

use crate::ai::{JsonRequest, Purpose, Source};
use crate::domain::{Citation, InsightFacts};

const SYSTEM_PROMPT: &str = "\
You research one company for a salesperson who is about to write to someone who works there.

The user message names the company's web domain. Find what the company does, for whom, and what \
changed recently.

Rules:
- Use only facts you found or know for certain about the company on that domain. Never guess; \
when you know little, say little and leave lists empty.
- summary: two or three plain sentences: what the company does, for whom, where.
- recent_developments: up to 5 news items of the last 12 months (funding, launches, hires, \
expansions, partnerships), each one sentence with its month and year.
- facts: up to 8 short facts useful for a sales conversation (size, founding year, locations, \
customers, markets, technology).
- citations: the URLs of the pages the above comes from.
- No marketing language, no opinions.";

const MAX_ITEMS: usize = 8;
const MAX_DEVELOPMENTS: usize = 5;
const MAX_CITATIONS: usize = 10;
const MAX_SUMMARY_CHARS: usize = 800;
const MAX_ITEM_CHARS: usize = 300;

/// The question about `domain`.
pub(super) fn request(domain: &str) -> JsonRequest {
    let list = json!({"type": "array", "items": {"type": "string"}});
    JsonRequest {
        purpose: Purpose::Insight,
        system: SYSTEM_PROMPT.to_owned(),
        user: format!("Company domain: {domain}"),
        schema_name: "company_insight",
        schema: json!({
            "type": "object",
            "properties": {
                "summary": {"type": "string"},
                "recent_developments": list,
                "facts": list,
                "citations": list,
            },
            "required": ["summary", "recent_developments", "facts", "citations"],
            "additionalProperties": false,
        }),
        max_tokens: Some(1200),
        temperature: None,
    }
}

#[derive(Deserialize)]
struct Answer {
    summary: String,
    #[serde(default)]
    recent_developments: Vec<String>,
    #[serde(default)]
    facts: Vec<String>,
    #[serde(default)]
    citations: Vec<String>,
}

/// The model's object and the search's sources as an insight, or what is wrong with the object.
pub(super) fn facts(
    value: serde_json::Map<String, serde_json::Value>,
    sources: Vec<Source>,
) -> Result<InsightFacts, String> {
    let answer: Answer = serde_json::from_value(serde_json::Value::Object(value))
        .map_err(|e| format!("not a company insight: {e}"))?;
    let summary = clip(answer.summary.trim(), MAX_SUMMARY_CHARS);
    if summary.is_empty() {
        return Err("the summary is empty".into());
    }
    let items = |list: Vec<String>, max: usize| -> Vec<String> {
        list.iter()
            .map(|s| clip(s.trim(), MAX_ITEM_CHARS))
            .filter(|s| !s.is_empty())
            .take(max)
            .collect()
    };
    let mut citations: Vec<Citation> = sources
        .into_iter()
        .map(|s| Citation {
            url: s.url,
            title: s.title,
            date: s.date,
        })
        .collect();
    for url in answer.citations {
        let url = url.trim();
        let web = url.starts_with("https://") || url.starts_with("http://");
        if web && !citations.iter().any(|c| c.url == url) {
            citations.push(Citation {
                url: url.to_owned(),
                title: None,
                date: None,
            });
        }
    }
    citations.truncate(MAX_CITATIONS);
    Ok(InsightFacts {
        summary,
        recent_developments: items(answer.recent_developments, MAX_DEVELOPMENTS),
        facts: items(answer.facts, MAX_ITEMS),
        citations,
    })
}

fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_come_first_and_the_models_urls_are_added_once() {
        let value = json!({
            "summary": " Acme makes trucks. ",
            "recent_developments": ["", "Raised a Series B (Oct 2026)."],
            "facts": ["Founded 2012"],
            "citations": ["https://a.test/x", "https://b.test/y", "not a url"],
        });
        let serde_json::Value::Object(map) = value else {
            unreachable!()
        };
        let source = Source {
            url: "https://a.test/x".into(),
            title: Some("A".into()),
            date: None,
        };
        let facts = facts(map, vec![source]).unwrap();
        assert_eq!(facts.summary, "Acme makes trucks.");
        assert_eq!(facts.recent_developments, ["Raised a Series B (Oct 2026)."]);
        let urls: Vec<&str> = facts.citations.iter().map(|c| c.url.as_str()).collect();
        assert_eq!(urls, ["https://a.test/x", "https://b.test/y"]);
        assert_eq!(facts.citations[0].title.as_deref(), Some("A"));
    }

    #[test]
    fn an_empty_summary_is_refused() {
        let serde_json::Value::Object(map) = json!({"summary": " "}) else {
            unreachable!()
        };
        assert!(facts(map, Vec::new()).is_err());
    }
}
