//! What the limit tests look at besides message counts: when the sink received each
//! transaction (its dump file's mtime), where each lead stands and what each send row says (read
//! with plain SQL on either backend), and time zones chosen so a test never straddles a local
//! midnight or a window edge.

use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use outreachd::domain::CampaignId;
use sqlx::Connection;

/// A dump directory of our own for a [`crate::sink::Sink`]: its `-d` option comes after the
/// sink's own and wins, so every transaction lands here, where we can read the file times.
pub struct TimedDumps {
    dir: tempfile::TempDir,
}

impl TimedDumps {
    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        // smtp-sink writes as the postfix user.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o777))
            .expect("chmod");
        Self { dir }
    }

    /// Extra `Sink::start` arguments that send the dumps here.
    pub fn sink_args(&self) -> [String; 2] {
        [
            "-d".into(),
            format!("{}/%H%M%S.", self.dir.path().display()),
        ]
    }

    fn files(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.dir.path())
            .expect("read dump dir")
            .map(|e| e.expect("dir entry").path())
            .collect()
    }

    pub fn count(&self) -> usize {
        self.files().len()
    }

    /// Each transaction with the time its dump was last written (the end of its DATA), oldest
    /// first, once `expected` are there (or after 10 s).
    pub async fn received(&self, expected: usize) -> Vec<(SystemTime, String)> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.count() < expected && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Give a file being written a moment to be complete.
        tokio::time::sleep(Duration::from_millis(100)).await;
        let mut out: Vec<(SystemTime, String)> = self
            .files()
            .iter()
            .map(|f| {
                let at = std::fs::metadata(f)
                    .and_then(|m| m.modified())
                    .expect("mtime");
                let text = String::from_utf8_lossy(&std::fs::read(f).expect("dump")).into_owned();
                (at, text)
            })
            .collect();
        out.sort_by_key(|(at, _)| *at);
        out
    }
}

/// A fixed-offset zone (`Etc/GMT…`) whose local clock reads `hour`:MM right now (MM being the
/// UTC minute), with its name. Picking the zone from the clock keeps a test's local day and
/// window edges hours away, whenever it runs.
pub fn zone_at_local_hour(hour: i32) -> (String, Tz) {
    let utc_hour = Utc::now().hour() as i32;
    let mut offset = hour - utc_hour;
    if offset < -12 {
        offset += 24;
    }
    if offset > 14 {
        offset -= 24;
    }
    // The IANA Etc zones invert the sign: Etc/GMT-5 is UTC+5.
    let name = match offset {
        0 => "Etc/GMT".to_owned(),
        o if o > 0 => format!("Etc/GMT-{o}"),
        o => format!("Etc/GMT+{}", -o),
    };
    let tz: Tz = name.parse().expect("an Etc/GMT zone");
    (name, tz)
}

/// `hour`:00 local time in `tz` on `day`, as UTC.
pub fn local_time(tz: Tz, day: NaiveDate, hour: u32) -> DateTime<Utc> {
    let time = NaiveTime::from_hms_opt(hour, 0, 0).expect("valid hour");
    tz.from_local_datetime(&day.and_time(time))
        .single()
        .expect("fixed-offset zones have no gaps")
        .with_timezone(&Utc)
}

/// The next midnight in `tz` after `at`.
pub fn next_midnight(tz: Tz, at: DateTime<Utc>) -> DateTime<Utc> {
    let today = at.with_timezone(&tz).date_naive();
    local_time(tz, today.succ_opt().expect("a next day"), 0)
}

/// One campaign lead as the store has it.
#[derive(Debug)]
pub struct LeadRow {
    pub email: String,
    pub status: String,
    pub step: i64,
    pub next_scheduled_at: Option<DateTime<Utc>>,
}

/// One `email_sends` row.
#[derive(Debug)]
pub struct SendRow {
    pub email: String,
    pub step: i64,
    pub state: String,
    pub last_error: Option<String>,
    pub attempts: i64,
}

