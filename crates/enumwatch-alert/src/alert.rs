//! The `Alert`: the stable, versioned output of a hunt (JSON field names are a contract).

use std::fmt;
use std::sync::Arc;

use enumwatch_event::{Location, LogSource, Platform, ToolCategory};
use serde::Serialize;

/// The ATT&CK technique every enumwatch analytic detects.
pub const TECHNIQUE: &str = "T1087.004";

/// How bad it is if the alert is true.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Informational => "informational",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parse `name()` back.
    pub fn from_name(name: &str) -> Option<Self> {
        [
            Severity::Informational,
            Severity::Low,
            Severity::Medium,
            Severity::High,
            Severity::Critical,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }

    /// One step up, capped at critical.
    #[must_use]
    pub fn raised(self) -> Self {
        match self {
            Severity::Informational => Severity::Low,
            Severity::Low => Severity::Medium,
            Severity::Medium => Severity::High,
            Severity::High | Severity::Critical => Severity::Critical,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How likely the alert is to be the behaviour it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Confidence {
    Low,
    Medium,
    High,
}

impl Confidence {
    pub fn name(self) -> &'static str {
        match self {
            Confidence::Low => "low",
            Confidence::Medium => "medium",
            Confidence::High => "high",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "low" => Some(Confidence::Low),
            "medium" => Some(Confidence::Medium),
            "high" => Some(Confidence::High),
            _ => None,
        }
    }
}

impl fmt::Display for Confidence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The rule that fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AlertRule {
    pub id: String,
    pub title: String,
    pub level: String,
}

/// Where an evidence record is, in the terms an analyst uses to open it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Evidence {
    /// The input path as given on the command line (or `-` for stdin); shared with the
    /// event's location and every other alert from the same input.
    pub source: Arc<str>,
    /// 0-based record index within the input.
    pub record: u64,
    /// 1-based line, for line formats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// The format's own record id (EVTX `EventRecordID`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub record_id: Option<u64>,
}

impl From<&Location> for Evidence {
    fn from(loc: &Location) -> Self {
        Evidence {
            source: Arc::clone(&loc.source),
            record: loc.record,
            line: loc.line,
            record_id: loc.record_id,
        }
    }
}

/// One alert.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Alert {
    /// Content-derived: the same rule on the same record always gives the same id.
    pub id: String,
    /// Event time of the (first) evidence event, RFC 3339 UTC.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    pub rule: AlertRule,
    /// DET0386 analytic the behaviour belongs to (`AN1087` … `AN1090`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub analytic: Option<String>,
    pub technique: &'static str,
    pub platform: Platform,
    pub tool_category: ToolCategory,
    pub severity: Severity,
    pub confidence: Confidence,
    /// Why severity and confidence are what they are.
    pub factors: Vec<String>,
    pub log_source: LogSource,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    /// The actor's stable id where the log has one (object id, principal id), for pivots and
    /// tuning entries.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_line: Option<String>,
    /// The recognised tool and canonical command, where the enricher recognised one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// One line: why it fired.
    pub explanation: String,
    pub evidence: Vec<Evidence>,
    /// The rule's steps, shared by all its alerts rather than copied into each.
    pub investigation: Arc<[String]>,
    pub response: Arc<[String]>,
    /// The actor's activity around the alert in Sentinel (KQL), Splunk (SPL) and Elastic (ES|QL).
    pub hunting: crate::HuntingQueries,
    /// Set when a tuning entry suppressed the alert (shown only with `--show-suppressed`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed_by: Option<Suppression>,
}

/// The tuning entry that suppressed an alert, as the analyst needs to judge it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    pub entry: String,
    pub owner: String,
    pub reason: String,
}
