//! Windows events as PowerShell and Event Viewer hand them over: `Get-WinEvent … | ConvertTo-Json`
//! or `| Export-Csv` (an `EventLogRecord`: `Id`, `ProviderName`, `LogName`, `MachineName`,
//! `TimeCreated`, the rendered `Message`, positional `Properties`) and Event Viewer's "Save All
//! Events As… CSV" (`Level`, `Date and Time`, `Source`, `Event ID`, `Task Category` and the
//! rendered description in an unnamed sixth column, which the decoder calls `Description`).
//!
//! Responders collect these from hosts without a log pipeline. Neither keeps the event's
//! named fields: they are read back from the rendered message, whose labels are the field
//! names for Sysmon (`CommandLine: …`) and the Security log's own wording for 4688 (`Process
//! Command Line:` under `Process Information:`), or, when the message could not be rendered on
//! the exporting host, from `Properties` by position for the schemas that fix it (Sysmon 1,
//! Security 4688, PowerShell 4104). The event is rebuilt in the flat shape the Windows
//! normalizers read (`EventID`, `ProviderName`, `Channel`, `Computer`, `TimeCreated`,
//! `EventData`).

use enumwatch_event::Member;
use serde_json::{Map, Value};

use crate::time;
use crate::windows::text;

/// Sysmon event 1's fields in `Properties` order (schema 4.90 adds `ParentUser` at the end).
const SYSMON_1: [&str; 23] = [
    "RuleName",
    "UtcTime",
    "ProcessGuid",
    "ProcessId",
    "Image",
    "FileVersion",
    "Description",
    "Product",
    "Company",
    "OriginalFileName",
    "CommandLine",
    "CurrentDirectory",
    "User",
    "LogonGuid",
    "LogonId",
    "TerminalSessionId",
    "IntegrityLevel",
    "Hashes",
    "ParentProcessGuid",
    "ParentProcessId",
    "ParentImage",
    "ParentCommandLine",
    "ParentUser",
];

/// Security 4688's fields in `Properties` order (version 2; version 0 stops after
/// `ProcessId`).
const SECURITY_4688: [&str; 15] = [
    "SubjectUserSid",
    "SubjectUserName",
    "SubjectDomainName",
    "SubjectLogonId",
    "NewProcessId",
    "NewProcessName",
    "TokenElevationType",
    "ProcessId",
    "CommandLine",
    "TargetUserSid",
    "TargetUserName",
    "TargetDomainName",
    "TargetLogonId",
    "ParentProcessName",
    "MandatoryLabel",
];

/// PowerShell 4104's fields in `Properties` order.
const POWERSHELL_4104: [&str; 5] = [
    "MessageNumber",
    "MessageTotal",
    "ScriptBlockText",
    "ScriptBlockId",
    "Path",
];

/// The 4688 message's labels, by section, and the fields they render.
const LABELS_4688: &[(&str, &str, &str)] = &[
    ("Subject", "Security ID", "SubjectUserSid"),
    ("Subject", "Account Name", "SubjectUserName"),
    ("Subject", "Account Domain", "SubjectDomainName"),
    ("Subject", "Logon ID", "SubjectLogonId"),
    ("Target Subject", "Security ID", "TargetUserSid"),
    ("Target Subject", "Account Name", "TargetUserName"),
    ("Target Subject", "Account Domain", "TargetDomainName"),
    ("Target Subject", "Logon ID", "TargetLogonId"),
    ("Process Information", "New Process ID", "NewProcessId"),
    ("Process Information", "New Process Name", "NewProcessName"),
    (
        "Process Information",
        "Token Elevation Type",
        "TokenElevationType",
    ),
    ("Process Information", "Mandatory Label", "MandatoryLabel"),
    ("Process Information", "Creator Process ID", "ProcessId"),
    (
        "Process Information",
        "Creator Process Name",
        "ParentProcessName",
    ),
    ("Process Information", "Process Command Line", "CommandLine"),
];

