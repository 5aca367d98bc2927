//! Vendor recognition from a record's shape alone, for `--stats-json` and tests; the
//! `Normalizer` applies the same checks in the same order.

use enumwatch_event::LogSource;
use serde_json::Value;

use crate::{
    auoms, cloudtrail, cloudtrail_rows, defender_process, ecs_cloudtrail, entra_audit,
    entra_signin, gcp_audit, graph_activity, m365_audit, okta, sentinel_cloudtrail, slack, windows,
    windows_rendered, workspace,
};

/// Which log a record belongs to, or `None` when no normalizer knows its shape.
pub fn detect(body: &Value) -> Option<LogSource> {
    if matches!(
        windows::event_data_text(body),
        Some(windows::EventDataText::Unreadable)
    ) {
        return None;
    }
    if let Some(win) = windows::WinEvent::read(body) {
        return Some(win.source());
    }
    if defender_process::is_defender(body) {
        return Some(LogSource::DefenderProcess);
    }
    if body.get("auditd").is_some() || auoms::message(body).is_some() {
        return Some(LogSource::Auditd);
    }
    // A syslog line of another program belongs to no analyzed log.
    if crate::is_other_syslog_line(body) {
        return None;
    }
    if cloudtrail::record_of(body).is_some()
        || cloudtrail::is_digest(body)
        || cloudtrail_rows::is_row(body)
        || sentinel_cloudtrail::is_row(body)
        || ecs_cloudtrail::is_document(body)
    {
        return Some(LogSource::Cloudtrail);
    }
    if gcp_audit::is_entry(body) {
        return Some(LogSource::GcpAudit);
    }
    if workspace::is_activity(body) {
        return Some(LogSource::WorkspaceActivity);
    }
    if okta::is_okta(body) {
        return Some(LogSource::OktaSystemLog);
    }
    if slack::is_entry(body) {
        return Some(LogSource::SlackAudit);
    }
    if let Some(rec) = graph_activity::record_of(body) {
        return Some(rec.source);
    }
    if entra_audit::record_of(body).is_some() {
        return Some(LogSource::EntraAudit);
    }
    if m365_audit::record_of(body).is_some() {
        return Some(LogSource::M365Audit);
    }
    if entra_signin::record_of(body).is_some() {
        return Some(LogSource::EntraSignin);
    }
    let expanded = windows_rendered::expand(body)?;
    windows::WinEvent::read(&expanded).map(|win| win.source())
}
