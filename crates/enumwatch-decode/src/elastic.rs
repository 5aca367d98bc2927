//! Elasticsearch documents as they leave a cluster: a `_search` (or scroll) response, whose
//! `hits.hits` are the documents, and the hits themselves (`{"_index", "_id", "_source"}`, one
//! per line as `elasticdump` writes them).
//!
//! A hit's `_source` is the document a shipper indexed: Winlogbeat's and the Elastic Agent's
//! Windows events (`winlog.*`), which the Windows normalizers read as they are. When the
//! integration kept the vendor's record in `event.original` (its `preserve_original_event`
//! option), that record — a JSON object, or a Windows event's XML — is handed out instead, so
//! a CloudTrail or Entra record indexed by the Elastic Agent is read as the vendor wrote it.

use serde_json::{Map, Value};

/// A search response's first member, quotes included: the well-formedness check is never sure
/// of a response, which holds many records. (A hit's `_source` and `event.original` hold their
/// record's literals as `splunk` says of `_raw`.)
pub(crate) const QUOTED_TOOK_KEY: &[u8] = b"\"took\"";

/// The record a hit holds (its `event.original` when that is a vendor record, else its
/// `_source`), or `None` when `map` is no hit.
pub(crate) fn hit_record(map: &Map<String, Value>, max_depth: usize) -> Option<Value> {
    if map.keys().next().map(String::as_str) != Some("_index") {
        return None;
    }
    let Some(source @ Value::Object(fields)) = map.get("_source") else {
        return None;
    };
    let original = fields
        .get("event")
        .and_then(|event| event.get("original"))
        .or_else(|| fields.get("event.original"));
    if let Some(Value::String(original)) = original
        && let Some(Ok(record)) = crate::splunk::held_record(original, max_depth)
    {
        return Some(record);
    }
    Some(source.clone())
}

/// The hits of a `_search` or scroll response, `None` when `value` is none.
pub(crate) fn search_hits(value: &mut Value) -> Option<Vec<Value>> {
    let Value::Object(map) = value else {
        return None;
    };
    // By its first member, which costs no hashing: every parsed record is asked.
    if !matches!(
        map.keys().next().map(String::as_str),
        Some("took" | "_scroll_id" | "pit_id")
    ) {
        return None;
    }
    match map.get_mut("hits")?.get_mut("hits")? {
        Value::Array(hits) => Some(std::mem::take(hits)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::object;
    use serde_json::json;

    #[test]
    fn a_hit_gives_its_source_or_the_original_record() {
        let source = json!({"@timestamp": "2023-07-10T11:43:33Z",
                            "winlog": {"event_id": "1", "provider_name": "Microsoft-Windows-Sysmon"}});
        let hit = object(json!({"_index": "winlogbeat-8", "_id": "a", "_score": 1.0,
                                "_source": source}));
        assert_eq!(hit_record(&hit, 64), Some(source));
        let record = json!({"eventVersion": "1.08", "eventName": "ListUsers"});
        for original in [
            json!({"event": {"original": record.to_string()}}),
            json!({"event.original": record.to_string()}),
        ] {
            let hit = object(json!({"_index": "logs-aws.cloudtrail", "_source": original}));
            assert_eq!(hit_record(&hit, 64), Some(record.clone()));
        }
        // An original that holds no record leaves the source.
        let source = json!({"event": {"original": "plain text"}, "message": "m"});
        let hit = object(json!({"_index": "i", "_source": source}));
        assert_eq!(hit_record(&hit, 64), Some(source));
        assert_eq!(
            hit_record(&object(json!({"_id": "x", "_source": {}})), 64),
            None
        );
        assert_eq!(
            hit_record(&object(json!({"_index": "x", "_source": "s"})), 64),
            None
        );
    }

    #[test]
    fn a_search_response_gives_its_hits() {
        let mut scroll = json!({"_scroll_id": "s", "took": 1, "hits": {"hits": [{"_index": "a"}]}});
        assert_eq!(search_hits(&mut scroll).map(|h| h.len()), Some(1));
        let mut response = json!({"took": 3, "timed_out": false, "_shards": {"total": 1},
            "hits": {"total": {"value": 2, "relation": "eq"}, "max_score": 1.0,
                     "hits": [{"_index": "a"}, {"_index": "b"}]}});
        assert_eq!(search_hits(&mut response).map(|h| h.len()), Some(2));
        assert!(search_hits(&mut json!({"hits": {"hits": []}})).is_none());
        assert!(search_hits(&mut json!({"took": 1, "hits": []})).is_none());
    }
}
