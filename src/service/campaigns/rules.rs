//! The rules a campaign definition must meet, written once for both front doors: the apply
//! file (`manifest`, which locates each finding on a line) and the HTTP API (which names the
//! field, `steps[1].body`). Each rule says what is wrong in words a person can act on; where it
//! is, is the caller's business.

use crate::content::{self, ContentError, TemplatePart};
use crate::domain::{HumanDuration, StepSpec};

/// The rules campaigns share with mailboxes and products.
pub use crate::domain::rules::{cap, line_text, timezone};

/// Which part of a step a [`StepProblem`] is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKey {
    Delay,
    Subject,
    Body,
}

impl StepKey {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Delay => "delay",
            Self::Subject => "subject",
            Self::Body => "body",
        }
    }
}

/// One defect of a step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepProblem {
    pub key: StepKey,
    pub message: String,
    /// For a template error, the line inside the template (1-based) when the engine knows it;
    /// the message then ends with " (line N)".
    pub template_line: Option<usize>,
}

impl StepProblem {
    fn new(key: StepKey, message: impl Into<String>) -> Self {
        Self {
            key,
            message: message.into(),
            template_line: None,
        }
    }
}

/// A step as written, before its rules are checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepDraft {
    pub delay: Option<HumanDuration>,
    pub subject: Option<String>,
    pub body: String,
    pub ai_instructions: Option<String>,
}

/// Checks step `index` (0-based) of a sequence: the first step needs a subject (later ones
/// without one reply in its thread) and may leave out its delay; follow-ups need a delay;
/// a subject, when given, and the body are non-empty and pass the content module's template
/// check, so a broken template fails now rather than at the first send. Returns the step as
/// stored, with every problem found.
pub fn step(index: usize, draft: StepDraft) -> (StepSpec, Vec<StepProblem>) {
    let first = index == 0;
    let mut problems = Vec::new();
    let delay = match draft.delay {
        Some(delay) => delay,
        None if first => HumanDuration::ZERO,
        None => {
            problems.push(StepProblem::new(
                StepKey::Delay,
                "a follow-up needs a delay after the previous step, e.g. delay = \"3d\"",
            ));
            HumanDuration::ZERO
        }
    };
    match draft.subject.as_deref() {
        Some(subject) if subject.trim().is_empty() => problems.push(StepProblem::new(
            StepKey::Subject,
            "subject is empty (leave the key out to reply in the thread)",
        )),
        Some(subject) => problems.extend(template(StepKey::Subject, subject)),
        None if first => problems.push(StepProblem::new(
            StepKey::Subject,
            "the first step needs a subject (later steps without one reply in its thread)",
        )),
        None => {}
    }
    if draft.body.trim().is_empty() {
        problems.push(StepProblem::new(StepKey::Body, "body is empty"));
    } else {
        problems.extend(template(StepKey::Body, &draft.body));
    }
    let spec = StepSpec {
        delay,
        subject_template: draft.subject,
        body_template: draft.body,
        ai_instructions: draft.ai_instructions.filter(|s| !s.trim().is_empty()),
    };
    (spec, problems)
}

fn template(key: StepKey, source: &str) -> Option<StepProblem> {
    let part = match key {
        StepKey::Subject => TemplatePart::Subject,
        _ => TemplatePart::Body,
    };
    let e = content::validate(part, source).err()?;
    let template_line = match &e {
        ContentError::Syntax { line, .. }
        | ContentError::UndefinedVariable { line, .. }
        | ContentError::IncludeNotAllowed { line, .. }
        | ContentError::Render { line, .. } => *line,
        _ => None,
    };
    Some(StepProblem {
        key,
        message: e.to_string(),
        template_line,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft(delay: Option<&str>, subject: Option<&str>, body: &str) -> StepDraft {
        StepDraft {
            delay: delay.map(|d| HumanDuration::parse(d).unwrap()),
            subject: subject.map(str::to_owned),
            body: body.to_owned(),
            ai_instructions: Some("  ".into()),
        }
    }

    fn keys(problems: &[StepProblem]) -> Vec<&'static str> {
        problems.iter().map(|p| p.key.as_str()).collect()
    }

    #[test]
    fn a_first_step_with_subject_and_body_passes_and_waits_no_time() {
        let (spec, problems) = step(0, draft(None, Some("Hi {{ first_name }}"), "Hello"));

        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(spec.delay, HumanDuration::ZERO);
        assert_eq!(spec.ai_instructions, None, "blank instructions are none");
    }

    #[test]
    fn the_first_step_needs_a_subject_and_follow_ups_a_delay() {
        assert_eq!(keys(&step(0, draft(None, None, "Hello")).1), ["subject"]);
        assert_eq!(keys(&step(1, draft(None, None, "Hello")).1), ["delay"]);
    }

    #[test]
    fn a_broken_template_fails_the_step_naming_the_variable() {
        let (_, problems) = step(1, draft(Some("2d"), None, "Hi\n{{ first_nme }}"));

        assert_eq!(keys(&problems), ["body"]);
        assert!(problems[0].message.contains("first_nme"), "{problems:?}");
    }

    #[test]
    fn names_must_be_one_trimmed_line() {
        assert!(line_text("name", "Q4").is_ok());
        assert_eq!(line_text("name", " ").unwrap_err(), "name is empty");
        assert!(line_text("name", "Q4 ").is_err());
        assert!(line_text("name", "Q\n4").is_err());
    }
}
