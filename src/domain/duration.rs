//! `HumanDuration`: durations written with units, as admins type them in config files.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DurationParseError {
    #[error("duration is empty")]
    Empty,
    #[error(
        "duration {0:?} is not a number followed by a unit (ms, s, m, h, d, w), e.g. \"90s\", \"3d\", \"1h30m\""
    )]
    Malformed(String),
    #[error("duration {0:?} has unknown unit {1:?} (use ms, s, m, h, d or w)")]
    UnknownUnit(String, String),
    #[error("duration {0:?} is too large")]
    Overflow(String),
}

/// A duration parsed from `"3d"`, `"4h"`, `"90s"`, `"250ms"` or compounds like `"1h30m"`.
///
/// A bare `"0"` is accepted (it is unambiguous); any other bare number is rejected, because
/// "is 30 seconds or minutes?" is exactly the mistake units exist to prevent.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct HumanDuration(Duration);

impl HumanDuration {
    pub const ZERO: Self = Self(Duration::ZERO);

    pub fn from_secs(secs: u64) -> Self {
        Self(Duration::from_secs(secs))
    }

    pub fn from_duration(d: Duration) -> Self {
        Self(d)
    }

    pub fn parse(input: &str) -> Result<Self, DurationParseError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(DurationParseError::Empty);
        }
        if s == "0" {
            return Ok(Self::ZERO);
        }
        let mut total = Duration::ZERO;
        let mut rest = s;
        while !rest.is_empty() {
            let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 {
                return Err(DurationParseError::Malformed(s.to_owned()));
            }
            let number: u64 = rest[..digits]
                .parse()
                .map_err(|_| DurationParseError::Overflow(s.to_owned()))?;
            rest = rest[digits..].trim_start();
            let unit_len = rest.chars().take_while(|c| c.is_ascii_alphabetic()).count();
            if unit_len == 0 {
                return Err(DurationParseError::Malformed(s.to_owned()));
            }
            let unit = &rest[..unit_len];
            rest = rest[unit_len..].trim_start();
            let millis_per_unit: u64 = match unit {
                "ms" => 1,
                "s" | "sec" | "secs" | "second" | "seconds" => 1_000,
                "m" | "min" | "mins" | "minute" | "minutes" => 60_000,
                "h" | "hr" | "hrs" | "hour" | "hours" => 3_600_000,
                "d" | "day" | "days" => 86_400_000,
                "w" | "week" | "weeks" => 604_800_000,
                other => {
                    return Err(DurationParseError::UnknownUnit(
                        s.to_owned(),
                        other.to_owned(),
                    ));
                }
            };
            let millis = number
                .checked_mul(millis_per_unit)
                .ok_or_else(|| DurationParseError::Overflow(s.to_owned()))?;
            total = total
                .checked_add(Duration::from_millis(millis))
                .ok_or_else(|| DurationParseError::Overflow(s.to_owned()))?;
        }
        Ok(Self(total))
    }

    pub fn as_duration(&self) -> Duration {
        self.0
    }

    pub fn as_secs(&self) -> u64 {
        self.0.as_secs()
    }

    /// As a chrono duration for schedule arithmetic. Saturates at chrono's range (centuries).
    pub fn to_chrono(&self) -> chrono::TimeDelta {
        chrono::TimeDelta::from_std(self.0).unwrap_or(chrono::TimeDelta::MAX)
    }
}

impl fmt::Display for HumanDuration {
    /// Canonical form, largest units first: `"1d2h"`, `"90s"` becomes `"1m30s"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ms = self.0.as_millis();
        if ms == 0 {
            return f.write_str("0s");
        }
        for (unit, size) in [
            ("d", 86_400_000u128),
            ("h", 3_600_000),
            ("m", 60_000),
            ("s", 1_000),
            ("ms", 1),
        ] {
            if ms >= size {
                write!(f, "{}{}", ms / size, unit)?;
                ms %= size;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for HumanDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HumanDuration({self})")
    }
}

impl TryFrom<String> for HumanDuration {
    type Error = DurationParseError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<HumanDuration> for String {
    fn from(d: HumanDuration) -> Self {
        d.to_string()
    }
}

impl std::str::FromStr for HumanDuration {
    type Err = DurationParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_compounds_parse() {
        assert_eq!(HumanDuration::parse("3d").unwrap().as_secs(), 3 * 86_400);
        assert_eq!(HumanDuration::parse("90s").unwrap().as_secs(), 90);
        assert_eq!(HumanDuration::parse("1h30m").unwrap().as_secs(), 5_400);
        assert_eq!(
            HumanDuration::parse("250ms").unwrap().as_duration(),
            Duration::from_millis(250)
        );
        assert_eq!(HumanDuration::parse("0").unwrap(), HumanDuration::ZERO);
        assert_eq!(
            HumanDuration::parse("2 days").unwrap().as_secs(),
            2 * 86_400
        );
    }

    #[test]
    fn display_round_trips() {
        for s in ["3d", "1m30s", "4h", "250ms", "0s", "1d2h3m4s"] {
            let d = HumanDuration::parse(s).unwrap();
            assert_eq!(HumanDuration::parse(&d.to_string()).unwrap(), d);
        }
        assert_eq!(HumanDuration::parse("90s").unwrap().to_string(), "1m30s");
    }

    #[test]
    fn bare_numbers_and_unknown_units_are_rejected() {
        assert!(matches!(
            HumanDuration::parse("30"),
            Err(DurationParseError::Malformed(_))
        ));
        assert!(
            matches!(HumanDuration::parse("3y"), Err(DurationParseError::UnknownUnit(_, u)) if u == "y")
        );
        assert!(matches!(
            HumanDuration::parse(""),
            Err(DurationParseError::Empty)
        ));
        assert!(HumanDuration::parse("-3d").is_err());
        assert!(HumanDuration::parse("99999999999999999999d").is_err());
    }
}
