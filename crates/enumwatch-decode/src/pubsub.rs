//! Google Cloud Pub/Sub messages carrying Cloud Logging entries: how a log sink's records reach
//! SIEMs and the people who pull them by hand.
//!
//! A sink to a Pub/Sub topic publishes each `LogEntry` as a message whose `data` is the entry's
//! JSON, base64-encoded: `gcloud pubsub subscriptions pull --format=json` prints
//! `[{"ackId": …, "message": {"data": …, "messageId": …, "publishTime": …}}]`, a push
//! subscription posts `{"message": {…}, "subscription": …}`, and a bare message is
//! `{"data": …, "messageId": …}`. Splunk's Google Cloud add-on keeps the message with its
//! `data` already decoded (`{"attributes": …, "data": {<LogEntry>}, "publish_time": …}`). In
//! each case the entry is handed out in the message's place. Base64 hides every literal from
//! the prefilter, which parses every message it knows by the same first members
//! (`enumwatch_engine`'s `prefilter::opaque`).

use base64::Engine;
use serde_json::{Map, Value};

use crate::DecodeErrorKind;

/// The entry a Pub/Sub message (or its pull/push envelope) holds: `Some(Ok(entry))`,
/// `Some(Err(_))` when its `data` is not base64 of a JSON object, `None` when `map` is no
/// such message.
pub(crate) fn held_entry(
    map: &Map<String, Value>,
    max_depth: usize,
) -> Option<Result<Value, DecodeErrorKind>> {
    // By the first member, which costs no hashing: every parsed record is asked.
    let first = map.keys().next()?;
    if !matches!(
        first.as_str(),
        "ackId"
            | "message"
            | "subscription"
            | "data"
            | "attributes"
            | "messageId"
            | "message_id"
            | "publishTime"
            | "publish_time"
    ) {
        return None;
    }
    let message = match map.get("message") {
        Some(Value::Object(message)) if map.len() <= 4 => message,
        _ => map,
    };
    let has = |keys: &[&str]| keys.iter().any(|k| message.contains_key(*k));
    match message.get("data")? {
        // Decoded (Splunk's add-on): its literals are in the text.
        Value::Object(entry)
            if has(&["messageId", "message_id", "publishTime", "publish_time"]) =>
        {
            Some(Ok(Value::Object(entry.clone())))
        }
        // Base64: only with the message id the prefilter knows a message by.
        Value::String(encoded) if has(&["messageId", "message_id"]) => {
            Some(decode(encoded, max_depth))
        }
        _ => None,
    }
}

fn decode(encoded: &str, max_depth: usize) -> Result<Value, DecodeErrorKind> {
    let failure = |detail: String| {
        DecodeErrorKind::InvalidJson(format!(
            "the `data` of this Pub/Sub message is not a log entry: {detail}"
        ))
    };
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let bytes = engine
        .decode(encoded.trim())
        .map_err(|e| failure(format!("not base64 ({e})")))?;
    if crate::jsonl::depth_exceeds(&bytes, max_depth) {
        return Err(DecodeErrorKind::TooDeep { limit: max_depth });
    }
    match crate::error::parse_json(&bytes) {
        Ok(entry @ Value::Object(_)) => Ok(entry),
        Ok(_) => Err(failure(
            "it decodes to JSON that is not an object".to_owned(),
        )),
        Err(DecodeErrorKind::InvalidJson(detail)) => {
            Err(failure(format!("it decodes to invalid JSON ({detail})")))
        }
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::object;
    use base64::engine::general_purpose::STANDARD;
    use serde_json::json;

    fn entry() -> Value {
        json!({"protoPayload": {"methodName": "google.iam.admin.v1.ListServiceAccounts"},
               "logName": "projects/p/logs/cloudaudit.googleapis.com%2Fdata_access"})
    }

    #[test]
    fn pulled_pushed_and_bare_messages_give_their_entry() {
        let data = STANDARD.encode(entry().to_string());
        let message = json!({"attributes": {"logging.googleapis.com/timestamp": "2024-05-14T10:02:11Z"},
                             "data": data, "messageId": "1", "publishTime": "2024-05-14T10:02:12Z"});
        for shape in [
            json!({"ackId": "a", "message": message}),
            json!({"message": message, "subscription": "projects/p/subscriptions/s"}),
            message.clone(),
        ] {
            assert_eq!(held_entry(&object(shape), 64).unwrap().unwrap(), entry());
        }
        // Splunk's add-on: `data` decoded, snake-case names.
        let splunk = json!({"attributes": {}, "data": entry(), "publish_time": "1715680931.5"});
        assert_eq!(held_entry(&object(splunk), 64).unwrap().unwrap(), entry());
        // Unpadded base64 too.
        let unpadded = data.trim_end_matches('=').to_owned();
        let bare = json!({"data": unpadded, "message_id": "2"});
        assert_eq!(held_entry(&object(bare), 64).unwrap().unwrap(), entry());
    }

    #[test]
    fn undecodable_data_is_the_messages_error_and_other_records_are_left() {
        for data in ["not base64!", "aGVsbG8=", "WzFd"] {
            let message = object(json!({"data": data, "messageId": "1"}));
            let err = held_entry(&message, 64).unwrap().unwrap_err();
            assert!(format!("{err:?}").contains("Pub/Sub"), "{data}: {err:?}");
        }
        for other in [
            json!({"message": "hello", "level": "info"}),
            json!({"data": "x"}),
            json!({"eventVersion": "1.08", "messageId": "x", "data": "x"}),
            // Base64 without a message id is not taken for a message.
            json!({"data": "eyJ9", "publishTime": "2024-05-14T10:02:12Z"}),
        ] {
            assert!(held_entry(&object(other.clone()), 64).is_none(), "{other}");
        }
    }
}
