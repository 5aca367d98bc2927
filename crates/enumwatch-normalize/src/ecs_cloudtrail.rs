//! AWS CloudTrail as the Elastic Agent's AWS integration indexes it: an ECS document with the
//! record's own fields under `aws.cloudtrail` in snake case (`user_identity.arn`,
//! `recipient_account_id`, the request and response objects under `flattened`) and the rest
//! moved to ECS fields (`event.action` is `eventName`, `event.provider` `eventSource`,
//! `source.address`, `user_agent.original`, `cloud.region`, `@timestamp`).
//!
//! Without the integration's `preserve_original_event` option the record itself is gone (with
//! it, `decode` hands out `event.original`), so the document is rebuilt into the record
//! CloudTrail wrote, as `sentinel_cloudtrail` does for Sentinel's flattening: rules, analytics
//! and hunting queries then read CloudTrail's names. What ECS added (geo, `related`, parsed
//! user agent) is left out.

use enumwatch_event::Member;
use serde_json::{Map, Value};

use crate::{cloudtrail_rows, time};

/// Whether `raw` is such a document: an `aws.cloudtrail` object with an `event_version` (as
/// every CloudTrail record has; the prefilter looks for it, `raw_facts`) beside
/// `event.provider` and `event.action`.
pub(crate) fn is_document(raw: &Value) -> bool {
    let Some(event) = raw.member("event") else {
        return false;
    };
    event.member("provider").is_some()
        && event.member("action").is_some()
        && raw
            .member("aws")
            .and_then(|aws| aws.member("cloudtrail"))
            .and_then(|trail| trail.member("event_version"))
            .is_some()
}

/// The CloudTrail record the document holds, or `None` when `raw` is none.
pub(crate) fn record(raw: &Value) -> Option<Value> {
    if !is_document(raw) {
        return None;
    }
    let trail = raw.member("aws")?.member("cloudtrail")?.as_object()?;
    let mut record = Map::new();
    // The objects first: their string renderings (`{userName=Bob}`) only stand in for them.
    if let Some(Value::Object(flattened)) = trail.member("flattened") {
        for (key, value) in flattened {
            record.insert(camel(key), value.clone());
        }
    }
    for (key, value) in trail {
        match key.as_str() {
            "flattened" => {}
            "user_identity" => {
                record.insert("userIdentity".to_owned(), user_identity(value));
            }
            "resources" => {
                record.insert("resources".to_owned(), resources(value));
            }
            "request_parameters"
            | "response_elements"
            | "additional_eventdata"
            | "service_event_details" => {
                let name = camel(key);
                if !record.contains_key(&name) {
                    record.insert(name, rendered_object(value));
                }
            }
            _ => {
                record.insert(camel(key), camel_keys(value));
            }
        }
    }
    let text = |path: &[&str]| -> Option<Value> {
        let mut v = raw;
        for key in path {
            v = v.member(key)?;
        }
        v.as_str().map(|s| Value::String(s.to_owned()))
    };
    let mut put = |name: &str, value: Option<Value>| {
        if let Some(value) = value
            && !record.contains_key(name)
        {
            record.insert(name.to_owned(), value);
        }
    };
    put("eventName", text(&["event", "action"]));
    put("eventSource", text(&["event", "provider"]));
    put("eventID", text(&["event", "id"]));
    put("awsRegion", text(&["cloud", "region"]));
    put(
        "sourceIPAddress",
        text(&["source", "address"]).or_else(|| text(&["source", "ip"])),
    );
    put("userAgent", text(&["user_agent", "original"]));
    put(
        "eventTime",
        text(&["@timestamp"]).map(|t| match t.as_str().and_then(time::parse) {
            Some(stamp) => Value::String(stamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string()),
            None => t,
        }),
    );
    // ECS's `user` and `cloud.account` carry what it moved out of `userIdentity`.
    let identity = record
        .entry("userIdentity")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(identity) = identity {
        let assumed = identity
            .get("type")
            .and_then(Value::as_str)
            .is_some_and(|t| t == "AssumedRole");
        if let Some(id) = text(&["user", "id"]) {
            identity.entry("principalId").or_insert(id);
        }
        if let Some(account) = text(&["cloud", "account", "id"]) {
            identity.entry("accountId").or_insert(account);
        }
        if let Some(name) = text(&["user", "name"]) {
            if assumed {
                // For a role session ECS names the role's issuer.
                if let Some(Value::Object(context)) = identity.get_mut("sessionContext") {
                    let issuer = context
                        .entry("sessionIssuer")
                        .or_insert_with(|| Value::Object(Map::new()));
                    if let Value::Object(issuer) = issuer {
                        issuer.entry("userName").or_insert(name);
                    }
                }
            } else {
                identity.entry("userName").or_insert(name);
            }
        }
    }
    Some(Value::Object(record))
}

/// `user_identity` in CloudTrail's spelling: `session_context.creation_date` and
/// `mfa_authenticated` go back under `attributes`.
fn user_identity(value: &Value) -> Value {
    let mut identity = camel_keys(value);
    if let Some(Value::Object(context)) = identity.get_mut("sessionContext") {
        let mut attributes = Map::new();
        for name in ["creationDate", "mfaAuthenticated"] {
            if let Some(v) = context.remove(name) {
                attributes.insert(name.to_owned(), v);
            }
        }
        if let Some(Value::String(created)) = attributes.get_mut("creationDate")
            && let Some(stamp) = time::parse(created)
        {
            *created = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
        }
        if !attributes.is_empty() {
            context.insert("attributes".to_owned(), Value::Object(attributes));
        }
    }
    identity
}