/// The flat event a PowerShell `EventLogRecord` or an Event Viewer CSV row renders, or `None`
/// when `raw` is neither.
pub(crate) fn expand(raw: &Value) -> Option<Value> {
    let obj = raw.as_object()?;
    let (id, provider, channel, computer, time_text, message) =
        if let Some(provider) = obj.member("ProviderName") {
            (
                text(obj.member("Id"))?,
                text(Some(provider))?,
                text(obj.member("LogName")),
                text(obj.member("MachineName")),
                text(obj.member("TimeCreated")),
                text(obj.member("Message")),
            )
        } else if obj.member("EventCode").is_some() && obj.member("LogName").is_some() {
            // Splunk's classic `WinEventLog` text, its members read by `decode`: the source as
            // Windows words it for Security ("Microsoft Windows security auditing.").
            (
                text(obj.member("EventCode"))?,
                text(obj.member("SourceName")).map(|s| classic_source(&s))?,
                text(obj.member("LogName")),
                text(obj.member("ComputerName")),
                text(obj.member("Time")),
                text(obj.member("Message")),
            )
        } else if obj.member("Event ID").is_some() && obj.member("Date and Time").is_some() {
            (
                text(obj.member("Event ID"))?,
                text(obj.member("Source"))?,
                None,
                None,
                text(obj.member("Date and Time")),
                text(obj.member("Description")),
            )
        } else {
            return None;
        };
    let id: u64 = id.trim().parse().ok()?;
    let mut data = message
        .as_deref()
        .map(|m| from_message(&provider, id, m))
        .unwrap_or_default();
    if data.is_empty()
        && let Some(Value::Array(properties)) = obj.member("Properties")
    {
        data = from_properties(&provider, id, properties);
    }
    let mut event = Map::new();
    event.insert("EventID".to_owned(), Value::from(id));
    event.insert("ProviderName".to_owned(), Value::String(provider));
    if let Some(channel) = channel {
        event.insert("Channel".to_owned(), Value::String(channel));
    }
    if let Some(computer) = computer {
        event.insert("Computer".to_owned(), Value::String(computer));
    }
    // PowerShell's JSON writes `\/Date(ms)\/`, absolute; its CSV and Event Viewer write the
    // exporting host's local time, which Sysmon's `UtcTime` beats when there is one.
    if let Some(stamp) = time_text.as_deref().and_then(absolute_time) {
        event.insert("TimeCreated".to_owned(), Value::String(stamp));
    } else if let Some(text) = time_text
        && !data.contains_key("UtcTime")
    {
        event.insert("TimeCreated".to_owned(), Value::String(text));
    }
    event.insert("EventData".to_owned(), Value::Object(data));
    Some(Value::Object(event))
}

/// A source as the classic event text names it, as the providers are named elsewhere.
fn classic_source(name: &str) -> String {
    if name.eq_ignore_ascii_case("Microsoft Windows security auditing.") {
        "Microsoft-Windows-Security-Auditing".to_owned()
    } else {
        name.to_owned()
    }
}

/// `/Date(1688989413123)/` (PowerShell 5's JSON dates) or a time with its offset.
fn absolute_time(text: &str) -> Option<String> {
    let millis = text
        .trim()
        .trim_matches('/')
        .strip_prefix("Date(")
        .and_then(|rest| rest.strip_suffix(')'));
    let stamp = match millis {
        Some(ms) => {
            let ms: i64 = ms
                .split(['+', '-'])
                .next()
                .filter(|s| !s.is_empty())?
                .parse()
                .ok()?;
            jiff::Timestamp::from_millisecond(ms).ok()?
        }
        None if text.contains('T') => time::parse(text)?,
        None => return None,
    };
    Some(stamp.to_string())
}

fn from_message(provider: &str, id: u64, message: &str) -> Map<String, Value> {
    let provider = provider.to_ascii_lowercase();
    if provider.contains("powershell") && id == 4104 {
        return script_block(message).unwrap_or_default();
    }
    if provider.contains("security-auditing") && id == 4688 {
        return labelled_4688(message);
    }
    // Sysmon and most providers: `Name: value` lines under a title line.
    let mut data = Map::new();
    for line in message.lines().skip(1) {
        if let Some((name, value)) = line.split_once(": ")
            && !name.is_empty()
            && name.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            data.insert(name.to_owned(), Value::String(value.trim().to_owned()));
        }
    }
    data
}

