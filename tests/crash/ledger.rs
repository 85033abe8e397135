//! The audit: what the SMTP sink received, held against the store's `email_sends` rows.
//!
//! Message-IDs are deterministic per send row (one row per lead and step), so a step sent twice
//! repeats its Message-ID; duplicates are also counted per recipient and step (step 1 carries
//! no In-Reply-To, follow-ups do), which would catch a second row for one step as well.
//!
//! A step is owed while its lead has not been parked: an `unknown` send (in flight at a crash)
//! parks the lead, may or may not have reached the sink, and owes nothing after it. Every other
//! owed step must be `sent` and must have arrived exactly once. A message the sink holds whose
//! row is neither `sent` nor `unknown` is a resend waiting to happen, so it counts as a fault.

use std::collections::HashMap;
use std::fmt;

use sqlx::Connection;

use crate::fixtures::Received;

/// One `email_sends` row, keyed by its lead's address.
pub struct SendRow {
    pub email: String,
    pub step: u32,
    pub state: String,
    pub message_id: Option<String>,
    pub last_error: Option<String>,
}

pub struct Ledger {
    /// Transactions the sink received.
    pub received: usize,
    /// Sends the store marks `unknown` (and how many of them reached the sink anyway).
    pub unknown: usize,
    pub unknown_received: usize,
    /// Why sends became `unknown`, with how many each.
    pub unknown_reasons: std::collections::BTreeMap<String, usize>,
    /// Messages the sink received more than once.
    pub duplicates: Vec<String>,
    /// Owed steps that never arrived (and are not `unknown`).
    pub lost: Vec<String>,
    /// Received messages whose send row is neither `sent` nor `unknown`.
    pub unaccounted: Vec<String>,
}

impl Ledger {
    pub fn new(leads: &[String], steps: u32, rows: &[SendRow], dumps: &[String]) -> Self {
        let mut by_id: HashMap<String, usize> = HashMap::new();
        let mut by_step: HashMap<(String, u32), usize> = HashMap::new();
        for dump in dumps {
            let r = Received::parse(dump);
            let id = r.header("message-id").unwrap_or("<none>").to_owned();
            *by_id.entry(id).or_default() += 1;
            let step = if r.header("in-reply-to").is_some() {
                2
            } else {
                1
            };
            let to = address(r.header("to").unwrap_or_default());
            *by_step.entry((to, step)).or_default() += 1;
        }
        let mut duplicates: Vec<String> = by_id
            .iter()
            .filter(|(_, n)| **n > 1)
            .map(|(id, n)| format!("{id} received {n} times"))
            .collect();
        duplicates.extend(
            by_step
                .iter()
                .filter(|(_, n)| **n > 1)
                .map(|((to, step), n)| format!("{to} step {step} received {n} times")),
        );
        let rows_by_step: HashMap<(&str, u32), &SendRow> = rows
            .iter()
            .map(|r| ((r.email.as_str(), r.step), r))
            .collect();
        let arrived = |row: &SendRow| {
            row.message_id
                .as_ref()
                .and_then(|id| by_id.get(id))
                .copied()
                .unwrap_or(0)
        };
        let (mut lost, mut unknown, mut unknown_received) = (Vec::new(), 0, 0);
        for email in leads {
            for step in 1..=steps {
                match rows_by_step.get(&(email.as_str(), step)) {
                    Some(row) if row.state == "unknown" => {
                        unknown += 1;
                        unknown_received += usize::from(arrived(row) > 0);
                        break; // parked: later steps are not owed
                    }
                    Some(row) if row.state == "sent" => {
                        if arrived(row) == 0 {
                            lost.push(format!("{email} step {step}: sent, never received"));
                        }
                    }
                    Some(row) => lost.push(format!("{email} step {step}: left {}", row.state)),
                    None => lost.push(format!("{email} step {step}: never sent")),
                }
            }
        }
        let settled: HashMap<&str, &str> = rows
            .iter()
            .filter_map(|r| r.message_id.as_deref().map(|id| (id, r.state.as_str())))
            .collect();
        let unaccounted = by_id
            .keys()
            .filter(|id| !matches!(settled.get(id.as_str()), Some(&"sent" | &"unknown")))
            .map(|id| format!("{id} received, row {:?}", settled.get(id.as_str())))
            .collect();
        let mut unknown_reasons = std::collections::BTreeMap::new();
        for row in rows.iter().filter(|r| r.state == "unknown") {
            let reason = row.last_error.clone().unwrap_or_default();
            *unknown_reasons.entry(reason).or_default() += 1;
        }
        Self {
            received: dumps.len(),
            unknown,
            unknown_received,
            unknown_reasons,
            duplicates,
            lost,
            unaccounted,
        }
    }

