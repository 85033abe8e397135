//! `SendWindow`: the days and hours a campaign may send, e.g. Mon–Fri 09:00–17:00.
//!
//! Also the schedule math: [`SendWindow::next_open`] moves a due time to the window's next
//! opening in a time zone, correctly across DST changes (a skipped local time moves forward to
//! the first instant that exists; a repeated one takes its first occurrence).

use std::fmt;

use chrono::{
    DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveTime, TimeDelta, TimeZone, Timelike, Utc,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WindowParseError {
    #[error("unknown weekday {0:?} (use mon, tue, wed, thu, fri, sat, sun or ranges like mon-fri)")]
    BadDay(String),
    #[error("no weekdays given")]
    NoDays,
    #[error("time {0:?} is not HH:MM between 00:00 and 24:00")]
    BadTime(String),
    #[error("window start {start} is not before its end {end}")]
    Empty { start: String, end: String },
}

/// A set of weekdays, bit 0 = Monday … bit 6 = Sunday.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Weekdays(u8);

const DAY_NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

impl Weekdays {
    pub const ALL: Self = Self(0b111_1111);
    pub const WORKDAYS: Self = Self(0b001_1111);

    pub fn from_bits(bits: u8) -> Self {
        Self(bits & 0b111_1111)
    }

    pub fn bits(&self) -> u8 {
        self.0
    }

    pub fn contains(&self, day: chrono::Weekday) -> bool {
        self.0 & (1 << day.num_days_from_monday()) != 0
    }

    /// Parses `"mon-fri"`, `"mon,wed,fri"`, `"sat-sun"` or `"all"`.
    pub fn parse(s: &str) -> Result<Self, WindowParseError> {
        let s = s.trim().to_lowercase();
        if s == "all" || s == "every day" {
            return Ok(Self::ALL);
        }
        let index = |d: &str| -> Result<u8, WindowParseError> {
            let d = d.trim();
            const FULL: [&str; 7] = [
                "monday",
                "tuesday",
                "wednesday",
                "thursday",
                "friday",
                "saturday",
                "sunday",
            ];
            (0..7u8)
                .find(|&i| d == DAY_NAMES[i as usize] || d == FULL[i as usize])
                .ok_or_else(|| WindowParseError::BadDay(d.to_owned()))
        };
        let mut bits = 0u8;
        for part in s.split(',').filter(|p| !p.trim().is_empty()) {
            match part.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (index(a)?, index(b)?);
                    let mut i = a;
                    loop {
                        bits |= 1 << i;
                        if i == b {
                            break;
                        }
                        i = (i + 1) % 7;
                    }
                }
                None => bits |= 1 << index(part)?,
            }
        }
        if bits == 0 {
            return Err(WindowParseError::NoDays);
        }
        Ok(Self(bits))
    }
}

impl fmt::Display for Weekdays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let days: Vec<&str> = (0..7)
            .filter(|i| self.0 & (1 << i) != 0)
            .map(|i| DAY_NAMES[i])
            .collect();
        f.write_str(&days.join(","))
    }
}

impl fmt::Debug for Weekdays {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Weekdays({self})")
    }
}

/// Sending hours on some weekdays, in minutes after local midnight: `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "WindowRepr", into = "WindowRepr")]
pub struct SendWindow {
    pub days: Weekdays,
    pub start_minute: u16,
    pub end_minute: u16,
}

impl SendWindow {
    /// Every day, all day: no restriction.
    pub const ALWAYS: Self = Self {
        days: Weekdays::ALL,
        start_minute: 0,
        end_minute: 24 * 60,
    };

    pub fn parse(days: &str, start: &str, end: &str) -> Result<Self, WindowParseError> {
        let window = Self {
            days: Weekdays::parse(days)?,
            start_minute: parse_hhmm(start)?,
            end_minute: parse_hhmm(end)?,
        };
        if window.start_minute >= window.end_minute {
            return Err(WindowParseError::Empty {
                start: start.to_owned(),
                end: end.to_owned(),
            });
        }
        Ok(window)
    }

