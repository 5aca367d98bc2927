//! Tuning entries: named, owned, explained and expiring exceptions for known-good enumeration
//! (administrators' audits, identity governance, provisioning, compliance tooling, pipelines).
//!
//! An entry suppresses an alert only when every event behind the alert matches all of the
//! entry's non-empty lists; suppressed alerts are kept and reported with the entry's name and
//! reason, never dropped. An entry never suppresses an alert carrying a known offensive tool
//! signature unless it names that tool in `tools`. An expired entry stops suppressing, and the
//! run says so.

use serde::Deserialize;

use crate::{CidrList, PatternList};

/// One `[[tuning]]` entry.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TuningEntry {
    /// Unique name, shown beside every alert it suppresses.
    pub name: String,
    /// Who answers for the exception (a team or a person).
    pub owner: String,
    /// Why the behaviour is expected.
    pub reason: String,
    /// Last day the entry applies (`YYYY-MM-DD`, inclusive); absent means no expiry.
    #[serde(default)]
    pub expires: Option<String>,
    /// Analytics it applies to (`AN1087`…`AN1090`); empty means all.
    #[serde(default)]
    pub analytics: Vec<String>,
    /// Rule ids or names it applies to; empty means all.
    #[serde(default)]
    pub rules: Vec<String>,
    #[serde(default)]
    pub principals: PatternList,
    #[serde(default)]
    pub app_ids: PatternList,
    #[serde(default)]
    pub user_agents: PatternList,
    #[serde(default)]
    pub source_cidrs: CidrList,
    #[serde(default)]
    pub hosts: PatternList,
    /// Offensive or assessment tools (as enumwatch names them: `Prowler`, `ScoutSuite`) this
    /// entry may suppress; without it, a tool signature is never suppressed.
    #[serde(default)]
    pub tools: Vec<String>,
}

impl TuningEntry {
    /// The expiry as `(year, month, day)`, validated by `Config::parse`.
    pub fn expiry(&self) -> Option<(i16, i8, i8)> {
        self.expires.as_deref().and_then(parse_date)
    }

    /// Whether the entry has expired on `today` (`YYYY-MM-DD`).
    pub fn expired_on(&self, today: (i16, i8, i8)) -> bool {
        self.expiry().is_some_and(|last| last < today)
    }

    pub(crate) fn has_matcher(&self) -> bool {
        !(self.principals.is_empty()
            && self.app_ids.is_empty()
            && self.user_agents.is_empty()
            && self.source_cidrs.is_empty()
            && self.hosts.is_empty())
    }
}

/// `YYYY-MM-DD` to a comparable triple, or `None` when it is not a real calendar date.
pub fn parse_date(text: &str) -> Option<(i16, i8, i8)> {
    let mut parts = text.trim().splitn(3, '-');
    let year: i16 = parts.next()?.parse().ok()?;
    let month: i8 = parts.next()?.parse().ok()?;
    let day: i8 = parts.next()?.parse().ok()?;
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    ((1000..=9999).contains(&year) && (1..=days).contains(&day)).then_some((year, month, day))
}
