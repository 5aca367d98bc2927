//! Splunk search results: each result's `_raw` is the event as Splunk indexed it.
//!
//! A SOC that keeps CloudTrail, Entra, Okta or Windows logs in Splunk hands them over as an
//! export of a search: the UI's or the `search/jobs/export` endpoint's JSON
//! (`{"preview": false, "offset": 0, "result": {"_raw": …, "_time": …, "sourcetype": …}}` per
//! line), a `results` page of the REST API (`{"preview": false, "results": [{…}]}`), or the CSV
//! export with a `_raw` column. The fields Splunk extracted beside `_raw` are its own renaming;
//! `_raw` is the vendor's record: a JSON object (`aws:cloudtrail`, `azure:monitor:aad`,
//! `OktaIM2:log`, `google:gcp:pubsub:message`), a Windows event's XML (`XmlWinEventLog`), or
//! the classic `WinEventLog` text (`LogName=…`, `EventCode=…`, the rendered `Message=`), handed
//! out as an object of its members. Each is handed out in the result's place, so the
//! normalizers see the vendor's record. A `_raw` of other text (a syslog line) leaves the result
//! as it is, to be reported unrecognized.

use serde_json::{Map, Value};

use crate::DecodeErrorKind;

/// The first member of an export line and of a REST `results` page, quotes included: the
/// well-formedness check is never sure of either, as a page holds many records (one skipped
/// page would be counted as one). A result's `_raw` holds its record's literals as they are
/// (JSON escaping touches no character of a literal but a quote or backslash, which the
/// prefilter searches escaped), and event XML's character references make the prefilter parse
/// the record (`forces_parse`).
pub(crate) const QUOTED_PREVIEW_KEY: &[u8] = b"\"preview\"";

/// Members only Splunk puts beside `_raw`.
const SPLUNK_FIELDS: [&str; 8] = [
    "_time",
    "_cd",
    "_bkt",
    "_serial",
    "_indextime",
    "_si",
    "splunk_server",
    "sourcetype",
];

/// The record a Splunk result holds: `Some(Ok(record))` when `map` is a result (or an export
/// line holding one) whose `_raw` is a JSON object or a Windows event's XML, `Some(Err(_))`
/// when that `_raw` does not parse, `None` otherwise.
pub(crate) fn raw_record(
    map: &Map<String, Value>,
    max_depth: usize,
) -> Option<Result<Value, DecodeErrorKind>> {
    // Records of other logs open with their own keys; Splunk's open with `_` or `preview`.
    let first = map.keys().next()?;
    let result = if first == "preview" || first == "result" {
        match map.get("result") {
            Some(Value::Object(result)) if map.len() <= 4 => result,
            _ => return None,
        }
    } else if first.starts_with('_') {
        map
    } else {
        return None;
    };
    let Some(Value::String(raw)) = result.get("_raw") else {
        return None;
    };
    if !SPLUNK_FIELDS.iter().any(|k| result.contains_key(*k)) {
        return None;
    }
    held_record(raw, max_depth)
}

/// The record a `_raw` text holds, as `raw_record` says.
pub(crate) fn held_record(raw: &str, max_depth: usize) -> Option<Result<Value, DecodeErrorKind>> {
    let text = raw.trim_ascii();
    if text.starts_with('{') {
        if crate::jsonl::depth_exceeds(text.as_bytes(), max_depth) {
            return Some(Err(DecodeErrorKind::TooDeep { limit: max_depth }));
        }
        return Some(match crate::error::parse_json(text.as_bytes()) {
            Ok(record @ Value::Object(_)) => Ok(record),
            Ok(_) => return None,
            // Splunk cuts an event at its `TRUNCATE` setting (10,000 bytes by default).
            Err(DecodeErrorKind::InvalidJson(detail)) => {
                Err(DecodeErrorKind::InvalidJson(format!(
                    "the `_raw` of this Splunk result is not whole JSON ({detail}); an event longer \
                 than the sourcetype's TRUNCATE setting (10,000 bytes by default) is cut when \
                 indexed: raise TRUNCATE for the sourcetype, or export the logs from their source"
                )))
            }
            Err(other) => Err(other),
        });
    }
    if text.starts_with("<Event") {
        return Some(crate::xml_events::to_json(text.as_bytes(), max_depth));
    }
    // Sysmon for Linux's events keep their syslog line (`sourcetype=sysmon:linux`).
    if let Some(found) = crate::syslog::line_event(text, max_depth) {
        return Some(found);
    }
    classic_event(text).map(Ok)
}

