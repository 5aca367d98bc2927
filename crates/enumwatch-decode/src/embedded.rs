//! Records that carry the real record as a JSON string: AWS CloudTrail event history and
//! CloudWatch Logs events.
//!
//! Without a trail, CloudTrail's 90-day event history is what an incident responder has, and
//! `aws cloudtrail lookup-events` (or the `LookupEvents` API through an SDK) gives it as
//! `{"Events": [{"EventId": …, "EventName": …, "CloudTrailEvent": "{\"eventVersion\":…}"}]}`:
//! a few summary members and the whole CloudTrail record serialized into one string. The
//! summary lacks what detection needs (the caller's ARN, user agent, source address, request
//! parameters), so the decoder hands out the record the string holds.
//!
//! A trail that delivers to CloudWatch Logs (as AWS Control Tower sets up) holds each record as
//! a log event's `message`: `{"id": …, "timestamp": …, "message": "{\"eventVersion\":…}"}` in a
//! subscription payload's `logEvents` (what Lambda, Kinesis and Firehose receive, and Firehose
//! writes to S3), `{"logStreamName": …, "timestamp": …, "message": …, "ingestionTime": …,
//! "eventId": …}` in `aws logs filter-log-events` output. A message that holds a JSON object is
//! handed out in the event's place; any other message (a log line of text) leaves the event as
//! it is. Either way the normalizers and rules see what a trail's S3 object would have given
//! them.
//!
//! An Amazon EventBridge event from a SaaS partner (Okta's log streaming) holds the partner's
//! record as its `detail` object, which is handed out the same way.

use serde_json::{Map, Value};

use crate::DecodeErrorKind;

/// The event-history entry's member that holds the record.
const EMBEDDED_RECORD_KEY: &str = "CloudTrailEvent";

/// The same key as written, quotes included (an escaped spelling is not looked for: JSON
/// writers do not escape ASCII letters).
pub(crate) const QUOTED_KEY: &[u8] = b"\"CloudTrailEvent\"";

/// The record inside an event-history entry, a CloudWatch Logs event or a partner's EventBridge
/// event, or `value` unchanged when it is none of them.
///
/// An entry is an object with a string `CloudTrailEvent` and an `EventId` or `EventName` (the
/// API's own members: an unrelated object that happens to have a `CloudTrailEvent` member is
/// left alone). A string that is not one JSON object, or nests deeper than `max_depth`, is the
/// entry's error: the entry is reported and skipped like any malformed record.
///
/// A log event is an object of at most five members: a string `message`, a number `timestamp`,
/// and an `id`, `eventId`, `ingestionTime` or `logStreamName`. A partner event has a `detail`
/// object, a `detail-type` and a `source` under `aws.partner/`.
pub(crate) fn unwrap_embedded(value: Value, max_depth: usize) -> Result<Value, DecodeErrorKind> {
    let Value::Object(map) = &value else {
        return Ok(value);
    };
    // What a Splunk result or an Elasticsearch hit holds may itself be a Pub/Sub message (the
    // Google Cloud add-on's, the GCP integration's preserved original).
    if let Some(found) = crate::splunk::raw_record(map, max_depth) {
        return found.and_then(|record| pubsub_entry(record, max_depth));
    }
    if let Some(record) = crate::elastic::hit_record(map, max_depth) {
        return pubsub_entry(record, max_depth);
    }
    if let Some(found) = crate::pubsub::held_entry(map, max_depth) {
        return found;
    }
    if let Some(found) = crate::syslog::journal_entry(map, max_depth) {
        return found;
    }
    // An entry has nine members, a log event at most five; a CloudTrail record has more.
    if map.len() > 12 {
        return Ok(value);
    }
    if let Some(Value::String(inner)) = map.get(EMBEDDED_RECORD_KEY)
        && (map.contains_key("EventId") || map.contains_key("EventName"))
    {
        return history_record(inner, max_depth);
    }
    if let Some(message) = log_event_message(map) {
        let text = message.trim_ascii_start();
        if text.starts_with('{')
            && !crate::jsonl::depth_exceeds(text.as_bytes(), max_depth)
            && let Ok(record @ Value::Object(_)) = crate::error::parse_json(text.as_bytes())
        {
            return Ok(record);
        }
    }
    if is_partner_event(map)
        && let Value::Object(mut map) = value
    {
        return Ok(map.remove("detail").unwrap_or_default());
    }
    Ok(value)
}

/// The log entry `record` holds when it is a Pub/Sub message, else `record`.
fn pubsub_entry(record: Value, max_depth: usize) -> Result<Value, DecodeErrorKind> {
    match &record {
        Value::Object(map) => match crate::pubsub::held_entry(map, max_depth) {
            Some(found) => found,
            None => Ok(record),
        },
        _ => Ok(record),
    }
}