    /// The step contract's promise: nothing twice, nothing silently lost.
    pub fn assert_nothing_lost_nothing_twice(&self) {
        assert!(
            self.duplicates.is_empty() && self.lost.is_empty() && self.unaccounted.is_empty(),
            "{self}"
        );
    }
}

impl fmt::Display for Ledger {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let first = |v: &[String]| v.iter().take(5).cloned().collect::<Vec<_>>().join("; ");
        write!(
            f,
            "received {}, unknown {} ({} of them received; {:?}), duplicates {} [{}], \
             lost {} [{}], unaccounted {} [{}]",
            self.received,
            self.unknown,
            self.unknown_received,
            self.unknown_reasons,
            self.duplicates.len(),
            first(&self.duplicates),
            self.lost.len(),
            first(&self.lost),
            self.unaccounted.len(),
            first(&self.unaccounted),
        )
    }
}

/// `lead1@rcpt.test` out of `"Lead1" <lead1@rcpt.test>`, lower-cased.
fn address(header: &str) -> String {
    let inner = match (header.rfind('<'), header.rfind('>')) {
        (Some(open), Some(close)) if open < close => &header[open + 1..close],
        _ => header,
    };
    inner.trim().to_lowercase()
}

const SEND_ROWS: &str = "SELECT lower(l.email), es.step_order, es.state, es.message_id, \
     es.last_error \
     FROM email_sends es JOIN campaign_leads cl ON cl.id = es.campaign_lead_id \
     JOIN leads l ON l.id = cl.lead_id";
const LEAD_EMAILS: &str =
    "SELECT lower(l.email) FROM campaign_leads cl JOIN leads l ON l.id = cl.lead_id";

/// Every send row of the database (each test database holds one campaign).
pub async fn send_rows(url: &str) -> Vec<SendRow> {
    type Row = (String, i32, String, Option<String>, Option<String>);
    let rows: Vec<Row> = if url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::query_as(SEND_ROWS)
            .fetch_all(&mut conn)
            .await
            .expect("send rows")
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::query_as(SEND_ROWS)
            .fetch_all(&mut conn)
            .await
            .expect("send rows")
    };
    rows.into_iter()
        .map(|(email, step, state, message_id, last_error)| SendRow {
            email,
            step: u32::try_from(step).expect("positive step"),
            state,
            message_id,
            last_error,
        })
        .collect()
}

/// The address of every enrolled lead.
pub async fn lead_emails(url: &str) -> Vec<String> {
    if url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::query_scalar(LEAD_EMAILS)
            .fetch_all(&mut conn)
            .await
            .expect("lead emails")
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::query_scalar(LEAD_EMAILS)
            .fetch_all(&mut conn)
            .await
            .expect("lead emails")
    }
}

#[test]
fn an_address_is_read_out_of_a_to_header() {
    assert_eq!(address("\"Lead1\" <Lead1@rcpt.test>"), "lead1@rcpt.test");
    assert_eq!(address("lead2@rcpt.test"), "lead2@rcpt.test");
}
