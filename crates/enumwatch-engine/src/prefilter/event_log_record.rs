//! PowerShell `EventLogRecord`s (`Get-WinEvent | ConvertTo-Json`), which the normalizers
//! rebuild into Windows events (`windows_rendered`): their fields are in the rendered `Message`
//! or in positional `Properties`, not under the names the literals stand for (`EventID`,
//! `CommandLine`), so the prefilter parses every one.

/// Whether `name` is a property of a PowerShell `EventLogRecord` that opens its
/// `ConvertTo-Json` rendering: `Message` when the record is written whole, else the first one
/// a `Select-Object` keeps, of those a user puts first. (The record's generic names —
/// `Keywords`, `Level`, `Version`, `Task` — open other logs' records too, NXLog's among them,
/// whose every record would then be searched.) A `match` compares lengths first: most first
/// keys cost no byte comparison.
fn is_event_log_record_property(name: &[u8]) -> bool {
    matches!(
        name,
        b"Message"
            | b"TimeCreated"
            | b"Id"
            | b"ProviderName"
            | b"LogName"
            | b"MachineName"
            | b"RecordId"
            | b"LevelDisplayName"
            | b"TaskDisplayName"
            | b"Properties"
    )
}

/// Whether `text` is a PowerShell `EventLogRecord` (`Get-WinEvent | ConvertTo-Json`), which
/// `windows_rendered` rebuilds into a Windows event: its fields are in its rendered `Message` or
/// positional `Properties`, not under the names the literals stand for (`EventID`,
/// `CommandLine`), so it is always parsed. Only its first key is read unless that key is one of
/// the record's properties: other records pay a few comparisons.
pub(super) fn is_event_log_record(text: &[u8]) -> bool {
    let rest = text.trim_ascii_start();
    let Some(rest) = rest.strip_prefix(b"{") else {
        return false;
    };
    let Some(rest) = rest.trim_ascii_start().strip_prefix(b"\"") else {
        return false;
    };
    let Some(end) = rest.iter().take(24).position(|&b| b == b'"') else {
        return false;
    };
    let first = rest.get(..end).unwrap_or_default();
    is_event_log_record_property(first) && memchr::memmem::find(text, b"\"ProviderName\"").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_event_log_record_is_known_by_its_first_key_and_provider_name() {
        for record in [
            r#"{"Message":"Process Create:\r\n","Id":1,"ProviderName":"Microsoft-Windows-Sysmon"}"#,
            "{\r\n    \"TimeCreated\":  \"\\/Date(1688989413123)\\/\",\r\n    \"ProviderName\":  \"x\"\r\n}",
            r#"{"Id":4688,"ProviderName":"Microsoft-Windows-Security-Auditing","Message":null}"#,
        ] {
            assert!(is_event_log_record(record.as_bytes()), "{record}");
        }
        for other in [
            // NXLog's flat records open with generic names the record shares.
            r#"{"Keywords":-9223372036854775808,"ProviderName":"x","EventID":1}"#,
            r#"{"Message":"hello","Level":"info"}"#,
            r#"{"eventVersion":"1.08","ProviderName":"x"}"#,
            "[]",
            "",
            r#"{"Message"#,
        ] {
            assert!(!is_event_log_record(other.as_bytes()), "{other}");
        }
    }
}