/// `resources` in CloudTrail's spelling (`ARN` upper-case).
fn resources(value: &Value) -> Value {
    match camel_keys(value) {
        Value::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|mut item| {
                    if let Value::Object(map) = &mut item
                        && let Some(arn) = map.remove("arn")
                    {
                        map.insert("ARN".to_owned(), arn);
                    }
                    item
                })
                .collect(),
        ),
        other => other,
    }
}

/// A request or response the integration kept only as its string rendering (JSON, or Java's
/// `{userName=Bob, tags=[{key=Email}]}`), as the object it renders when it can be read.
fn rendered_object(value: &Value) -> Value {
    let Value::String(text) = value else {
        return value.clone();
    };
    serde_json::from_str::<Value>(text)
        .ok()
        .filter(|v| v.is_object() || v.is_array())
        .or_else(|| cloudtrail_rows::row_text(text))
        .unwrap_or_else(|| value.clone())
}

/// Every object key of `value` in CloudTrail's camel case.
fn camel_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (camel(k), camel_keys(v))).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(camel_keys).collect()),
        other => other.clone(),
    }
}

/// CloudTrail's name for an integration's snake-case field (`recipient_account_id` is
/// `recipientAccountId`, and the few CloudTrail spells otherwise).
fn camel(key: &str) -> String {
    match key {
        "request_id" => return "requestID".to_owned(),
        "event_id" => return "eventID".to_owned(),
        "shared_event_id" => return "sharedEventID".to_owned(),
        "additional_eventdata" => return "additionalEventData".to_owned(),
        "source_ip_address" => return "sourceIPAddress".to_owned(),
        _ => {}
    }
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_ecs_document_becomes_the_record_cloudtrail_wrote() {
        let doc = json!({
            "@timestamp": "2019-10-02T22:12:29.000Z",
            "aws": {"cloudtrail": {
                "event_type": "AwsApiCall",
                "event_version": "1.05",
                "flattened": {"request_parameters": {"roleSessionName": "Role2WithTags"}},
                "recipient_account_id": "111111111111",
                "request_id": "b96b",
                "request_parameters": "{roleSessionName=Role2WithTags}",
                "response_elements": "{credentials={accessKeyId=ASIA, expiration=Oct 2, 2019 11:12:29 PM}}",
                "resources": [{"account_id": "1", "arn": "arn:aws:iam::1:role/R", "type": "AWS::IAM::Role"}],
                "user_identity": {
                    "access_key_id": "AKIA",
                    "arn": "arn:aws:sts::111111111111:assumed-role/JohnDoe/JohnRole1",
                    "session_context": {
                        "creation_date": "2019-10-02T21:50:54.000Z",
                        "mfa_authenticated": "false",
                        "session_issuer": {"arn": "arn:aws:iam::111111111111:role/JohnRole1", "type": "Role"}
                    },
                    "type": "AssumedRole"
                }
            }},
            "cloud": {"account": {"id": "111111111111"}, "region": "us-east-2"},
            "event": {"action": "AssumeRole", "id": "1917", "provider": "sts.amazonaws.com", "outcome": "success"},
            "source": {"address": "81.2.69.144", "ip": "81.2.69.144", "geo": {"city_name": "London"}},
            "user": {"id": "AROAIN5ATK5U7KEXAMPLE:JohnRole1", "name": "JohnDoe"},
            "user_agent": {"name": "aws-cli", "original": "aws-cli/1.16.248 Python/3.4.7"},
            "related": {"entity": ["JohnDoe"]}
        });
        assert_eq!(
            record(&doc).unwrap(),
            json!({
                "requestParameters": {"roleSessionName": "Role2WithTags"},
                "eventType": "AwsApiCall",
                "eventVersion": "1.05",
                "recipientAccountId": "111111111111",
                "requestID": "b96b",
                "responseElements": {"credentials": {"accessKeyId": "ASIA",
                                                     "expiration": "Oct 2, 2019 11:12:29 PM"}},
                "resources": [{"accountId": "1", "ARN": "arn:aws:iam::1:role/R", "type": "AWS::IAM::Role"}],
                "userIdentity": {
                    "accessKeyId": "AKIA",
                    "arn": "arn:aws:sts::111111111111:assumed-role/JohnDoe/JohnRole1",
                    "sessionContext": {
                        "attributes": {"creationDate": "2019-10-02T21:50:54Z", "mfaAuthenticated": "false"},
                        "sessionIssuer": {"arn": "arn:aws:iam::111111111111:role/JohnRole1",
                                          "type": "Role", "userName": "JohnDoe"}
                    },
                    "type": "AssumedRole",
                    "principalId": "AROAIN5ATK5U7KEXAMPLE:JohnRole1",
                    "accountId": "111111111111"
                },
                "eventName": "AssumeRole",
                "eventSource": "sts.amazonaws.com",
                "eventID": "1917",
                "awsRegion": "us-east-2",
                "sourceIPAddress": "81.2.69.144",
                "userAgent": "aws-cli/1.16.248 Python/3.4.7",
                "eventTime": "2019-10-02T22:12:29Z"
            })
        );
    }

    #[test]
    fn other_documents_are_not_cloudtrail() {
        assert!(!is_document(
            &json!({"event": {"action": "x", "provider": "y"}})
        ));
        assert!(!is_document(
            &json!({"aws": {"cloudtrail": {}}, "event": {"action": "x"}})
        ));
        assert!(!is_document(
            &json!({"aws": {"cloudtrail": "x"}, "event": {"action": "x", "provider": "y"}})
        ));
        assert!(record(&json!([])).is_none());
    }
}