/// A Windows event as Splunk's classic `WinEventLog` sourcetype writes it: a time line, then
/// `Key=Value` lines (`LogName`, `EventCode`, `SourceName`, `ComputerName`, …) and the rendered
/// `Message=` to the end. Its members as an object, the message whole, for the normalizers'
/// reader of rendered Windows events; `None` for any other text.
fn classic_event(text: &str) -> Option<Value> {
    let (head, message) = text.split_once("\nMessage=")?;
    let mut event = Map::new();
    for line in head.lines().skip(1) {
        let (key, value) = line.split_once('=')?;
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return None;
        }
        event.insert(key.to_owned(), Value::String(value.trim_end().to_owned()));
    }
    if !event.contains_key("EventCode") || !event.contains_key("LogName") {
        return None;
    }
    let time = head.lines().next().unwrap_or_default().trim();
    event.insert("Time".to_owned(), Value::String(time.to_owned()));
    let message = message.replace("\r\n", "\n");
    event.insert("Message".to_owned(), Value::String(message));
    Some(Value::Object(event))
}

/// The results of a REST API `results` page (`{"preview": …, "results": [...]}`), each to be
/// read as `raw_record` says; `None` when `value` is no such page.
pub(crate) fn results_page(value: &mut Value) -> Option<Vec<Value>> {
    let Value::Object(map) = value else {
        return None;
    };
    if map.keys().next().map(String::as_str) != Some("preview") {
        return None;
    }
    match map.get_mut("results") {
        Some(Value::Array(items)) => Some(std::mem::take(items)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::object;
    use serde_json::json;

    #[test]
    fn an_export_line_and_a_bare_result_give_the_json_raw() {
        let record = json!({"eventVersion": "1.08", "eventName": "ListUsers"});
        let raw = record.to_string();
        let line = object(json!({"preview": false, "offset": 0,
            "result": {"_bkt": "main~1", "_cd": "1:2", "_raw": raw, "_time": "2023-07-10",
                       "sourcetype": "aws:cloudtrail", "eventName": "ListUsers"}}));
        assert_eq!(raw_record(&line, 64).unwrap().unwrap(), record);
        let bare = object(json!({"_raw": raw, "_time": "2023-07-10", "host": "h"}));
        assert_eq!(raw_record(&bare, 64).unwrap().unwrap(), record);
    }

    #[test]
    fn event_xml_is_rendered_as_evtx_does() {
        let xml = "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>\
                   <Provider Name='Microsoft-Windows-Sysmon'/><EventID>1</EventID></System>\
                   <EventData><Data Name='CommandLine'>aws iam list-users &amp;</Data></EventData></Event>";
        let bare = object(json!({"_raw": xml, "sourcetype": "XmlWinEventLog"}));
        let record = raw_record(&bare, 64).unwrap().unwrap();
        assert_eq!(
            record["Event"]["EventData"]["CommandLine"],
            "aws iam list-users &"
        );
        assert_eq!(record["Event"]["System"]["EventID"], "1");
    }

    #[test]
    fn a_cut_raw_is_the_results_error_and_text_is_left_alone() {
        let cut = object(json!({"_raw": "{\"eventVersion\": \"1.08\", \"eventN", "_time": "t"}));
        let err = raw_record(&cut, 64).unwrap().unwrap_err();
        assert!(format!("{err:?}").contains("TRUNCATE"), "{err:?}");
        let text = object(json!({"_raw": "Jan 25 sshd[5276]: Failed password", "_time": "t"}));
        assert!(raw_record(&text, 64).is_none());
        // Not Splunk's: no field of its own beside `_raw`, or a record of another log.
        assert!(raw_record(&object(json!({"_raw": "{}", "x": 1})), 64).is_none());
        assert!(
            raw_record(
                &object(json!({"eventName": "x", "_raw": "{}", "_time": 1})),
                64
            )
            .is_none()
        );
    }

    #[test]
    fn classic_winevent_text_gives_its_members_and_message() {
        let raw = "07/10/2023 11:43:33 AM\nLogName=Security\nEventCode=4688\nEventType=0\n\
                   ComputerName=WS07.corp.example\nSourceName=Microsoft Windows security auditing.\n\
                   Type=Information\nRecordNumber=918273\nKeywords=Audit Success\n\
                   TaskCategory=Process Creation\nOpCode=Info\n\
                   Message=A new process has been created.\r\n\r\nProcess Information:\r\n\
                   \tProcess Command Line:\taws iam list-users\r\n";
        let event = held_record(raw, 64).unwrap().unwrap();
        assert_eq!(event["EventCode"], "4688");
        assert_eq!(event["ComputerName"], "WS07.corp.example");
        assert_eq!(event["Time"], "07/10/2023 11:43:33 AM");
        assert!(
            event["Message"]
                .as_str()
                .unwrap()
                .contains("\n\tProcess Command Line:\taws iam list-users")
        );
        for other in [
            "Jan 25 sshd[1]: Failed password",
            "x\nkey with space=1\nMessage=m",
            "t\nLogName=S\nMessage=m",
        ] {
            assert!(held_record(other, 64).is_none(), "{other}");
        }
    }

    #[test]
    fn a_results_page_gives_its_results() {
        let mut page = json!({"preview": false, "init_offset": 0, "messages": [],
                              "results": [{"_raw": "{}"}, {"_raw": "{}"}]});
        assert_eq!(results_page(&mut page).map(|r| r.len()), Some(2));
        assert!(results_page(&mut json!({"results": []})).is_none());
    }
}