/// `Creating Scriptblock text (1 of 2):` / the text / `ScriptBlock ID: …` / `Path: …`.
fn script_block(message: &str) -> Option<Map<String, Value>> {
    let (title, rest) = message.split_once('\n')?;
    let counts = title
        .trim_end()
        .strip_prefix("Creating Scriptblock text (")?
        .strip_suffix("):")?;
    let (number, total) = counts.split_once(" of ")?;
    let at = rest.rfind("ScriptBlock ID: ")?;
    let script = rest.get(..at)?.trim_end_matches(['\r', '\n']);
    let tail = rest.get(at..)?;
    let mut data = Map::new();
    data.insert("MessageNumber".to_owned(), Value::from(number.trim()));
    data.insert("MessageTotal".to_owned(), Value::from(total.trim()));
    data.insert("ScriptBlockText".to_owned(), Value::from(script));
    for line in tail.lines() {
        if let Some(v) = line.strip_prefix("ScriptBlock ID: ") {
            data.insert("ScriptBlockId".to_owned(), Value::from(v.trim()));
        } else if let Some(v) = line.strip_prefix("Path: ") {
            data.insert("Path".to_owned(), Value::from(v.trim()));
        }
    }
    Some(data)
}

/// The 4688 message's tab-indented `Label:\tvalue` lines, named by their section
/// (`Creator Subject:`, or `Subject:` before Windows 10).
fn labelled_4688(message: &str) -> Map<String, Value> {
    let mut data = Map::new();
    let mut section = "";
    for line in message.lines() {
        if !line.starts_with(['\t', ' ']) {
            let title = line.trim().trim_end_matches(':');
            section = if title == "Creator Subject" {
                "Subject"
            } else {
                title
            };
            continue;
        }
        let Some((label, value)) = line.trim().split_once(':') else {
            continue;
        };
        if let Some((_, _, name)) = LABELS_4688
            .iter()
            .find(|(s, l, _)| *s == section && *l == label.trim())
        {
            data.insert((*name).to_owned(), Value::from(value.trim()));
        }
    }
    data
}

