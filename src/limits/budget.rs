//! `SendBudget`: hourly and daily caps with a warm-up ramp, for one mailbox, on its local day.
//! The caps themselves are the gate functions [`daily_gate`] and [`hourly_gate`]: the mailbox
//! actor reaches them through its budget, `explain` calls them on the store's counts.

use std::collections::VecDeque;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use chrono_tz::Tz;

use crate::domain::{Mailbox, Warmup, resolve_local};

#[derive(Clone, Debug)]
pub struct BudgetConfig {
    pub daily_cap: u32,
    pub hourly_cap: Option<u32>,
    pub warmup: Option<Warmup>,
    /// The local date warm-up began (day 0 sends `start_per_day`).
    pub warmup_started_on: NaiveDate,
    /// Whose midnight starts a new day.
    pub timezone: Tz,
}

impl BudgetConfig {
    /// The caps of a stored mailbox, as its actor uses them.
    pub fn for_mailbox(mailbox: &Mailbox) -> Self {
        let timezone: Tz = mailbox.timezone.parse().unwrap_or(Tz::UTC);
        Self {
            daily_cap: mailbox.daily_cap,
            hourly_cap: mailbox.hourly_cap.filter(|c| *c > 0),
            warmup: mailbox.warmup,
            warmup_started_on: mailbox.warmup_started_on,
            timezone,
        }
    }

    /// The daily cap in force on `date`: the warm-up ramp, never above `daily_cap`.
    pub fn cap_on(&self, date: NaiveDate) -> u32 {
        let cap = self.daily_cap;
        match self.warmup {
            None => cap,
            Some(w) => {
                let days = (date - self.warmup_started_on).num_days().max(0);
                let ramp =
                    u64::from(w.start_per_day) + u64::from(w.increment_per_day) * days as u64;
                cap.min(u32::try_from(ramp).unwrap_or(u32::MAX))
            }
        }
    }
}

/// `Ok` if one more send fits under `cap` on local day `day` (in `timezone`), with `sent` sent
/// and `pending` admitted but not yet recorded; else blocked until the next local midnight.
pub fn daily_gate(
    sent: u32,
    pending: u32,
    cap: u32,
    day: NaiveDate,
    timezone: Tz,
) -> Result<(), Blocked> {
    if sent.saturating_add(pending) >= cap {
        let tomorrow = day.succ_opt().unwrap_or(day);
        return Err(Blocked {
            cap: CapKind::Daily,
            until: resolve_local(tomorrow, 0, timezone),
        });
    }
    Ok(())
}

/// `Ok` if one more send fits under the hourly `cap` at `now`, given the send times of the last
/// hour (`last_hour`, oldest first) and `pending` admitted sends; else blocked until the oldest
/// leaves the hour.
pub fn hourly_gate(
    cap: Option<u32>,
    last_hour: &[DateTime<Utc>],
    pending: u32,
    now: DateTime<Utc>,
) -> Result<(), Blocked> {
    if let Some(hourly) = cap
        && last_hour.len() + pending as usize >= hourly as usize
    {
        let oldest = last_hour.first().copied().unwrap_or(now);
        return Err(Blocked {
            cap: CapKind::Hourly,
            until: oldest + TimeDelta::hours(1),
        });
    }
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CapKind {
    Daily,
    Hourly,
}

/// Why a send cannot happen now, and when it can.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Blocked {
    pub cap: CapKind,
    pub until: DateTime<Utc>,
}

impl Blocked {
    /// Why a job is released, as the mailbox actor records it on the send.
    pub fn reason(&self) -> &'static str {
        match self.cap {
            CapKind::Daily => "mailbox daily cap reached",
            CapKind::Hourly => "mailbox hourly cap reached",
        }
    }
}

#[derive(Clone, Debug)]
pub struct SendBudget {
    config: BudgetConfig,
    day: NaiveDate,
    sent_today: u32,
    /// Send times within the last hour, oldest first.
    last_hour: VecDeque<DateTime<Utc>>,
}

impl SendBudget {
    /// Seeds the budget from the store: `sent_today` is the authoritative count for the local
    /// date of `now`; `recent` the send times of the last hour.
    pub fn new(
        config: BudgetConfig,
        now: DateTime<Utc>,
        sent_today: u32,
        recent: &[DateTime<Utc>],
    ) -> Self {
        let day = now.with_timezone(&config.timezone).date_naive();
        let mut last_hour: VecDeque<_> = recent.iter().copied().collect();
        last_hour.make_contiguous().sort();
        Self {
            config,
            day,
            sent_today,
            last_hour,
        }
    }

    pub fn config(&self) -> &BudgetConfig {
        &self.config
    }

    /// Replaces the limits (config reload) keeping the counts.
    pub fn reconfigure(&mut self, config: BudgetConfig) {
        self.config = config;
    }

    /// The daily cap in force on `date`: the warm-up ramp, never above `daily_cap`.
    pub fn daily_cap_on(&self, date: NaiveDate) -> u32 {
        self.config.cap_on(date)
    }

