//! Vendor records to normalized events, one module per vendor log. `detect` tells the vendor
//! from the record's shape alone; each module maps that vendor's fields to the Sigma-taxonomy
//! names in `enumwatch_event::field` and keeps the raw record attached.
//!
//! A record of a known vendor whose event type no analytic uses is *ignored* (counted by the
//! caller with a reason); a record no module recognises is *unrecognized*. Nothing is dropped
//! without one of those outcomes.

mod auditd;
mod auoms;
mod cloudtrail;
mod cloudtrail_rows;
mod defender_process;
mod detect;
mod ecs_cloudtrail;
mod entra_audit;
mod entra_audit_csv;
mod entra_signin;
mod entra_signin_csv;
mod event_xml;
mod gcp_audit;
mod graph_activity;
mod graph_uri;
mod m365_audit;
mod microsoft;
mod okta;
mod powershell_4104;
pub mod raw_facts;
mod sentinel_cloudtrail;
mod slack;
mod time;
mod windows;
mod windows_rendered;
mod workspace;

use std::sync::Arc;

use enumwatch_event::Member;
use enumwatch_event::{Event, Location, LogSource, RawRecord};
use serde_json::Value;

pub use detect::detect;

/// What happened to one raw record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    /// This many events were appended.
    Emitted(usize),
    /// Part of a multi-part PowerShell script block, kept until its other parts arrive.
    Held,
    /// A known vendor record that no analytic uses.
    Ignored {
        source: LogSource,
        reason: &'static str,
    },
    Unrecognized,
    /// A record that holds no event of any log, known as such (a syslog line of a program
    /// that is not analyzed); counted by `reason`.
    NoEvent {
        reason: &'static str,
    },
}

/// Normalizes the records of one input (holds partial script blocks between records).
#[derive(Debug, Default)]
pub struct Normalizer {
    script_blocks: powershell_4104::Reassembler,
}

impl Normalizer {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, record: RawRecord, out: &mut Vec<Event>) -> Disposition {
        let RawRecord { location, body } = record;
        let raw = Arc::new(match windows::event_data_text(&body) {
            Some(windows::EventDataText::Parsed(expanded)) => expanded,
            Some(windows::EventDataText::Unreadable) => return Disposition::Unrecognized,
            None => body,
        });
        let location = match self.windows_event(&raw, location, out) {
            Ok(disposition) => return disposition,
            Err(location) => location,
        };
        if defender_process::is_defender(&raw) {
            return defender_process::normalize(location, raw, out);
        }
        if raw.member("auditd").is_some() {
            return auditd::normalize(location, raw, out);
        }
        if is_other_syslog_line(&raw) {
            return Disposition::NoEvent {
                reason: "syslog: line of another program",
            };
        }
        if let Some(message) = auoms::message(&raw) {
            let message = message.to_owned();
            return auoms::normalize(&message, location, raw, out);
        }
        if let Some(detail) = cloudtrail::record_of(&raw) {
            let event = cloudtrail::normalize(detail, location, Arc::clone(&raw));
            out.push(event);
            return Disposition::Emitted(1);
        }
        if cloudtrail::is_digest(&raw) {
            return Disposition::Ignored {
                source: LogSource::Cloudtrail,
                reason: "digest file (no events)",
            };
        }
        if let Some(record) = cloudtrail_rows::record(&raw)
            .or_else(|| sentinel_cloudtrail::record(&raw))
            .or_else(|| ecs_cloudtrail::record(&raw))
        {
            // A CloudTrail record as Athena, a data lake, Sentinel's `AWSCloudTrail` table or
            // the Elastic Agent returns it, rebuilt: the record stands in for the row, so rules read
            // CloudTrail's names. (After the trail's own shape, which most records have.)
            let record = Arc::new(record);
            out.push(cloudtrail::normalize(
                &record,
                location,
                Arc::clone(&record),
            ));
            return Disposition::Emitted(1);
        }
        if gcp_audit::is_entry(&raw) {
            out.push(gcp_audit::normalize(location, raw));
            return Disposition::Emitted(1);
        }
        if workspace::is_activity(&raw) {
            return workspace::normalize(location, raw, out);
        }
        if okta::is_okta(&raw) {
            return okta::normalize(location, raw, out);
        }
        if slack::is_entry(&raw) {
            out.push(slack::normalize(location, raw));
            return Disposition::Emitted(1);
        }
        if let Some(rec) = graph_activity::record_of(&raw) {
            out.push(graph_activity::normalize(rec, location, Arc::clone(&raw)));
            return Disposition::Emitted(1);
        }
        if let Some(rec) = entra_audit::record_of(&raw) {
            out.push(entra_audit::normalize(rec, location, Arc::clone(&raw)));
            return Disposition::Emitted(1);
        }
        if let Some(rec) = m365_audit::record_of(&raw) {
            out.push(m365_audit::normalize(rec, location, Arc::clone(&raw)));
            return Disposition::Emitted(1);
        }
        if let Some(rec) = entra_signin::record_of(&raw) {
            out.push(entra_signin::normalize(rec, location, Arc::clone(&raw)));
            return Disposition::Emitted(1);
        }
        // Last: `Get-WinEvent` output and Event Viewer CSV rows, rebuilt as flat events.
        if let Some(expanded) = windows_rendered::expand(&raw)
            && let Ok(disposition) = self.windows_event(&Arc::new(expanded), location, out)
        {
            return disposition;
        }
        Disposition::Unrecognized
    }

    /// The Windows event `raw` renders, normalized, or `location` back when it is none.
    fn windows_event(
        &mut self,
        raw: &Arc<Value>,
        location: Location,
        out: &mut Vec<Event>,
    ) -> Result<Disposition, Location> {
        match windows::WinEvent::read(raw) {
            Some(win) => Ok(windows::normalize(
                win,
                location,
                Arc::clone(raw),
                &mut self.script_blocks,
                out,
            )),
            None => Err(location),
        }
    }

    /// Flush held partial script blocks as incomplete events; returns how many.
    pub fn finish(&mut self, out: &mut Vec<Event>) -> usize {
        self.script_blocks.flush_all(out)
    }
}

/// A syslog line without an event, as the decoder gives it beside Sysmon for Linux's events:
/// `{"syslog": {"program": …}}` and nothing else.
pub(crate) fn is_other_syslog_line(raw: &Value) -> bool {
    raw.as_object()
        .is_some_and(|o| o.len() == 1 && o.get("syslog").is_some_and(Value::is_object))
}

/// Last path component, for either separator.
pub(crate) fn basename(path: &str) -> &str {
    path.rsplit(['\\', '/']).next().unwrap_or(path)
}

/// The member `key` of an object, or else its all-lowercase spelling: data lakes (Panther,
/// Snowflake) lower-case top-level column names of the vendor record.
pub(crate) fn member<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    let obj = v.as_object()?;
    obj.member(key).or_else(|| {
        key.bytes()
            .any(|b| b.is_ascii_uppercase())
            .then(|| obj.member(&key.to_ascii_lowercase()))
            .flatten()
    })
}

/// The value at a path of object keys (the first key also in its lower-case spelling).
pub(crate) fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let mut cur = member(v, first)?;
    for key in rest {
        cur = cur.get(*key)?;
    }
    Some(cur)
}

/// Text at a path (numbers and booleans as text); `None` when absent, empty or the text `null`
/// (Okta writes `"zone": "null"`).
pub(crate) fn text_at(v: &Value, path: &[&str]) -> Option<String> {
    windows::text(at(v, path)).filter(|s| !s.is_empty() && s != "null")
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_microsoft;
#[cfg(test)]
mod tests_saas;
