//! Caps written as a count or as a rate: `daily_cap = 50` and `daily_cap = "50/day"` are the
//! same cap, and `hourly_cap = "8/h"` is `hourly_cap = 8`.
//!
//! The rate's period must be the key's own: a daily cap per day, an hourly cap per hour. The
//! period may be written in any unit (`"50/24h"` is `"50/day"`), but a rate over another period
//! is refused rather than converted, because a cap per week is not a cap per day (the whole
//! week's sends could go out on its first day).

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use super::RateSpec;

/// Seconds in the period of a daily cap.
pub const DAY: u64 = 86_400;
/// Seconds in the period of an hourly cap.
pub const HOUR: u64 = 3_600;

/// A cap over `PERIOD` seconds, read from a count (`50`, or `"50"` from an environment
/// variable) or a rate (`"50/day"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cap<const PERIOD: u64>(pub u32);

/// `mailbox_defaults.daily_cap`, a mailbox's `daily_cap`.
pub type DailyCap = Cap<DAY>;
/// `mailbox_defaults.hourly_cap`, a mailbox's `hourly_cap`.
pub type HourlyCap = Cap<HOUR>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CapParseError {
    #[error("{key} {value:?} is neither a count nor a rate: {reason}")]
    Malformed {
        key: &'static str,
        value: String,
        reason: String,
    },
    #[error(
        "{key} {value:?} is a rate per {got}; {key} takes a count per {want} (e.g. \"50/{want}\")"
    )]
    WrongPeriod {
        key: &'static str,
        value: String,
        got: String,
        want: &'static str,
    },
}

impl<const PERIOD: u64> Cap<PERIOD> {
    /// The key this cap is written under, for messages.
    pub fn key() -> &'static str {
        match PERIOD {
            DAY => "daily_cap",
            HOUR => "hourly_cap",
            _ => "cap",
        }
    }

    fn unit() -> &'static str {
        match PERIOD {
            DAY => "day",
            HOUR => "h",
            _ => "period",
        }
    }

    pub fn parse(input: &str) -> Result<Self, CapParseError> {
        let text = input.trim();
        if let Ok(count) = text.replace('_', "").parse::<u32>() {
            return Ok(Self(count));
        }
        let rate = RateSpec::parse(text).map_err(|e| CapParseError::Malformed {
            key: Self::key(),
            value: input.to_owned(),
            reason: e.to_string(),
        })?;
        if rate.period() != Duration::from_secs(PERIOD) {
            let got = RateSpec::new(1, rate.period()).to_string();
            return Err(CapParseError::WrongPeriod {
                key: Self::key(),
                value: input.to_owned(),
                got: got.trim_start_matches("1/").to_owned(),
                want: Self::unit(),
            });
        }
        Ok(Self(rate.count()))
    }
}

impl<'de, const PERIOD: u64> Deserialize<'de> for Cap<PERIOD> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<const P: u64>;

        impl<const P: u64> serde::de::Visitor<'_> for Visitor<P> {
            type Value = Cap<P>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a count or a rate such as \"50/{}\"", Cap::<P>::unit())
            }

            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                u32::try_from(v)
                    .map(Cap)
                    .map_err(|_| E::custom(format!("{} {v} is too large", Cap::<P>::key())))
            }

            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                u64::try_from(v)
                    .map_err(|_| E::custom(format!("{} {v} is negative", Cap::<P>::key())))
                    .and_then(|v| self.visit_u64(v))
            }

            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Cap::parse(v).map_err(E::custom)
            }
        }

        deserializer.deserialize_any(Visitor::<PERIOD>)
    }
}

/// `#[serde(deserialize_with)]` for a `u32` daily cap.
pub fn deserialize_daily_cap<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    DailyCap::deserialize(d).map(|c| c.0)
}

/// `#[serde(deserialize_with)]` for a `u32` hourly cap.
pub fn deserialize_hourly_cap<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
    HourlyCap::deserialize(d).map(|c| c.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct Doc {
        daily_cap: DailyCap,
        hourly_cap: Option<HourlyCap>,
    }

    fn doc(text: &str) -> Result<Doc, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    #[test]
    fn a_count_and_a_rate_over_the_keys_period_are_the_same_cap() {
        for text in [
            "daily_cap = 50",
            "daily_cap = \"50/day\"",
            "daily_cap = \"50/24h\"",
            "daily_cap = \"50\"",
        ] {
            assert_eq!(doc(text).unwrap().daily_cap, Cap(50), "{text}");
        }
        let hourly = doc("daily_cap = 1\nhourly_cap = \"8/h\"").unwrap();
        assert_eq!(hourly.hourly_cap, Some(Cap(8)));
        let minutes = doc("daily_cap = 1\nhourly_cap = \"8/60m\"").unwrap();
        assert_eq!(minutes.hourly_cap, Some(Cap(8)));
    }

    #[test]
    fn a_rate_over_another_period_is_refused_naming_the_key() {
        let err = doc("daily_cap = \"350/week\"").unwrap_err();
        assert!(
            err.contains("daily_cap \"350/week\" is a rate per week") && err.contains("\"50/day\""),
            "{err}"
        );
        let err = doc("daily_cap = 1\nhourly_cap = \"100/day\"").unwrap_err();
        assert!(
            err.contains("hourly_cap \"100/day\" is a rate per day"),
            "{err}"
        );
    }

    #[test]
    fn a_malformed_cap_names_the_key_and_the_defect() {
        let err = doc("daily_cap = \"lots\"").unwrap_err();
        assert!(
            err.contains("daily_cap \"lots\" is neither a count nor a rate"),
            "{err}"
        );
        let err = doc("daily_cap = -1").unwrap_err();
        assert!(err.contains("negative"), "{err}");
    }
}
