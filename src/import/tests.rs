//! The whole pipeline (read, validate, deduplicate, batch, enrol) against a sink in memory.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::*;

/// Leads by lower-cased email, as a workspace would hold them, plus a log of the calls made.
#[derive(Default)]
struct MemorySink {
    leads: Mutex<HashMap<String, (LeadId, NewLead)>>,
    batch_sizes: Mutex<Vec<usize>>,
    enrolled: Mutex<Vec<LeadId>>,
    fail_inserts: bool,
}

impl MemorySink {
    fn with_existing(emails: &[&str]) -> Self {
        let sink = Self::default();
        for email in emails {
            let lead = NewLead {
                email: Some(crate::domain::EmailAddress::parse(email).unwrap()),
                ..NewLead::default()
            };
            sink.leads
                .lock()
                .unwrap()
                .insert(email.to_lowercase(), (LeadId::new(), lead));
        }
        sink
    }

    fn lead(&self, email: &str) -> NewLead {
        self.leads.lock().unwrap()[email].1.clone()
    }
}

#[async_trait]
impl LeadSink for MemorySink {
    async fn insert_leads(&self, leads: &[NewLead]) -> Result<Vec<LeadInsert>, StoreError> {
        if self.fail_inserts {
            return Err(StoreError::Conflict("disk full".into()));
        }
        self.batch_sizes.lock().unwrap().push(leads.len());
        let mut map = self.leads.lock().unwrap();
        Ok(leads
            .iter()
            .map(|lead| {
                let key = lead.email.as_ref().unwrap().normalized();
                match map.get(&key) {
                    Some((id, _)) => LeadInsert::Existing(*id),
                    None => {
                        let id = LeadId::new();
                        map.insert(key, (id, lead.clone()));
                        LeadInsert::Inserted(id)
                    }
                }
            })
            .collect())
    }

    async fn enroll_leads(
        &self,
        _campaign: CampaignId,
        leads: &[LeadId],
    ) -> Result<EnrollOutcome, StoreError> {
        self.enrolled.lock().unwrap().extend_from_slice(leads);
        Ok(EnrollOutcome {
            enrolled: leads.len() as u64,
            ..EnrollOutcome::default()
        })
    }
}

async fn run(
    text: &str,
    sink: &MemorySink,
    options: &ImportOptions,
) -> Result<ImportReport, ImportError> {
    import_into(text.as_bytes(), sink, options, &mut NoProgress).await
}

fn lines_of(report: &ImportReport) -> Vec<u64> {
    report.problems.iter().map(|p| p.line).collect()
}

#[tokio::test]
async fn bad_rows_are_reported_by_line_and_the_rest_imported() {
    let text = "Email,First Name\n\
                a@x.com,Ann\n\
                not-an-email,Bob\n\
                ,Carl\n\
                A@X.COM,Ann again\n\
                \n\
                b@x.com,\"Bea\nTrice\"\n\
                c@x.com,Cy\n";
    let sink = MemorySink::default();
    let report = run(text, &sink, &ImportOptions::default()).await.unwrap();
    assert_eq!(
        (
            report.rows,
            report.imported,
            report.invalid,
            report.duplicates_in_file
        ),
        (6, 3, 2, 1)
    );
    assert_eq!(lines_of(&report), vec![3, 4, 5]);
    assert_eq!(
        report.problems[2].kind,
        ProblemKind::DuplicateInFile { first_line: 2 }
    );
    assert_eq!(
        report.problems[0].to_string(),
        "line 3: invalid email: email address \"not-an-email\" has no '@'"
    );
    assert_eq!(report.problems[1].to_string(), "line 4: no email");
    // The quoted newline spans lines 7-8, so c@x.com's record starts on line 9: nothing to
    // report, but its name must not carry the newline.
    assert_eq!(
        sink.lead("b@x.com").first_name.as_deref(),
        Some("Bea Trice")
    );
}

#[tokio::test]
async fn a_semicolon_file_with_a_bom_and_crlf_imports_with_custom_fields() {
    let text = "\u{feff}E-Mail;Surname;Industry\r\nann@x.com;Lee;SaaS\r\nbob@x.com;Kim;\r\n";
    let sink = MemorySink::default();
    let report = run(text, &sink, &ImportOptions::default()).await.unwrap();
    assert_eq!(report.delimiter, b';');
    assert_eq!(report.imported, 2);
    assert_eq!(report.custom_columns, vec!["Industry".to_owned()]);
    let ann = sink.lead("ann@x.com");
    assert_eq!(ann.last_name.as_deref(), Some("Lee"));
    assert_eq!(ann.custom.get("Industry").map(String::as_str), Some("SaaS"));
    assert!(sink.lead("bob@x.com").custom.is_empty());
}

