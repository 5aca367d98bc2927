//! Microsoft Defender for Endpoint `DeviceProcessEvents`, as exported from Advanced Hunting
//! (JSON, JSON lines or CSV with the schema's column names) or streamed through the
//! `AdvancedHunting-DeviceProcessEvents` envelope (`properties` holds the columns).

use std::sync::Arc;

use enumwatch_event::Member;
use enumwatch_event::{Event, Location, LogSource, field};
use serde_json::Value;

use crate::windows::text;
use crate::{Disposition, basename, time};

fn columns(raw: &Value) -> Option<&Value> {
    if let Some(category) = raw.member("category").and_then(Value::as_str)
        && category.starts_with("AdvancedHunting-")
    {
        return raw.member("properties");
    }
    Some(raw)
}

pub(crate) fn is_defender(raw: &Value) -> bool {
    if raw
        .member("category")
        .and_then(Value::as_str)
        .is_some_and(|c| c.starts_with("AdvancedHunting-"))
    {
        return true;
    }
    raw.member("DeviceName").is_some()
        && (raw.member("ProcessCommandLine").is_some()
            || raw.member("InitiatingProcessFileName").is_some())
}

fn join(folder: Option<String>, file: Option<&str>) -> Option<String> {
    let folder = folder?;
    match file {
        Some(file) if !basename(&folder).eq_ignore_ascii_case(file) => {
            let sep = if folder.contains('/') { '/' } else { '\\' };
            Some(format!(
                "{}{sep}{file}",
                folder.trim_end_matches(['\\', '/'])
            ))
        }
        _ => Some(folder),
    }
}

pub(crate) fn normalize(location: Location, raw: Arc<Value>, out: &mut Vec<Event>) -> Disposition {
    let category = raw.member("category").and_then(Value::as_str).unwrap_or("");
    if !category.is_empty() && category != "AdvancedHunting-DeviceProcessEvents" {
        return Disposition::Ignored {
            source: LogSource::DefenderProcess,
            reason: "advanced hunting table not analyzed",
        };
    }
    let Some(cols) = columns(&raw) else {
        return Disposition::Unrecognized;
    };
    // Rows of other tables (DeviceFileEvents, DeviceNetworkEvents…) share `DeviceName` and the
    // `InitiatingProcess*` columns but have no `ProcessCommandLine` column.
    if cols.member("ProcessCommandLine").is_none() {
        return Disposition::Ignored {
            source: LogSource::DefenderProcess,
            reason: "advanced hunting table not analyzed",
        };
    }
    let get = |k: &str| text(cols.get(k)).filter(|s| !s.is_empty());
    if get("ProcessCommandLine").is_none() && get("FileName").is_none() {
        return Disposition::Ignored {
            source: LogSource::DefenderProcess,
            reason: "no process in row",
        };
    }
    let file_name = get("FileName");
    let parent_file = get("InitiatingProcessFileName");
    let image = join(get("FolderPath"), file_name.as_deref()).or_else(|| file_name.clone());
    let parent_image = join(get("InitiatingProcessFolderPath"), parent_file.as_deref())
        .or_else(|| parent_file.clone());
    let user = match (get("AccountDomain"), get("AccountName")) {
        (Some(d), Some(u)) => Some(format!("{d}\\{u}")),
        (None, Some(u)) => Some(u),
        _ => None,
    };
    let time_text = get("Timestamp")
        .or_else(|| get("TimeGenerated"))
        .or_else(|| text(raw.member("time")));
    let mut event = Event::new(LogSource::DefenderProcess, location, Arc::clone(&raw));
    event.time = time_text.as_deref().and_then(time::parse);
    let f = &mut event.fields;
    f.insert_opt(field::IMAGE, image);
    f.insert_opt(field::FILE_NAME, file_name);
    f.insert_opt(field::COMMAND_LINE, get("ProcessCommandLine"));
    f.insert_opt(field::PROCESS_ID, get("ProcessId"));
    f.insert_opt(field::PARENT_IMAGE, parent_image);
    f.insert_opt(field::PARENT_FILE_NAME, parent_file);
    f.insert_opt(
        field::PARENT_COMMAND_LINE,
        get("InitiatingProcessCommandLine"),
    );
    f.insert_opt(field::PARENT_PROCESS_ID, get("InitiatingProcessId"));
    f.insert_opt(field::USER, user);
    f.insert_opt(field::COMPUTER, get("DeviceName"));
    f.insert_opt(field::INTEGRITY_LEVEL, get("ProcessIntegrityLevel"));
    f.insert_opt(field::HASHES, get("SHA256").map(|h| format!("SHA256={h}")));
    out.push(event);
    Disposition::Emitted(1)
}
