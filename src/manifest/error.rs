//! `ManifestError` and `Problem`: what is wrong with an apply file, said on one line with the
//! file, the line, the object and the key, and never with a secret in it.

use std::fmt;
use std::path::PathBuf;

use crate::store::StoreError;

/// One defect in an apply file, located as precisely as we can.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// 1-based line in the apply file, when known.
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The object at fault as a person names it: `campaign "Q4"`, `mailbox a@b.test`.
    pub object: Option<String>,
    /// The key at fault, relative to the object: `smtp.password_env`, `mailboxes`.
    pub key: Option<String>,
    /// What is wrong, on one line.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.column) {
            (Some(line), Some(column)) => write!(f, "line {line}, column {column}: ")?,
            (Some(line), None) => write!(f, "line {line}: ")?,
            _ => {}
        }
        match (&self.object, &self.key) {
            (Some(object), Some(key)) => write!(f, "{object}, key {key}: ")?,
            (Some(object), None) => write!(f, "{object}: ")?,
            (None, Some(key)) => write!(f, "key {key}: ")?,
            (None, None) => {}
        }
        // Messages come from toml, serde and our own code; a stray newline would break the
        // one-line error contract.
        f.write_str(&self.message.replace(['\r', '\n'], " "))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("cannot read apply file {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file (or its references to the store) is invalid; nothing was written.
    #[error("invalid apply file {}: {}", path.display(), render(problems))]
    Invalid {
        path: PathBuf,
        problems: Vec<Problem>,
    },
    /// Reading the current state failed; nothing was written.
    #[error("failed to {action}: {source}")]
    Store { action: String, source: StoreError },
    /// A write failed part-way: the objects reported before `object` were applied.
    #[error(
        "failed to apply {object} (objects before it in the file were applied; fix the cause and \
         apply again): {source}"
    )]
    Write { object: String, source: StoreError },
}

fn render(problems: &[Problem]) -> String {
    match problems {
        [one] => one.to_string(),
        many => {
            let all: Vec<String> = many.iter().map(Problem::to_string).collect();
            format!("{} problems: {}", many.len(), all.join("; "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_problem_renders_on_one_line_with_its_location_object_and_key() {
        let p = Problem {
            line: Some(12),
            column: None,
            object: Some("campaign \"Q4\"".into()),
            key: Some("mailboxes".into()),
            message: "unknown mailbox\nbob@x.test".into(),
        };
        assert_eq!(
            p.to_string(),
            "line 12: campaign \"Q4\", key mailboxes: unknown mailbox bob@x.test"
        );
    }

    #[test]
    fn several_problems_are_counted_and_joined() {
        let p = |m: &str| Problem {
            line: None,
            column: None,
            object: None,
            key: None,
            message: m.into(),
        };
        let e = ManifestError::Invalid {
            path: "x.toml".into(),
            problems: vec![p("a"), p("b")],
        };
        assert_eq!(e.to_string(), "invalid apply file x.toml: 2 problems: a; b");
    }
}
