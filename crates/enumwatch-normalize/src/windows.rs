//! Windows events in every rendering users export: evtx-rs JSON (`Event.System`/`EventData`),
//! Winlogbeat (`winlog.*`), NXLog / OTRF flat JSON, Sentinel `SecurityEvent` rows, Sentinel
//! `WindowsEvent` rows (fields under `EventData`, an object or JSON text) and rows of Sentinel's
//! legacy `Event` table (`EventData` as the event's XML). `WinEvent`
//! gives one view of them; the per-provider mapping (Sysmon 1, Security 4688, PowerShell 4104)
//! lives here too because it is a field list per event id, not a format.

use std::sync::Arc;

use enumwatch_event::Member;
use enumwatch_event::{Event, Location, LogSource, field};
use serde_json::{Map, Value};

use crate::powershell_4104::Reassembler;
use crate::{Disposition, basename, time};

/// A flat Windows event's `EventData` written as text.
pub(crate) enum EventDataText {
    /// The record with that text parsed into the object of the event's fields: JSON (a Sentinel
    /// `WindowsEvent` row exported through the Log Analytics API or the portal, which write
    /// dynamic columns as text) or the event's XML (`<DataItem>…<EventData><Data
    /// Name="CommandLine">…</Data>…`, a row of Sentinel's legacy `Event` table).
    Parsed(Value),
    /// JSON or XML text from which no field could be read (cut or garbled): the record is
    /// reported rather than read as an event without fields.
    Unreadable,
}

/// `EventData` text of a flat Windows event (`EventID` beside it), or `None` for any other
/// record.
pub(crate) fn event_data_text(raw: &Value) -> Option<EventDataText> {
    let obj = raw.as_object()?;
    obj.member("EventID").or_else(|| obj.member("EventId"))?;
    let text = obj.member("EventData")?.as_str()?.trim_start();
    let data = if text.starts_with('{') {
        serde_json::from_str::<Value>(text)
            .ok()
            .filter(Value::is_object)
    } else if text.starts_with('<') {
        crate::event_xml::data_fields(text)
    } else {
        return None;
    };
    let Some(data) = data else {
        return Some(EventDataText::Unreadable);
    };
    let mut expanded = obj.clone();
    if let Some(slot) = expanded.get_mut("EventData") {
        *slot = data;
    }
    Some(EventDataText::Parsed(Value::Object(expanded)))
}

/// One Windows event, whatever its rendering.
pub(crate) struct WinEvent<'a> {
    pub(crate) provider: String,
    pub(crate) channel: String,
    pub(crate) event_id: u64,
    pub(crate) computer: Option<String>,
    /// The vendor's own event time (System `TimeCreated`, Sentinel `TimeGenerated`).
    pub(crate) time: Option<String>,
    /// The shipper's `@timestamp`, used after Sysmon's `UtcTime`.
    pub(crate) shipped_time: Option<String>,
    pub(crate) user_sid: Option<String>,
    pub(crate) data: &'a Map<String, Value>,
}

