//! Records whose fields the literal search cannot see, so the prefilter parses every one:
//! PowerShell `EventLogRecord`s (`Get-WinEvent | ConvertTo-Json`), which the normalizers rebuild
//! into Windows events (`windows_rendered`) from a rendered `Message` or positional
//! `Properties` that do not name `EventID` or `CommandLine`, and Google Cloud Pub/Sub messages,
//! whose log entry is base64 in their `data` (`enumwatch_decode`'s `pubsub`), and Splunk results
//! whose `_raw` is classic `WinEventLog` text (`EventCode=`, a rendered message). Each is known
//! by its first key, so other records pay a few comparisons.

/// The opening of a JSON object's text, or of its first element when it is an array of them
/// (`ConvertTo-Json` of many records, `gcloud … --format=json`, asked about whole when it is one
/// JSON line).
fn object_start(text: &[u8]) -> Option<&[u8]> {
    let text = text.trim_ascii_start();
    let text = match text.strip_prefix(b"[") {
        Some(rest) => rest.trim_ascii_start(),
        None => text,
    };
    text.strip_prefix(b"{")
}

/// The first key of a JSON object's text (or of its first element), unescaped names only.
fn first_key(text: &[u8]) -> Option<&[u8]> {
    let rest = object_start(text)?;
    let rest = rest.trim_ascii_start().strip_prefix(b"\"")?;
    let end = rest.iter().take(24).position(|&b| b == b'"')?;
    rest.get(..end)
}

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
    first_key(text).is_some_and(is_event_log_record_property)
        && memchr::memmem::find(text, b"\"ProviderName\"").is_some()
}

/// Whether `text` is a Pub/Sub message, or the pull or push envelope of one (`ackId`,
/// `message`, `subscription` first, as `gcloud` and a push subscription write them; or a bare
/// message's own members), with a message id beside it.
pub(super) fn is_pubsub_message(text: &[u8]) -> bool {
    // Every record rejected is asked: most are turned away by the first letter of their first
    // key (`eventVersion`, `Event`, `@timestamp`) before it is read whole.
    let opening = object_start(text)
        .map(<[u8]>::trim_ascii_start)
        .and_then(|rest| rest.get(1).copied());
    if !matches!(opening, Some(b'a' | b'm' | b's' | b'd' | b'p')) {
        return false;
    }
    first_key(text).is_some_and(|key| {
        matches!(
            key,
            b"ackId"
                | b"message"
                | b"subscription"
                | b"data"
                | b"attributes"
                | b"messageId"
                | b"message_id"
                | b"publishTime"
                | b"publish_time"
        )
    }) && (memchr::memmem::find(text, b"\"messageId\"").is_some()
        || memchr::memmem::find(text, b"\"message_id\"").is_some())
}

/// Whether `text` is a Splunk result (an export line, `preview` first, or a bare result, `_`
/// first) whose `_raw` is classic `WinEventLog` text, whose line breaks JSON escapes.
pub(super) fn is_splunk_classic_event(text: &[u8]) -> bool {
    let opening = object_start(text)
        .map(<[u8]>::trim_ascii_start)
        .and_then(|rest| rest.get(1).copied());
    matches!(opening, Some(b'p' | b'_'))
        && first_key(text).is_some_and(|key| key == b"preview" || key.starts_with(b"_"))
        && memchr::memmem::find(text, b"\\nEventCode=").is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pubsub_message_is_known_by_its_first_key_and_message_id() {
        for message in [
            r#"[{"ackId":"a","message":{"data":"eyJ9","messageId":"1"}}]"#,
            r#"{"ackId":"a","message":{"data":"eyJ9","messageId":"1"}}"#,
            r#"{"message":{"data":"eyJ9","message_id":"1"},"subscription":"s"}"#,
            r#"{"data":"eyJ9","messageId":"1"}"#,
        ] {
            // An array of them too: asked about whole when it is one JSON line.
            assert!(is_pubsub_message(message.as_bytes()), "{message}");
        }
        for other in [
            r#"{"message":"hello","level":"info"}"#,
            r#"{"eventVersion":"1","messageId":"1"}"#,
        ] {
            assert!(!is_pubsub_message(other.as_bytes()), "{other}");
        }
    }

    #[test]
    fn a_splunk_result_of_classic_event_text_is_known() {
        let line = r#"{"preview":false,"result":{"_raw":"07/10/2023 11:43:33 AM\nLogName=Security\nEventCode=4688\nMessage=m"}}"#;
        assert!(is_splunk_classic_event(line.as_bytes()));
        let bare = r#"{"_raw":"t\nLogName=Security\nEventCode=1\nMessage=m","_time":"t"}"#;
        assert!(is_splunk_classic_event(bare.as_bytes()));
        assert!(!is_splunk_classic_event(
            br#"{"preview":false,"result":{"_raw":"{}"}}"#
        ));
        assert!(!is_splunk_classic_event(
            br#"{"eventVersion":"
EventCode=1"}"#
        ));
    }

    #[test]
    fn an_event_log_record_is_known_by_its_first_key_and_provider_name() {
        for record in [
            r#"[{"Message":"Process Create:\r\n","Id":1,"ProviderName":"Microsoft-Windows-Sysmon"}]"#,
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