#[tokio::test]
async fn leads_already_in_the_workspace_are_counted_and_listed_in_line_order_after_crlf() {
    let text = "email,tz\r\nold@x.com,UTC\r\nnew@x.com,utc\r\n\r\nbad@x.com,Nowhere/Land\r\nOLD2@x.com,\r\n";
    let sink = MemorySink::with_existing(&["old@x.com", "old2@x.com"]);
    let report = run(text, &sink, &ImportOptions::default()).await.unwrap();
    assert_eq!(
        (report.imported, report.already_existed, report.invalid),
        (1, 2, 1)
    );
    assert_eq!(lines_of(&report), vec![2, 5, 6]);
    assert_eq!(
        report.problems[0].to_string(),
        "line 2: old@x.com: already exists (left unchanged)"
    );
    assert_eq!(sink.lead("new@x.com").timezone.as_deref(), Some("UTC"));
}

#[tokio::test]
async fn leads_are_written_in_batches_and_each_batch_is_enrolled() {
    let mut text = String::from("email\n");
    for i in 0..25 {
        text.push_str(&format!("lead{i}@x.com\n"));
    }
    let sink = MemorySink::with_existing(&["lead3@x.com"]);
    let options = ImportOptions {
        campaign: Some(CampaignId::new()),
        batch_size: 10,
        ..ImportOptions::default()
    };
    let report = run(&text, &sink, &options).await.unwrap();
    assert_eq!(*sink.batch_sizes.lock().unwrap(), vec![10, 10, 5]);
    assert_eq!((report.imported, report.already_existed), (24, 1));
    // Existing leads of the file are enrolled too.
    assert_eq!(sink.enrolled.lock().unwrap().len(), 25);
    assert_eq!(report.enrollment.map(|e| e.enrolled), Some(25));
}

#[tokio::test]
async fn only_the_first_problems_are_kept_but_all_are_counted() {
    let mut text = String::from("email\n");
    for i in 0..50 {
        text.push_str(&format!("bad{i}\n"));
    }
    let options = ImportOptions {
        batch_size: 7,
        max_listed_problems: 20,
        ..ImportOptions::default()
    };
    let report = run(&text, &MemorySink::default(), &options).await.unwrap();
    assert_eq!(report.problems_total, 50);
    assert_eq!(lines_of(&report), (2..22).collect::<Vec<u64>>());
    assert_eq!(
        report.problem_lines().last().map(String::as_str),
        Some("  … and 30 more")
    );
}

#[tokio::test]
async fn a_header_without_an_email_column_names_the_headers_found() {
    let err = run(
        "Name,Company\nAnn,Acme\n",
        &MemorySink::default(),
        &ImportOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(matches!(err, ImportError::NoEmailColumn { .. }));
    assert!(
        err.to_string().contains("found \"Name\", \"Company\""),
        "{err}"
    );
}

#[tokio::test]
async fn a_row_that_is_not_utf8_is_reported_and_the_import_goes_on() {
    let text: &[u8] = b"email,name\na@x.com,Ren\xe9\nb@x.com,Ren\xc3\xa9\n";
    let sink = MemorySink::default();
    let report = import_into(text, &sink, &ImportOptions::default(), &mut NoProgress)
        .await
        .unwrap();
    assert_eq!((report.imported, report.invalid), (1, 1));
    assert_eq!(
        report.problems[0].to_string(),
        "line 2: \"name\" is not valid UTF-8 (save the file as UTF-8)"
    );
    assert_eq!(sink.lead("b@x.com").first_name, None);
    assert_eq!(sink.lead("b@x.com").custom["name"], "René");
}

#[tokio::test]
async fn a_failing_store_stops_the_import_with_the_line_reached() {
    let sink = MemorySink {
        fail_inserts: true,
        ..MemorySink::default()
    };
    let err = run(
        "email\na@x.com\nb@x.com\n",
        &sink,
        &ImportOptions::default(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(
            err,
            ImportError::Store {
                line: 3,
                imported: 0,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn progress_is_reported_after_every_batch() {
    struct Seen(Vec<(u64, u64)>);
    impl Progress for Seen {
        fn update(&mut self, rows: u64, bytes: u64) {
            self.0.push((rows, bytes));
        }
    }
    let text = "\u{feff}email\na@x.com\nb@x.com\nc@x.com\n";
    let mut seen = Seen(Vec::new());
    let options = ImportOptions {
        batch_size: 2,
        ..ImportOptions::default()
    };
    import_into(text.as_bytes(), &MemorySink::default(), &options, &mut seen)
        .await
        .unwrap();
    assert_eq!(seen.0.last(), Some(&(3, text.len() as u64)));
    assert!(seen.0.len() >= 2);
}

#[tokio::test]
async fn a_file_with_only_a_header_imports_nothing() {
    let report = run(
        "email,name\n",
        &MemorySink::default(),
        &ImportOptions::default(),
    )
    .await
    .unwrap();
    assert_eq!(
        report,
        ImportReport {
            delimiter: b',',
            custom_columns: vec!["name".into()],
            ..ImportReport::default()
        }
    );
}