pub(crate) fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn number(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

impl<'a> WinEvent<'a> {
    pub(crate) fn read(raw: &'a Value) -> Option<Self> {
        let obj = raw.as_object()?;
        // evtx-rs / evtx_dump rendering (`{"Event": {"System", "EventData"}}`, attributes under
        // `#attributes`); Velociraptor's `parse_evtx` and Go renderings (attributes as members,
        // `"EventID": {"Value": 1}`, epoch `SystemTime`), also as Velociraptor's result rows,
        // `System` and `EventData` at the top.
        let event = obj
            .member("Event")
            .filter(|e| e.member("System").is_some())
            .or_else(|| {
                obj.member("System")
                    .is_some_and(|s| s.member("EventID").is_some())
                    .then_some(raw)
            });
        if let Some(event) = event {
            let system = event.member("System")?;
            let empty: &'static Map<String, Value> = empty_map();
            let data = event
                .member("EventData")
                .and_then(Value::as_object)
                .unwrap_or(empty);
            let id = system.member("EventID")?;
            let event_id = number(Some(id))
                .or_else(|| number(id.member("#text")))
                .or_else(|| number(id.member("Value")))?;
            let attribute = |element: &str, name: &str| {
                let element = &system[element];
                text(element["#attributes"].member(name)).or_else(|| text(element.member(name)))
            };
            return Some(WinEvent {
                provider: attribute("Provider", "Name").unwrap_or_default(),
                channel: text(system.member("Channel")).unwrap_or_default(),
                event_id,
                computer: text(system.member("Computer")),
                time: attribute("TimeCreated", "SystemTime"),
                shipped_time: text(obj.member("@timestamp")),
                user_sid: attribute("Security", "UserID"),
                data,
            });
        }
        // Winlogbeat / Elastic.
        if let Some(winlog) = obj.member("winlog").and_then(Value::as_object) {
            let empty: &'static Map<String, Value> = empty_map();
            return Some(WinEvent {
                provider: text(winlog.member("provider_name")).unwrap_or_default(),
                channel: text(winlog.member("channel")).unwrap_or_default(),
                event_id: number(winlog.member("event_id"))?,
                computer: text(winlog.member("computer_name")),
                time: text(winlog.member("time_created")),
                shipped_time: text(obj.member("@timestamp")),
                user_sid: text(winlog.member("user").and_then(|u| u.member("identifier"))),
                data: winlog
                    .member("event_data")
                    .and_then(Value::as_object)
                    .unwrap_or(empty),
            });
        }
        // Flat renderings: NXLog / OTRF and Sentinel SecurityEvent.
        let event_id = number(obj.member("EventID").or_else(|| obj.member("EventId")))?;
        let provider = [
            "SourceName",
            "ProviderName",
            "Provider_Name",
            "EventSourceName",
            "Provider",
            // Sentinel's legacy `Event` table (Log Analytics agent).
            "Source",
        ]
        .iter()
        .find_map(|k| text(obj.get(*k)))
        .unwrap_or_default();
        let channel =
            text(obj.member("Channel").or_else(|| obj.member("EventLog"))).unwrap_or_default();
        // Sentinel `SecurityEvent` rows: `Type` when exported with it, else the 4688 columns.
        let sentinel = text(obj.member("Type")).is_some_and(|t| t == "SecurityEvent")
            || obj.member("NewProcessName").is_some();
        if provider.is_empty() && channel.is_empty() && !sentinel {
            return None;
        }
        Some(WinEvent {
            provider,
            channel: if sentinel && channel.is_empty() {
                "Security".to_owned()
            } else {
                channel
            },
            event_id,
            computer: ["Hostname", "Computer", "computer_name"]
                .iter()
                .find_map(|k| text(obj.get(*k))),
            // NXLog's `EventTime` is the collector's local time without an offset: not used.
            time: ["TimeCreated", "TimeGenerated"]
                .iter()
                .find_map(|k| text(obj.get(*k))),
            shipped_time: text(obj.member("@timestamp")),
            user_sid: text(obj.member("UserID")),
            // Sentinel `WindowsEvent` rows (the Azure Monitor agent's table for every channel
            // but Security) keep the event's fields in an `EventData` object.
            data: obj
                .member("EventData")
                .and_then(Value::as_object)
                .unwrap_or(obj),
        })
    }

    fn get(&self, key: &str) -> Option<String> {
        text(self.data.member(key)).filter(|s| !s.is_empty())
    }

    fn is(&self, needle: &str) -> bool {
        contains_ignore_case(&self.provider, needle) || contains_ignore_case(&self.channel, needle)
    }

    /// Which analyzed log this is, by provider or channel (NXLog writes `security` lowercase).
    pub(crate) fn source(&self) -> LogSource {
        if self.is("Linux-Sysmon") {
            LogSource::SysmonLinux
        } else if self.is("Sysmon") {
            LogSource::Sysmon
        } else if self.is("Security-Auditing") || self.channel.eq_ignore_ascii_case("Security") {
            LogSource::Security4688
        } else if self.is("PowerShell") {
            LogSource::Powershell4104
        } else {
            LogSource::WindowsOther
        }
    }
}

fn contains_ignore_case(hay: &str, needle: &str) -> bool {
    hay.to_ascii_lowercase()
        .contains(&needle.to_ascii_lowercase())
}

fn empty_map() -> &'static Map<String, Value> {
    static EMPTY: std::sync::OnceLock<Map<String, Value>> = std::sync::OnceLock::new();
    EMPTY.get_or_init(Map::new)
}

