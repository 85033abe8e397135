//! `RateSpec`: "N per period" limits such as `"50/day"` or `"30/min"`.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateParseError {
    #[error(
        "rate {0:?} is not of the form \"N/period\", e.g. \"50/day\", \"30/min\", \"500/h\", \"10/5m\""
    )]
    Malformed(String),
    #[error("rate {0:?} has an invalid count: {1}")]
    BadCount(String, String),
    #[error(
        "rate {0:?} has unknown period {1:?} (use s, min, h, day, week, optionally with a multiplier like 5m)"
    )]
    BadPeriod(String, String),
    #[error("rate {0:?} has a zero period")]
    ZeroPeriod(String),
}

/// At most `count` events per `period`. Parsed from strings so config files say what they mean
/// (the KumoMTA `ThrottleSpec` convention): `"50/day"`, `"30/min"`, `"500/h"`, `"10/5m"`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RateSpec {
    count: u32,
    period: Duration,
}

impl RateSpec {
    pub fn new(count: u32, period: Duration) -> Self {
        Self { count, period }
    }

    pub fn parse(input: &str) -> Result<Self, RateParseError> {
        let s = input.trim();
        let (count, period) = s
            .split_once('/')
            .ok_or_else(|| RateParseError::Malformed(s.to_owned()))?;
        let count: u32 =
            count
                .trim()
                .replace('_', "")
                .parse()
                .map_err(|e: std::num::ParseIntError| {
                    RateParseError::BadCount(s.to_owned(), e.to_string())
                })?;
        let period = period.trim();
        let digits = period.chars().take_while(|c| c.is_ascii_digit()).count();
        let multiplier: u64 = if digits == 0 {
            1
        } else {
            period[..digits]
                .parse()
                .map_err(|_| RateParseError::BadPeriod(s.to_owned(), period.to_owned()))?
        };
        let unit_secs: u64 = match period[digits..].trim() {
            "s" | "sec" | "second" => 1,
            "m" | "min" | "minute" => 60,
            "h" | "hr" | "hour" => 3_600,
            "d" | "day" => 86_400,
            "w" | "week" => 604_800,
            other => return Err(RateParseError::BadPeriod(s.to_owned(), other.to_owned())),
        };
        let secs = multiplier
            .checked_mul(unit_secs)
            .ok_or_else(|| RateParseError::BadPeriod(s.to_owned(), period.to_owned()))?;
        if secs == 0 {
            return Err(RateParseError::ZeroPeriod(s.to_owned()));
        }
        Ok(Self {
            count,
            period: Duration::from_secs(secs),
        })
    }

    pub fn count(&self) -> u32 {
        self.count
    }

    pub fn period(&self) -> Duration {
        self.period
    }

    /// Average spacing between events at this rate; `None` for a zero count (nothing allowed).
    pub fn interval(&self) -> Option<Duration> {
        (self.count > 0).then(|| self.period / self.count)
    }

    /// Events per second, for comparing rates with different periods.
    pub fn per_second(&self) -> f64 {
        f64::from(self.count) / self.period.as_secs_f64()
    }
}

impl fmt::Display for RateSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.period.as_secs();
        let period = match secs {
            1 => "s".to_owned(),
            60 => "min".to_owned(),
            3_600 => "h".to_owned(),
            86_400 => "day".to_owned(),
            604_800 => "week".to_owned(),
            s if s % 3_600 == 0 => format!("{}h", s / 3_600),
            s if s % 60 == 0 => format!("{}m", s / 60),
            s => format!("{s}s"),
        };
        write!(f, "{}/{}", self.count, period)
    }
}

impl fmt::Debug for RateSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RateSpec({self})")
    }
}

impl TryFrom<String> for RateSpec {
    type Error = RateParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<RateSpec> for String {
    fn from(r: RateSpec) -> Self {
        r.to_string()
    }
}

impl std::str::FromStr for RateSpec {
    type Err = RateParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_rates_parse() {
        let r = RateSpec::parse("50/day").unwrap();
        assert_eq!((r.count(), r.period().as_secs()), (50, 86_400));
        assert_eq!(RateSpec::parse("30/min").unwrap().period().as_secs(), 60);
        assert_eq!(RateSpec::parse("500/h").unwrap().count(), 500);
        assert_eq!(RateSpec::parse("10/5m").unwrap().period().as_secs(), 300);
        assert_eq!(RateSpec::parse(" 1_000 / hour ").unwrap().count(), 1_000);
    }

    #[test]
    fn display_round_trips() {
        for s in [
            "50/day", "30/min", "500/h", "10/5m", "7/s", "3/week", "2/90s",
        ] {
            let r = RateSpec::parse(s).unwrap();
            assert_eq!(RateSpec::parse(&r.to_string()).unwrap(), r, "{s}");
        }
    }

    #[test]
    fn bad_rates_name_the_defect() {
        assert!(matches!(
            RateSpec::parse("50"),
            Err(RateParseError::Malformed(_))
        ));
        assert!(matches!(
            RateSpec::parse("x/day"),
            Err(RateParseError::BadCount(..))
        ));
        assert!(matches!(
            RateSpec::parse("-1/day"),
            Err(RateParseError::BadCount(..))
        ));
        assert!(matches!(
            RateSpec::parse("5/fortnight"),
            Err(RateParseError::BadPeriod(..))
        ));
        assert!(matches!(
            RateSpec::parse("5/0m"),
            Err(RateParseError::ZeroPeriod(_))
        ));
    }

    #[test]
    fn interval_spreads_events_evenly() {
        assert_eq!(
            RateSpec::parse("60/min").unwrap().interval(),
            Some(Duration::from_secs(1))
        );
        assert_eq!(RateSpec::parse("0/min").unwrap().interval(), None);
    }
}