const LEADS_PG: &str = "SELECT l.email, cl.status, cl.current_step_order::bigint, \
    to_char(cl.next_scheduled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') \
    FROM campaign_leads cl JOIN leads l ON l.id = cl.lead_id \
    WHERE cl.campaign_id = $1 ORDER BY l.email";
const LEADS_SQLITE: &str = "SELECT l.email, cl.status, cl.current_step_order, \
    cl.next_scheduled_at FROM campaign_leads cl JOIN leads l ON l.id = cl.lead_id \
    WHERE cl.campaign_id = ?1 ORDER BY l.email";
const SENDS_PG: &str = "SELECT l.email, es.step_order::bigint, es.state, es.last_error, \
    es.attempts::bigint FROM email_sends es JOIN campaign_leads cl ON cl.id = es.campaign_lead_id \
    JOIN leads l ON l.id = cl.lead_id WHERE es.campaign_id = $1 ORDER BY l.email, es.step_order";
const SENDS_SQLITE: &str = "SELECT l.email, es.step_order, es.state, es.last_error, \
    es.attempts FROM email_sends es JOIN campaign_leads cl ON cl.id = es.campaign_lead_id \
    JOIN leads l ON l.id = cl.lead_id WHERE es.campaign_id = ?1 ORDER BY l.email, es.step_order";

type LeadTuple = (String, String, i64, Option<String>);
type SendTuple = (String, i64, String, Option<String>, i64);

/// Every lead of a campaign, by email.
pub async fn lead_rows(url: &str, campaign: CampaignId) -> Vec<LeadRow> {
    let rows: Vec<LeadTuple> = if url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::query_as(LEADS_PG)
            .bind(campaign.0)
            .fetch_all(&mut conn)
            .await
            .expect("query leads")
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::query_as(LEADS_SQLITE)
            .bind(campaign.0)
            .fetch_all(&mut conn)
            .await
            .expect("query leads")
    };
    rows.into_iter()
        .map(|(email, status, step, next)| LeadRow {
            email,
            status,
            step,
            next_scheduled_at: next.map(|t| parse_ts(&t)),
        })
        .collect()
}

/// Every send row of a campaign, by lead email and step.
pub async fn send_rows(url: &str, campaign: CampaignId) -> Vec<SendRow> {
    let rows: Vec<SendTuple> = if url.starts_with("postgres") {
        let mut conn = sqlx::PgConnection::connect(url).await.expect("connect");
        sqlx::query_as(SENDS_PG)
            .bind(campaign.0)
            .fetch_all(&mut conn)
            .await
            .expect("query sends")
    } else {
        let mut conn = sqlx::SqliteConnection::connect(url).await.expect("connect");
        sqlx::query_as(SENDS_SQLITE)
            .bind(campaign.0)
            .fetch_all(&mut conn)
            .await
            .expect("query sends")
    };
    rows.into_iter()
        .map(|(email, step, state, last_error, attempts)| SendRow {
            email,
            step,
            state,
            last_error,
            attempts,
        })
        .collect()
}

fn parse_ts(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("timestamp {text:?}: {e}"))
        .with_timezone(&Utc)
}

/// Polls `check` every 100 ms until it returns `Some`, failing with `what` after `limit`.
pub async fn eventually<T, F, Fut>(limit: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let start = Instant::now();
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Like `on_both_backends!`, for tests that reveal a bug not fixed yet: each is declared on both
/// backends (`postgres_ignored::name`, `sqlite_ignored::name`) and ignored with its reason, so
/// the suite stays green and `cargo test -- --ignored` shows the bug.
#[macro_export]
macro_rules! on_both_backends_ignored {
    ($($name:ident: $reason:literal),* $(,)?) => {
        mod postgres_ignored {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = $reason]
                async fn $name() {
                    super::$name($crate::support::TestBackend::Postgres).await
                }
            )*
        }
        mod sqlite_ignored {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                #[ignore = $reason]
                async fn $name() {
                    super::$name($crate::support::TestBackend::Sqlite).await
                }
            )*
        }
    };
}