fn from_properties(provider: &str, id: u64, properties: &[Value]) -> Map<String, Value> {
    let provider = provider.to_ascii_lowercase();
    let names: &[&str] = if provider.contains("sysmon") && id == 1 {
        match properties.len() {
            23 => &SYSMON_1,
            22 => SYSMON_1.get(..22).unwrap_or_default(),
            _ => &[],
        }
    } else if provider.contains("security-auditing") && id == 4688 {
        &SECURITY_4688
    } else if provider.contains("powershell") && id == 4104 {
        &POWERSHELL_4104
    } else {
        &[]
    };
    let mut data = Map::new();
    for (name, property) in names.iter().zip(properties) {
        // `ConvertTo-Json` writes each as `{"Value": …}`.
        let value = property.member("Value").unwrap_or(property);
        if let Some(value) = text(Some(value)) {
            data.insert((*name).to_owned(), Value::String(value));
        }
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_sysmon_record_from_convertto_json_reads_its_message() {
        let raw = json!({
            "Message": "Process Create:\r\nRuleName: -\r\nUtcTime: 2023-07-10 11:43:33.123\r\nImage: C:\\Program Files\\Amazon\\AWSCLIV2\\aws.exe\r\nCommandLine: aws iam list-users --output json\r\nUser: CORP\\alice",
            "Id": 1,
            "ProviderName": "Microsoft-Windows-Sysmon",
            "LogName": "Microsoft-Windows-Sysmon/Operational",
            "MachineName": "WS01.corp.example",
            "TimeCreated": "/Date(1688989413123)/",
            "Properties": [{"Value": "-"}],
        });
        let event = expand(&raw).unwrap();
        assert_eq!(event["EventID"], 1);
        assert_eq!(event["TimeCreated"], "2023-07-10T11:43:33.123Z");
        assert_eq!(
            event["EventData"]["CommandLine"],
            "aws iam list-users --output json"
        );
        assert_eq!(
            event["EventData"]["Image"],
            "C:\\Program Files\\Amazon\\AWSCLIV2\\aws.exe"
        );
        assert_eq!(event["EventData"]["User"], "CORP\\alice");
    }

    #[test]
    fn a_4688_message_is_read_by_section() {
        let message = "A new process has been created.\r\n\r\nCreator Subject:\r\n\tSecurity ID:\t\tS-1-5-21-1\r\n\tAccount Name:\t\talice\r\n\tAccount Domain:\t\tCORP\r\n\tLogon ID:\t\t0x3E7\r\n\r\nTarget Subject:\r\n\tSecurity ID:\t\tS-1-0-0\r\n\tAccount Name:\t\t-\r\n\r\nProcess Information:\r\n\tNew Process ID:\t\t0x1a2c\r\n\tNew Process Name:\tC:\\Windows\\System32\\cmd.exe\r\n\tCreator Process Name:\tC:\\Windows\\explorer.exe\r\n\tProcess Command Line:\tcmd /c az ad user list\r\n\r\nToken Elevation Type indicates the type of token: ...";
        let row = json!({"Level": "Information", "Date and Time": "7/10/2023 11:43:33 AM",
            "Source": "Microsoft-Windows-Security-Auditing", "Event ID": "4688",
            "Task Category": "Process Creation", "Description": message});
        let event = expand(&row).unwrap();
        let data = &event["EventData"];
        assert_eq!(data["SubjectUserName"], "alice");
        assert_eq!(data["SubjectDomainName"], "CORP");
        assert_eq!(data["TargetUserName"], "-");
        assert_eq!(data["NewProcessName"], "C:\\Windows\\System32\\cmd.exe");
        assert_eq!(data["ParentProcessName"], "C:\\Windows\\explorer.exe");
        assert_eq!(data["CommandLine"], "cmd /c az ad user list");
        assert_eq!(event["TimeCreated"], "7/10/2023 11:43:33 AM");
    }

    #[test]
    fn a_script_block_message_keeps_its_lines() {
        let message = "Creating Scriptblock text (2 of 3):\r\nGet-MsolUser -All\r\nGet-MsolRole\r\n\r\nScriptBlock ID: 7c0c3a2e-1\r\nPath: C:\\t\\a.ps1";
        let data = from_message("Microsoft-Windows-PowerShell", 4104, message);
        assert_eq!(data["MessageNumber"], "2");
        assert_eq!(data["MessageTotal"], "3");
        assert_eq!(data["ScriptBlockText"], "Get-MsolUser -All\r\nGet-MsolRole");
        assert_eq!(data["ScriptBlockId"], "7c0c3a2e-1");
        assert_eq!(data["Path"], "C:\\t\\a.ps1");
    }

    #[test]
    fn without_a_message_the_properties_are_read_by_position() {
        let mut props: Vec<Value> = (0..23).map(|i| json!({"Value": format!("v{i}")})).collect();
        props[10] = json!({"Value": "aws iam list-roles"});
        let raw = json!({"Id": 1, "ProviderName": "Microsoft-Windows-Sysmon", "Message": null,
                         "Properties": props});
        let event = expand(&raw).unwrap();
        assert_eq!(event["EventData"]["CommandLine"], "aws iam list-roles");
        assert_eq!(event["EventData"]["ParentUser"], "v22");
        // A Sysmon schema of another length is not guessed at.
        let raw =
            json!({"Id": 1, "ProviderName": "Microsoft-Windows-Sysmon", "Properties": [1, 2]});
        assert_eq!(expand(&raw).unwrap()["EventData"], json!({}));
    }

    #[test]
    fn other_records_are_not_rendered_events() {
        for raw in [
            json!({"Id": 1}),
            json!({"ProviderName": "x", "Id": "one"}),
            json!({"Event ID": 1, "Source": "s"}),
            json!([1]),
        ] {
            assert!(expand(&raw).is_none(), "{raw}");
        }
    }
}