    pub fn start_hhmm(&self) -> String {
        format_hhmm(self.start_minute)
    }

    pub fn end_hhmm(&self) -> String {
        format_hhmm(self.end_minute)
    }
}

impl SendWindow {
    /// True when `at` falls inside the window in zone `tz`.
    pub fn is_open(&self, at: DateTime<Utc>, tz: Tz) -> bool {
        let local = at.with_timezone(&tz);
        let minute = (local.hour() * 60 + local.minute()) as u16;
        self.days.contains(local.weekday())
            && minute >= self.start_minute
            && minute < self.end_minute
    }

    /// The earliest instant at or after `at` when the window is open in zone `tz`. Never earlier
    /// than `at`: a due row is never sent early, only moved to the next opening.
    pub fn next_open(&self, at: DateTime<Utc>, tz: Tz) -> DateTime<Utc> {
        if self.is_open(at, tz) {
            return at;
        }
        let today = at.with_timezone(&tz).date_naive();
        // Eight days always reach an allowed weekday (`days` is never empty).
        for offset in 0..8 {
            let Some(day) = today.checked_add_days(Days::new(offset)) else {
                break;
            };
            if !self.days.contains(day.weekday()) {
                continue;
            }
            let opening = resolve_local(day, self.start_minute, tz);
            if opening >= at {
                return opening;
            }
            // Today's opening has passed: if we are still before today's close we would have been
            // open above (or inside a DST gap), so try the next day.
        }
        at
    }
}

/// The UTC instant of `minute` after local midnight on `day` in `tz`. A time skipped by a DST
/// jump resolves to the first existing instant after it; a repeated time to its first occurrence.
pub fn resolve_local(day: NaiveDate, minute: u16, tz: Tz) -> DateTime<Utc> {
    let midnight = day.and_time(NaiveTime::MIN);
    let mut local = midnight + TimeDelta::minutes(i64::from(minute));
    // DST gaps are at most a few hours; step forward a minute at a time (bounded) to the first
    // local time that exists.
    for _ in 0..(6 * 60) {
        match tz.from_local_datetime(&local) {
            LocalResult::Single(t) => return t.with_timezone(&Utc),
            LocalResult::Ambiguous(first, _) => return first.with_timezone(&Utc),
            LocalResult::None => local += TimeDelta::minutes(1),
        }
    }
    // Unreachable for real zones; fall back to reading the time as UTC.
    Utc.from_utc_datetime(&local)
}

impl Default for SendWindow {
    fn default() -> Self {
        Self::ALWAYS
    }
}

fn parse_hhmm(s: &str) -> Result<u16, WindowParseError> {
    let bad = || WindowParseError::BadTime(s.to_owned());
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

fn format_hhmm(minute: u16) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

/// The TOML/JSON form: `{ days = "mon-fri", start = "09:00", end = "17:00" }`.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WindowRepr {
    #[serde(default = "all_days")]
    days: String,
    #[serde(default = "midnight")]
    start: String,
    #[serde(default = "end_of_day")]
    end: String,
}

fn all_days() -> String {
    "mon-sun".into()
}
fn midnight() -> String {
    "00:00".into()
}
fn end_of_day() -> String {
    "24:00".into()
}

impl TryFrom<WindowRepr> for SendWindow {
    type Error = WindowParseError;
    fn try_from(r: WindowRepr) -> Result<Self, Self::Error> {
        Self::parse(&r.days, &r.start, &r.end)
    }
}

