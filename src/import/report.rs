//! What an import did: counts, the first problems by line, and the one-line summary people read.

use crate::domain::EnrollOutcome;
use std::fmt;

/// Why one row was not imported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProblemKind {
    MissingEmail,
    /// The message of [`crate::domain::EmailParseError`].
    InvalidEmail(String),
    /// The value that is not an IANA time zone.
    InvalidTimezone(String),
    NotUtf8 {
        column: String,
    },
    /// The same email (case-insensitively) on an earlier line of the file.
    DuplicateInFile {
        first_line: u64,
    },
    /// The workspace already has this lead: not an error, it is left as it was.
    AlreadyExists,
}

/// A problem with the physical line where its record starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowProblem {
    pub line: u64,
    pub email: Option<String>,
    pub kind: ProblemKind,
}

impl RowProblem {
    /// A stable name for the kind of problem, for machines.
    pub fn code(&self) -> &'static str {
        match self.kind {
            ProblemKind::MissingEmail => "missing_email",
            ProblemKind::InvalidEmail(_) => "invalid_email",
            ProblemKind::InvalidTimezone(_) => "invalid_timezone",
            ProblemKind::NotUtf8 { .. } => "not_utf8",
            ProblemKind::DuplicateInFile { .. } => "duplicate_in_file",
            ProblemKind::AlreadyExists => "already_exists",
        }
    }

    /// What is wrong with the row, without its line number.
    pub fn reason(&self) -> String {
        let email = self.email.as_deref().unwrap_or("");
        match &self.kind {
            ProblemKind::MissingEmail => "no email".to_owned(),
            ProblemKind::InvalidEmail(message) => format!("invalid email: {message}"),
            ProblemKind::InvalidTimezone(tz) => {
                format!("{email}: unknown time zone {tz:?} (use an IANA name such as Europe/Paris)")
            }
            ProblemKind::NotUtf8 { column } => {
                format!("{column} is not valid UTF-8 (save the file as UTF-8)")
            }
            ProblemKind::DuplicateInFile { first_line } => {
                format!("{email}: duplicate of line {first_line}")
            }
            ProblemKind::AlreadyExists => format!("{email}: already exists (left unchanged)"),
        }
    }
}

impl fmt::Display for RowProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.reason())
    }
}

/// Totals of one import. `rows` counts data records (blank ones excepted); every row is exactly
/// one of imported, invalid, duplicate in file or already existed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub rows: u64,
    pub imported: u64,
    pub invalid: u64,
    pub duplicates_in_file: u64,
    pub already_existed: u64,
    /// Summed over batches; `None` when no campaign was given.
    pub enrollment: Option<EnrollOutcome>,
    /// The first problems by line (as many as `ImportOptions::max_listed_problems`).
    pub problems: Vec<RowProblem>,
    /// All problems, listed or not.
    pub problems_total: u64,
    pub delimiter: u8,
    /// Columns kept as custom fields.
    pub custom_columns: Vec<String>,
}

impl ImportReport {
    /// "Imported 99,950 leads from leads.csv (100,000 rows): 40 invalid, 8 duplicates in file,
    /// 2 already existed; enrolled 99,952 into "Q4 outreach"."
    pub fn summary(&self, file_name: &str, campaign: Option<&str>) -> String {
        let mut out = format!(
            "Imported {} {} from {file_name} ({} {})",
            thousands(self.imported),
            plural(self.imported, "lead", "leads"),
            thousands(self.rows),
            plural(self.rows, "row", "rows"),
        );
        let mut parts = Vec::new();
        if self.invalid > 0 {
            parts.push(format!("{} invalid", thousands(self.invalid)));
        }
        if self.duplicates_in_file > 0 {
            let noun = plural(self.duplicates_in_file, "duplicate", "duplicates");
            parts.push(format!(
                "{} {noun} in file",
                thousands(self.duplicates_in_file)
            ));
        }
        if self.already_existed > 0 {
            parts.push(format!(
                "{} already existed",
                thousands(self.already_existed)
            ));
        }
        if !parts.is_empty() {
            out.push_str(": ");
            out.push_str(&parts.join(", "));
        }
        if let (Some(outcome), Some(name)) = (&self.enrollment, campaign) {
            out.push_str(&format!(
                "; enrolled {} into {name:?}",
                thousands(outcome.enrolled)
            ));
            let mut skipped = Vec::new();
            if outcome.already_enrolled > 0 {
                skipped.push(format!(
                    "{} already enrolled",
                    thousands(outcome.already_enrolled)
                ));
            }
            if outcome.suppressed > 0 {
                skipped.push(format!(
                    "{} suppressed or unsubscribed",
                    thousands(outcome.suppressed)
                ));
            }
            if !skipped.is_empty() {
                out.push_str(&format!(" ({})", skipped.join(", ")));
            }
        }
        out.push('.');
        out
    }

    /// The listed problems, one per line, and "… and N more" when some were not listed.
    pub fn problem_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.problems.iter().map(|p| format!("  {p}")).collect();
        let unlisted = self
            .problems_total
            .saturating_sub(self.problems.len() as u64);
        if unlisted > 0 {
            lines.push(format!("  … and {} more", thousands(unlisted)));
        }
        lines
    }
}

fn plural(n: u64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 { one } else { many }
}

/// 1234567 -> "1,234,567".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_get_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(99_950), "99,950");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn the_summary_names_every_kind_of_skipped_row() {
        let report = ImportReport {
            rows: 100_000,
            imported: 99_950,
            invalid: 40,
            duplicates_in_file: 8,
            already_existed: 2,
            enrollment: Some(EnrollOutcome {
                enrolled: 99_952,
                already_enrolled: 0,
                suppressed: 0,
            }),
            ..ImportReport::default()
        };
        assert_eq!(
            report.summary("leads.csv", Some("Q4 outreach")),
            "Imported 99,950 leads from leads.csv (100,000 rows): 40 invalid, 8 duplicates in \
             file, 2 already existed; enrolled 99,952 into \"Q4 outreach\"."
        );
    }

    #[test]
    fn a_clean_import_has_a_short_summary() {
        let report = ImportReport {
            rows: 1,
            imported: 1,
            ..ImportReport::default()
        };
        assert_eq!(
            report.summary("x.csv", None),
            "Imported 1 lead from x.csv (1 row)."
        );
    }

    #[test]
    fn unlisted_problems_are_counted() {
        let report = ImportReport {
            problems: vec![RowProblem {
                line: 7,
                email: Some("a@x.com".into()),
                kind: ProblemKind::DuplicateInFile { first_line: 3 },
            }],
            problems_total: 31,
            ..ImportReport::default()
        };
        assert_eq!(
            report.problem_lines(),
            vec![
                "  line 7: a@x.com: duplicate of line 3".to_owned(),
                "  … and 30 more".to_owned()
            ]
        );
    }
}