pub(crate) fn normalize(
    win: WinEvent<'_>,
    location: Location,
    raw: Arc<Value>,
    blocks: &mut Reassembler,
    out: &mut Vec<Event>,
) -> Disposition {
    let source = win.source();
    let supported = match source {
        LogSource::Sysmon | LogSource::SysmonLinux => win.event_id == 1,
        LogSource::Security4688 => win.event_id == 4688,
        LogSource::Powershell4104 => win.event_id == 4104,
        _ => {
            return Disposition::Ignored {
                source: LogSource::WindowsOther,
                reason: "provider not analyzed",
            };
        }
    };
    if !supported {
        return Disposition::Ignored {
            source,
            reason: "event id not analyzed",
        };
    }
    let mut event = Event::new(source, location, raw);
    event.time = win
        .time
        .as_deref()
        .and_then(time::parse)
        .or_else(|| win.get("UtcTime").as_deref().and_then(time::parse))
        .or_else(|| win.shipped_time.as_deref().and_then(time::parse));
    let f = &mut event.fields;
    f.insert_opt(field::COMPUTER, win.computer.clone());
    match source {
        LogSource::Sysmon | LogSource::SysmonLinux => {
            for (name, key) in [
                (field::IMAGE, "Image"),
                (field::COMMAND_LINE, "CommandLine"),
                (field::CURRENT_DIRECTORY, "CurrentDirectory"),
                (field::USER, "User"),
                (field::PROCESS_ID, "ProcessId"),
                (field::PARENT_IMAGE, "ParentImage"),
                (field::PARENT_COMMAND_LINE, "ParentCommandLine"),
                (field::PARENT_PROCESS_ID, "ParentProcessId"),
                (field::ORIGINAL_FILE_NAME, "OriginalFileName"),
                (field::HASHES, "Hashes"),
                (field::INTEGRITY_LEVEL, "IntegrityLevel"),
                (field::LOGON_ID, "LogonId"),
            ] {
                f.insert_opt(name, win.get(key));
            }
        }
        LogSource::Security4688 => {
            f.insert_opt(field::IMAGE, win.get("NewProcessName"));
            f.insert_opt(field::COMMAND_LINE, win.get("CommandLine"));
            f.insert_opt(field::PARENT_IMAGE, win.get("ParentProcessName"));
            f.insert_opt(field::PROCESS_ID, win.get("NewProcessId"));
            f.insert_opt(field::PARENT_PROCESS_ID, win.get("ProcessId"));
            let subject = account(win.get("SubjectDomainName"), win.get("SubjectUserName"));
            let target = account(win.get("TargetDomainName"), win.get("TargetUserName"));
            // The subject is the machine account when SYSTEM created the process for a user.
            let user = match subject {
                Some(s) if !s.ends_with('$') => Some(s),
                machine => target.or_else(|| win.get("Account")).or(machine),
            };
            f.insert_opt(field::USER, user);
        }
        _ => {
            let number = win
                .get("MessageNumber")
                .and_then(|s| s.parse().ok())
                .unwrap_or(1);
            let total = win
                .get("MessageTotal")
                .and_then(|s| s.parse().ok())
                .unwrap_or(1);
            f.insert_opt(field::SCRIPT_BLOCK_TEXT, win.get("ScriptBlockText"));
            f.insert_opt(field::SCRIPT_BLOCK_ID, win.get("ScriptBlockId"));
            f.insert_opt(field::SCRIPT_PATH, win.get("Path"));
            f.insert_opt(field::USER, win.user_sid.clone());
            return blocks.push(event, number, total, out);
        }
    }
    if let Some(image) = event.fields.get_str(field::IMAGE).map(basename) {
        let image = image.to_owned();
        event.fields.insert(field::FILE_NAME, image);
    }
    if let Some(parent) = event.fields.get_str(field::PARENT_IMAGE).map(basename) {
        let parent = parent.to_owned();
        event.fields.insert(field::PARENT_FILE_NAME, parent);
    }
    out.push(event);
    Disposition::Emitted(1)
}

fn account(domain: Option<String>, user: Option<String>) -> Option<String> {
    let user = user.filter(|u| u != "-")?;
    Some(match domain.filter(|d| d != "-") {
        Some(domain) => format!("{domain}\\{user}"),
        None => user,
    })
}