    fn roll(&mut self, now: DateTime<Utc>) {
        let today = now.with_timezone(&self.config.timezone).date_naive();
        if today != self.day {
            self.day = today;
            self.sent_today = 0;
        }
        let hour_ago = now - TimeDelta::hours(1);
        while self.last_hour.front().is_some_and(|t| *t <= hour_ago) {
            self.last_hour.pop_front();
        }
    }

    /// Sends still allowed today (0 when a cap binds).
    pub fn remaining_today(&mut self, now: DateTime<Utc>) -> u32 {
        self.roll(now);
        self.daily_cap_on(self.day).saturating_sub(self.sent_today)
    }

    pub fn sent_today(&self) -> u32 {
        self.sent_today
    }

    /// `Ok` if one more send fits now; otherwise which cap binds and until when.
    pub fn check(&mut self, now: DateTime<Utc>) -> Result<(), Blocked> {
        self.check_with_pending(now, 0)
    }

    /// Like [`SendBudget::check`], counting `pending` sends already admitted but not yet
    /// recorded (a batch in flight), so a batch can never overshoot a cap.
    pub fn check_with_pending(&mut self, now: DateTime<Utc>, pending: u32) -> Result<(), Blocked> {
        self.roll(now);
        let cap = self.daily_cap_on(self.day);
        daily_gate(
            self.sent_today,
            pending,
            cap,
            self.day,
            self.config.timezone,
        )?;
        hourly_gate(
            self.config.hourly_cap,
            self.last_hour.make_contiguous(),
            pending,
            now,
        )
    }

    /// Counts a send (or an ambiguous one: the server may have accepted it).
    pub fn record(&mut self, now: DateTime<Utc>) {
        self.roll(now);
        self.sent_today = self.sent_today.saturating_add(1);
        if self.config.hourly_cap.is_some() {
            self.last_hour.push_back(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn config(daily: u32, hourly: Option<u32>, warmup: Option<Warmup>) -> BudgetConfig {
        BudgetConfig {
            daily_cap: daily,
            hourly_cap: hourly,
            warmup,
            warmup_started_on: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            timezone: chrono_tz::Europe::Berlin,
        }
    }

    #[test]
    fn the_daily_cap_blocks_until_local_midnight() {
        let now = at("2026-11-23T10:00:00Z");
        let mut b = SendBudget::new(config(3, None, None), now, 2, &[]);
        assert_eq!(b.check(now), Ok(()));
        b.record(now);
        let blocked = b.check(now).unwrap_err();
        assert_eq!(blocked.cap, CapKind::Daily);
        // Berlin midnight is 23:00 UTC in winter.
        assert_eq!(blocked.until, at("2026-11-23T23:00:00Z"));
        assert_eq!(b.check(at("2026-11-23T23:00:01Z")), Ok(()));
    }

    #[test]
    fn a_restart_seeded_from_the_store_grants_no_fresh_burst() {
        let now = at("2026-11-23T10:00:00Z");
        let mut b = SendBudget::new(config(50, None, None), now, 50, &[]);
        assert!(b.check(now).is_err());
        assert_eq!(b.remaining_today(now), 0);
    }

    #[test]
    fn the_hourly_cap_frees_a_slot_an_hour_after_the_oldest_send() {
        let t0 = at("2026-11-23T10:00:00Z");
        let mut b = SendBudget::new(config(100, Some(2), None), t0, 0, &[]);
        b.record(t0);
        b.record(t0 + TimeDelta::minutes(10));
        let blocked = b.check(t0 + TimeDelta::minutes(20)).unwrap_err();
        assert_eq!(
            (blocked.cap, blocked.until),
            (CapKind::Hourly, t0 + TimeDelta::hours(1))
        );
        assert_eq!(b.check(t0 + TimeDelta::minutes(61)), Ok(()));
    }

    #[test]
    fn pending_sends_count_against_the_caps() {
        let now = at("2026-11-23T10:00:00Z");
        let mut b = SendBudget::new(config(3, Some(2), None), now, 1, &[]);
        assert_eq!(b.check_with_pending(now, 0), Ok(()));
        assert_eq!(b.check_with_pending(now, 1), Ok(()));
        assert_eq!(
            b.check_with_pending(now, 2).unwrap_err().cap,
            CapKind::Daily
        );
        let mut h = SendBudget::new(config(100, Some(2), None), now, 0, &[]);
        assert_eq!(
            h.check_with_pending(now, 2).unwrap_err().cap,
            CapKind::Hourly
        );
    }

    #[test]
    fn warmup_ramps_up_to_the_cap() {
        let w = Warmup {
            start_per_day: 5,
            increment_per_day: 3,
        };
        let b = SendBudget::new(
            config(12, None, Some(w)),
            at("2026-11-23T10:00:00Z"),
            0,
            &[],
        );
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        assert_eq!(b.daily_cap_on(day(20)), 5);
        assert_eq!(b.daily_cap_on(day(21)), 8);
        assert_eq!(b.daily_cap_on(day(22)), 11);
        assert_eq!(b.daily_cap_on(day(23)), 12);
        assert_eq!(
            b.daily_cap_on(day(1)),
            5,
            "before the start date the ramp starts low"
        );
    }
}
