//! Quality gates: what a written email must pass before a sending slot is spent on it.
//!
//! - a subject and a body, each within its length bound (`[content.quality]`);
//! - no unresolved placeholder: `{{ … }}`, `{% … %}`, `{first_name}`, `[First Name]`-style
//!   bracketed Title Case words or `[first_name]`, `<COMPANY>`-style capitals in angle
//!   brackets (what a model copies from an example or a template left unrendered);
//! - none of the campaign's banned phrases (case-insensitive, whole words, any whitespace
//!   between words).
//!
//! [`check`] runs every gate and names the first defect ([`Defect`]); [`placeholder`] alone
//! is what the template's own text is held to (see `gated` for who is checked how).

use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use super::error::TemplatePart;

/// `[content.quality]`: the bounds of the gates, and what a refused answer becomes.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct QualitySettings {
    /// Longest subject a model may write, in characters.
    pub max_subject_chars: usize,
    /// Longest body a model may write, in characters.
    pub max_body_chars: usize,
    /// After a refused answer and a refused second try: `"template"` sends the rendered
    /// template, `"fail"` fails the step with the defect as its reason.
    pub on_failure: super::settings::OnFailure,
}

impl Default for QualitySettings {
    fn default() -> Self {
        Self {
            max_subject_chars: 120,
            max_body_chars: 5000,
            on_failure: super::settings::OnFailure::Template,
        }
    }
}

impl QualitySettings {
    /// Problems, each prefixed with its key (for `Settings::validate`).
    pub fn validate(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.max_subject_chars == 0 {
            problems.push("content.quality.max_subject_chars: must be at least 1".into());
        }
        if self.max_body_chars == 0 {
            problems.push("content.quality.max_body_chars: must be at least 1".into());
        }
        problems
    }
}

/// What is wrong with a written email, worded for the reason stored on a failed step.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Defect {
    #[error("the {0} is empty")]
    Empty(TemplatePart),
    #[error("the {part} is {chars} characters long (at most {max})")]
    TooLong {
        part: TemplatePart,
        chars: usize,
        max: usize,
    },
    #[error("the {part} has an unresolved placeholder {text:?}")]
    Placeholder { part: TemplatePart, text: String },
    #[error("the {part} contains the banned phrase {phrase:?}")]
    BannedPhrase { part: TemplatePart, phrase: String },
}

impl Defect {
    /// Every [`Self::reason`], for metric labels.
    pub const REASONS: &'static [&'static str] =
        &["empty", "too_long", "placeholder", "banned_phrase"];

    /// A short stable name: the metric's `reason` label.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::Empty(_) => "empty",
            Self::TooLong { .. } => "too_long",
            Self::Placeholder { .. } => "placeholder",
            Self::BannedPhrase { .. } => "banned_phrase",
        }
    }
}

/// Placeholders as models and unrendered templates leave them.
static PLACEHOLDER: LazyLock<Regex> = LazyLock::new(|| {
    // A literal pattern, compiled by every test of this module: it cannot fail at run time.
    Regex::new(concat!(
        r"\{\{.*?\}\}",                            // {{ first_name }}
        r"|\{%.*?%\}",                             // {% if x %}
        r"|\{\s*[A-Za-z_][A-Za-z0-9_]{0,40}\s*\}", // {first_name}
        r"|\[[A-Z][a-z]+(?: [A-Z][a-z]+){0,4}\]",  // [First Name], [Company]
        r"|\[[a-z]+(?:_[a-z]+)+\]",                // [first_name]
        r"|<[A-Z][A-Z0-9_ ]{2,40}>",               // <COMPANY>, <FIRST NAME>
    ))
    .expect("a valid placeholder pattern")
});

/// The first unresolved placeholder of `text`, if any.
pub fn placeholder(part: TemplatePart, text: &str) -> Result<(), Defect> {
    match PLACEHOLDER.find(text) {
        Some(m) => Err(Defect::Placeholder {
            part,
            text: m.as_str().chars().take(60).collect(),
        }),
        None => Ok(()),
    }
}

/// Lower case with runs of whitespace as one space, so phrases match across line breaks.
fn folded(text: &str) -> String {
    text.split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// True when `phrase` (folded) occurs in `text` (folded) as whole words.
fn contains_words(text: &str, phrase: &str) -> bool {
    if phrase.is_empty() {
        return false;
    }
    let word = |c: Option<char>| c.is_some_and(char::is_alphanumeric);
    text.match_indices(phrase).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + phrase.len()..].chars().next();
        // A boundary is needed only where the phrase itself starts or ends with a word
        // character ("free!" may end a word, "free" may not be part of "freedom").
        let starts = phrase.chars().next();
        let ends = phrase.chars().next_back();
        let glued_before = word(starts) && word(before);
        let glued_after = word(ends) && word(after);
        !glued_before && !glued_after
    })
}

/// The first banned phrase `text` contains, if any.
fn banned(part: TemplatePart, text: &str, phrases: &[String]) -> Result<(), Defect> {
    let text = folded(text);
    match phrases.iter().find(|p| contains_words(&text, &folded(p))) {
        Some(phrase) => Err(Defect::BannedPhrase {
            part,
            phrase: phrase.clone(),
        }),
        None => Ok(()),
    }
}

fn bounded(part: TemplatePart, text: &str, max: usize) -> Result<(), Defect> {
    if text.trim().is_empty() {
        return Err(Defect::Empty(part));
    }
    let chars = text.chars().count();
    if chars > max {
        return Err(Defect::TooLong { part, chars, max });
    }
    Ok(())
}

/// Every gate, subject first: the first defect found.
pub fn check(
    subject: &str,
    body: &str,
    settings: &QualitySettings,
    banned_phrases: &[String],
) -> Result<(), Defect> {
    use TemplatePart::{Body, Subject};
    bounded(Subject, subject, settings.max_subject_chars)?;
    bounded(Body, body, settings.max_body_chars)?;
    placeholder(Subject, subject)?;
    placeholder(Body, body)?;
    banned(Subject, subject, banned_phrases)?;
    banned(Body, body, banned_phrases)
}

#[cfg(test)]
mod tests;