impl From<SendWindow> for WindowRepr {
    fn from(w: SendWindow) -> Self {
        Self {
            days: w.days.to_string(),
            start: w.start_hhmm(),
            end: w.end_hhmm(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekday_ranges_and_lists_parse() {
        assert_eq!(Weekdays::parse("mon-fri").unwrap(), Weekdays::WORKDAYS);
        assert_eq!(
            Weekdays::parse("Monday-Friday").unwrap(),
            Weekdays::WORKDAYS
        );
        assert_eq!(Weekdays::parse("sat,sun").unwrap().to_string(), "sat,sun");
        assert_eq!(
            Weekdays::parse("fri-mon").unwrap().to_string(),
            "mon,fri,sat,sun"
        );
        assert!(matches!(
            Weekdays::parse("funday"),
            Err(WindowParseError::BadDay(_))
        ));
        assert!(matches!(Weekdays::parse(""), Err(WindowParseError::NoDays)));
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_time_inside_the_window_is_due_as_is() {
        let w = SendWindow::parse("mon-fri", "09:00", "17:00").unwrap();
        // Tuesday 2026-11-24 10:00 in New York = 15:00 UTC.
        let at = utc("2026-11-24T15:00:00Z");
        assert!(w.is_open(at, chrono_tz::America::New_York));
        assert_eq!(w.next_open(at, chrono_tz::America::New_York), at);
    }

    #[test]
    fn friday_evening_moves_to_monday_morning_in_the_campaign_zone() {
        let w = SendWindow::parse("mon-fri", "09:00", "17:00").unwrap();
        // Friday 2026-11-27 18:00 New York (23:00 UTC) -> Monday 09:00 New York (14:00 UTC).
        let next = w.next_open(utc("2026-11-27T23:00:00Z"), chrono_tz::America::New_York);
        assert_eq!(next, utc("2026-11-30T14:00:00Z"));
    }

    #[test]
    fn before_opening_moves_to_todays_opening_and_never_earlier() {
        let w = SendWindow::parse("mon-sun", "09:00", "17:00").unwrap();
        let at = utc("2026-11-24T06:30:00Z");
        assert_eq!(w.next_open(at, chrono_tz::UTC), utc("2026-11-24T09:00:00Z"));
        for minutes in (0..7 * 24 * 60).step_by(37) {
            let t = at + TimeDelta::minutes(minutes);
            let n = w.next_open(t, chrono_tz::Europe::Berlin);
            assert!(
                n >= t && w.is_open(n, chrono_tz::Europe::Berlin),
                "{t} -> {n}"
            );
        }
    }

    #[test]
    fn an_opening_skipped_by_spring_forward_moves_to_the_first_real_instant() {
        // 2026-03-08: New York clocks jump from 02:00 to 03:00; 02:30 does not exist.
        let w = SendWindow::parse("sun", "02:30", "05:00").unwrap();
        let next = w.next_open(utc("2026-03-08T05:00:00Z"), chrono_tz::America::New_York);
        assert_eq!(next, utc("2026-03-08T07:00:00Z")); // 03:00 EDT
    }

    #[test]
    fn an_opening_repeated_by_fall_back_takes_the_first_occurrence() {
        // 2026-10-25: Berlin clocks go from 03:00 back to 02:00; 02:30 happens twice.
        let w = SendWindow::parse("sun", "02:30", "05:00").unwrap();
        let next = w.next_open(utc("2026-10-24T22:00:00Z"), chrono_tz::Europe::Berlin);
        assert_eq!(next, utc("2026-10-25T00:30:00Z")); // 02:30 CEST (+02:00)
    }

    #[test]
    fn windows_parse_and_reject_empty_ranges() {
        let w = SendWindow::parse("mon-fri", "09:00", "17:30").unwrap();
        assert_eq!((w.start_minute, w.end_minute), (540, 1050));
        assert_eq!(w.end_hhmm(), "17:30");
        assert!(matches!(
            SendWindow::parse("mon", "17:00", "09:00"),
            Err(WindowParseError::Empty { .. })
        ));
        assert!(matches!(
            SendWindow::parse("mon", "25:00", "26:00"),
            Err(WindowParseError::BadTime(_))
        ));
    }
}