/// Whether `map` is an Amazon EventBridge event from a SaaS partner's event source
/// (`aws.partner/okta.com/…` for Okta's log streaming): its `detail` is the partner's own record.
/// AWS services' events (CloudTrail's `AWS API Call via CloudTrail`) are left to their
/// normalizers.
fn is_partner_event(map: &Map<String, Value>) -> bool {
    matches!(map.get("detail"), Some(Value::Object(_)))
        && map.contains_key("detail-type")
        && map
            .get("source")
            .and_then(Value::as_str)
            .is_some_and(|s| s.starts_with("aws.partner/"))
}

/// The record an event-history entry's string holds, or the entry's error.
fn history_record(inner: &str, max_depth: usize) -> Result<Value, DecodeErrorKind> {
    let failure = |detail: String| {
        DecodeErrorKind::InvalidJson(format!(
            "the `{EMBEDDED_RECORD_KEY}` string of this CloudTrail event-history entry does not \
             hold a CloudTrail record: {detail}"
        ))
    };
    if crate::jsonl::depth_exceeds(inner.as_bytes(), max_depth) {
        return Err(failure(format!(
            "its JSON nests deeper than {max_depth} levels"
        )));
    }
    match crate::error::parse_json(inner.as_bytes()) {
        Ok(record @ Value::Object(_)) => Ok(record),
        Ok(_) => Err(failure("it is not a JSON object".to_owned())),
        Err(DecodeErrorKind::InvalidJson(detail)) => {
            Err(failure(format!("inside the string, {detail}")))
        }
        Err(other) => Err(other),
    }
}

/// A CloudWatch Logs event's `message`, when `map` is one.
fn log_event_message(map: &Map<String, Value>) -> Option<&str> {
    if map.len() > 5 || !matches!(map.get("timestamp"), Some(Value::Number(_))) {
        return None;
    }
    let identified = ["id", "eventId", "ingestionTime", "logStreamName"]
        .iter()
        .any(|k| map.contains_key(*k));
    match map.get("message") {
        Some(Value::String(message)) if identified => Some(message),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(inner: &str) -> Value {
        json!({
            "EventId": "1c5bc7a4-0000-4000-8000-000000000001",
            "EventName": "ListUsers",
            "ReadOnly": "true",
            "EventTime": "2023-07-10T11:44:05+00:00",
            "EventSource": "iam.amazonaws.com",
            "Username": "benjamin",
            "Resources": [],
            "CloudTrailEvent": inner,
        })
    }

    #[test]
    fn the_quoted_keys_are_the_keys() {
        assert_eq!(QUOTED_KEY, format!("\"{EMBEDDED_RECORD_KEY}\"").as_bytes());
        for key in crate::WRAPPER_KEYS {
            assert!(
                crate::is_wrapper_key(format!("\"{key}\"").as_bytes(), false),
                "{key}"
            );
            assert!(!crate::is_wrapper_key(key.as_bytes(), true), "{key}");
        }
        assert!(!crate::is_wrapper_key(QUOTED_KEY, true));
        for key in crate::LEADING_WRAPPER_KEYS {
            let leading = format!("\"{key}\"");
            assert!(crate::is_wrapper_key(leading.as_bytes(), true), "{key}");
            assert!(!crate::is_wrapper_key(leading.as_bytes(), false), "{key}");
        }
    }

    #[test]
    fn an_event_history_entry_gives_its_cloudtrail_record() {
        let inner = r#"{"eventVersion":"1.08","eventName":"ListUsers","userIdentity":{"arn":"arn:aws:iam::1:user/benjamin"}}"#;
        let record = unwrap_embedded(entry(inner), 128).unwrap();
        assert_eq!(record, serde_json::from_str::<Value>(inner).unwrap());
    }

    #[test]
    fn other_records_are_left_alone() {
        for value in [
            json!({"CloudTrailEvent": "{\"a\": 1}"}),
            json!({"EventId": "x", "CloudTrailEvent": {"a": 1}}),
            json!({"eventName": "ListUsers"}),
            json!([1, 2]),
            json!("CloudTrailEvent"),
        ] {
            assert_eq!(unwrap_embedded(value.clone(), 128).unwrap(), value);
        }
    }

    #[test]
    fn a_string_that_holds_no_record_is_the_entrys_error() {
        for (inner, says) in [
            (
                "{\"eventName\": \"ListUsers\"",
                "CloudTrail event-history entry",
            ),
            ("[1]", "not a JSON object"),
            ("", "CloudTrailEvent"),
        ] {
            let err = unwrap_embedded(entry(inner), 128).unwrap_err();
            assert!(
                matches!(&err, DecodeErrorKind::InvalidJson(d) if d.contains(says)),
                "{inner:?}: {err:?}"
            );
        }
        let deep = format!("{}1{}", "[".repeat(40), "]".repeat(40));
        let err = unwrap_embedded(entry(&format!("{{\"a\":{deep}}}")), 20).unwrap_err();
        assert!(matches!(&err, DecodeErrorKind::InvalidJson(d) if d.contains("deeper than 20")));
    }
}
