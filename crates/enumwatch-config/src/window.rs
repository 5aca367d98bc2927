//! `Window`: a duration written the way Sigma writes timespans (`30s`, `10m`, `1h`, `1d`), so the
//! configuration and the rules read alike.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    seconds: u64,
}

impl Window {
    pub const fn seconds(seconds: u64) -> Self {
        Self { seconds }
    }

    pub const fn minutes(minutes: u64) -> Self {
        Self {
            seconds: minutes * 60,
        }
    }

    pub fn as_seconds(self) -> u64 {
        self.seconds
    }

    /// Parse `<n><unit>` with unit `s`, `m`, `h` or `d`; `n` ≥ 1 and the window ≤ 31 days.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let split = text
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len());
        let (digits, unit) = text.split_at(split);
        let n: u64 = digits.parse().map_err(|_| {
            format!("`{text}` is not a window such as \"30s\", \"10m\", \"1h\" or \"1d\"")
        })?;
        let scale = match unit {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            "d" => 86_400,
            _ => {
                return Err(format!(
                    "`{text}` has no unit; write it as \"30s\", \"10m\", \"1h\" or \"1d\""
                ));
            }
        };
        let seconds = n.saturating_mul(scale);
        if n == 0 || seconds > 31 * 86_400 {
            return Err(format!("`{text}` must be between 1s and 31d"));
        }
        Ok(Self { seconds })
    }
}

impl fmt::Display for Window {
    /// The shortest exact Sigma form (`600` seconds → `10m`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.seconds;
        if s.is_multiple_of(86_400) {
            write!(f, "{}d", s / 86_400)
        } else if s.is_multiple_of(3600) {
            write!(f, "{}h", s / 3600)
        } else if s.is_multiple_of(60) {
            write!(f, "{}m", s / 60)
        } else {
            write!(f, "{s}s")
        }
    }
}

impl<'de> Deserialize<'de> for Window {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Window::parse(&text).map_err(de::Error::custom)
    }
}
