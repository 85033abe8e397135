//! Collecting valid leads into batches, catching duplicates inside the file, and writing each
//! full batch to the store (then enrolling it, when a campaign was given).
//!
//! Memory grows with the number of distinct emails seen (one short string and a line number
//! each, to name the first occurrence of a duplicate), never with the size of the file.

use crate::domain::{EnrollOutcome, LeadInsert, NewLead};
use std::collections::HashMap;
use std::collections::hash_map::Entry;

use super::error::ImportError;
use super::report::{ImportReport, ProblemKind, RowProblem};
use super::row::Parsed;
use super::{ImportOptions, LeadSink};
use crate::store::StoreError;

pub struct Batcher<'a, S: LeadSink + ?Sized> {
    sink: &'a S,
    options: &'a ImportOptions,
    report: ImportReport,
    first_line_of: HashMap<String, u64>,
    leads: Vec<NewLead>,
    lines: Vec<u64>,
    /// Problems of rows since the last flush; merged in line order with the "already exists"
    /// rows the flush finds, so the listed problems are the first ones of the file.
    pending: Vec<RowProblem>,
}

impl<'a, S: LeadSink + ?Sized> Batcher<'a, S> {
    pub fn new(sink: &'a S, options: &'a ImportOptions, report: ImportReport) -> Self {
        let size = options.batch_size.max(1);
        Self {
            sink,
            options,
            report,
            first_line_of: HashMap::new(),
            leads: Vec::with_capacity(size),
            lines: Vec::with_capacity(size),
            pending: Vec::new(),
        }
    }

    /// Data rows seen so far (blank ones excepted).
    pub fn rows(&self) -> u64 {
        self.report.rows
    }

    /// What was done so far (rows not yet flushed are counted in `rows` only).
    pub fn report(&self) -> &ImportReport {
        &self.report
    }

    /// Leads and problems both count: a file of nothing but bad rows must not pile up problems.
    pub fn is_full(&self) -> bool {
        self.leads.len() + self.pending.len() >= self.options.batch_size.max(1)
    }

    /// Takes one parsed record that starts at `line`.
    pub fn accept(&mut self, line: u64, parsed: Parsed) {
        let lead = match parsed {
            Parsed::Blank => return,
            Parsed::Invalid { email, problem } => {
                self.report.rows += 1;
                self.report.invalid += 1;
                self.pending.push(RowProblem {
                    line,
                    email,
                    kind: problem,
                });
                return;
            }
            Parsed::Lead(lead) => lead,
        };
        self.report.rows += 1;
        let Some(email) = &lead.email else {
            // parse_record always sets the email of a lead; count it as missing if not.
            self.report.invalid += 1;
            self.pending.push(RowProblem {
                line,
                email: None,
                kind: ProblemKind::MissingEmail,
            });
            return;
        };
        match self.first_line_of.entry(email.normalized()) {
            Entry::Occupied(first) => {
                self.report.duplicates_in_file += 1;
                self.pending.push(RowProblem {
                    line,
                    email: Some(email.as_str().to_owned()),
                    kind: ProblemKind::DuplicateInFile {
                        first_line: *first.get(),
                    },
                });
            }
            Entry::Vacant(slot) => {
                slot.insert(line);
                self.leads.push(lead);
                self.lines.push(line);
            }
        }
    }

    /// Writes the pending leads (one `insert_leads` call), enrols them, and files the problems.
    pub async fn flush(&mut self) -> Result<(), ImportError> {
        if !self.leads.is_empty() {
            self.write_batch().await?;
        }
        self.pending.sort_by_key(|p| p.line);
        self.report.problems_total += self.pending.len() as u64;
        let room = self
            .options
            .max_listed_problems
            .saturating_sub(self.report.problems.len());
        self.report
            .problems
            .extend(self.pending.drain(..).take(room));
        self.pending.clear();
        Ok(())
    }

    async fn write_batch(&mut self) -> Result<(), ImportError> {
        let last_line = self.lines.last().copied().unwrap_or_default();
        let imported = self.report.imported;
        let fail = |source: StoreError| ImportError::Store {
            line: last_line,
            imported,
            source,
        };
        let results = self.sink.insert_leads(&self.leads).await.map_err(fail)?;
        if results.len() != self.leads.len() {
            return Err(fail(StoreError::Conflict(format!(
                "the store answered {} results for {} leads",
                results.len(),
                self.leads.len()
            ))));
        }
        let mut ids = Vec::with_capacity(results.len());
        for ((result, lead), &line) in results.iter().zip(&self.leads).zip(&self.lines) {
            match result {
                LeadInsert::Inserted(_) => self.report.imported += 1,
                LeadInsert::Existing(_) => {
                    self.report.already_existed += 1;
                    if self.options.list_existing {
                        self.pending.push(RowProblem {
                            line,
                            email: lead.email.as_ref().map(|e| e.as_str().to_owned()),
                            kind: ProblemKind::AlreadyExists,
                        });
                    }
                }
            }
            ids.push(result.id());
        }
        if let Some(campaign) = self.options.campaign {
            let outcome = self
                .sink
                .enroll_leads(campaign, &ids)
                .await
                .map_err(|source| ImportError::Store {
                    line: last_line,
                    imported: self.report.imported,
                    source,
                })?;
            let total = self
                .report
                .enrollment
                .get_or_insert_with(EnrollOutcome::default);
            total.enrolled += outcome.enrolled;
            total.already_enrolled += outcome.already_enrolled;
            total.suppressed += outcome.suppressed;
        }
        self.leads.clear();
        self.lines.clear();
        Ok(())
    }

    pub fn finish(mut self) -> ImportReport {
        if self.options.campaign.is_some() {
            self.report
                .enrollment
                .get_or_insert_with(EnrollOutcome::default);
        }
        self.report
    }
}
