//! AWS CloudTrail as Microsoft Sentinel stores it: rows of the `AWSCloudTrail` table (the AWS S3
//! connector's flattening of each record), exported from Log Analytics as JSON (the portal, `az
//! monitor log-analytics query`, the Logs API) or as the portal's CSV (`TimeGenerated [UTC]` in
//! US-style time).
//!
//! Each row is rebuilt into the record CloudTrail wrote (`UserIdentityArn` back to
//! `userIdentity.arn`, `SessionIssuerArn` to `userIdentity.sessionContext.sessionIssuer.arn`,
//! `RequestParameters` text to its object), so Sigma rules written for CloudTrail, the built-in
//! analytics and the hunting queries read it as they read a trail. Columns the connector adds
//! (`TenantId`, `SourceSystem`, `Type`, …) are kept under their own names.

use enumwatch_event::Member;
use serde_json::{Map, Value};

use crate::time;

/// Where each `AWSCloudTrail` column goes in the CloudTrail record.
const COLUMNS: &[(&str, &[&str])] = &[
    ("EventVersion", &["eventVersion"]),
    ("UserIdentityType", &["userIdentity", "type"]),
    ("UserIdentityPrincipalid", &["userIdentity", "principalId"]),
    ("UserIdentityArn", &["userIdentity", "arn"]),
    ("UserIdentityAccountId", &["userIdentity", "accountId"]),
    ("UserIdentityInvokedBy", &["userIdentity", "invokedBy"]),
    ("UserIdentityAccessKeyId", &["userIdentity", "accessKeyId"]),
    ("UserIdentityUserName", &["userIdentity", "userName"]),
    (
        "SessionMfaAuthenticated",
        &[
            "userIdentity",
            "sessionContext",
            "attributes",
            "mfaAuthenticated",
        ],
    ),
    (
        "SessionCreationDate",
        &[
            "userIdentity",
            "sessionContext",
            "attributes",
            "creationDate",
        ],
    ),
    (
        "SessionIssuerType",
        &["userIdentity", "sessionContext", "sessionIssuer", "type"],
    ),
    (
        "SessionIssuerPrincipalId",
        &[
            "userIdentity",
            "sessionContext",
            "sessionIssuer",
            "principalId",
        ],
    ),
    (
        "SessionIssuerArn",
        &["userIdentity", "sessionContext", "sessionIssuer", "arn"],
    ),
    (
        "SessionIssuerAccountId",
        &[
            "userIdentity",
            "sessionContext",
            "sessionIssuer",
            "accountId",
        ],
    ),
    (
        "SessionIssuerUserName",
        &[
            "userIdentity",
            "sessionContext",
            "sessionIssuer",
            "userName",
        ],
    ),
    ("EventSource", &["eventSource"]),
    ("EventName", &["eventName"]),
    ("AWSRegion", &["awsRegion"]),
    ("SourceIpAddress", &["sourceIPAddress"]),
    ("UserAgent", &["userAgent"]),
    ("ErrorCode", &["errorCode"]),
    ("ErrorMessage", &["errorMessage"]),
    ("RequestParameters", &["requestParameters"]),
    ("ResponseElements", &["responseElements"]),
    ("AdditionalEventData", &["additionalEventData"]),
    ("AwsRequestId", &["requestID"]),
    ("AwsEventId", &["eventID"]),
    ("Resources", &["resources"]),
    ("EventTypeName", &["eventType"]),
    ("APIVersion", &["apiVersion"]),
    ("ReadOnly", &["readOnly"]),
    ("ManagementEvent", &["managementEvent"]),
    ("RecipientAccountId", &["recipientAccountId"]),
    ("ServiceEventDetails", &["serviceEventDetails"]),
    ("SharedEventId", &["sharedEventID"]),
    ("VpcEndpointId", &["vpcEndpointId"]),
    ("EventCategory", &["eventCategory"]),
    ("TlsVersion", &["tlsDetails", "tlsVersion"]),
    ("CipherSuite", &["tlsDetails", "cipherSuite"]),
    (
        "ClientProvidedHostHeader",
        &["tlsDetails", "clientProvidedHostHeader"],
    ),
    ("EdgeDeviceDetails", &["edgeDeviceDetails"]),
];

/// Columns whose text is the JSON of a CloudTrail member.
const JSON_TEXT: [&str; 6] = [
    "RequestParameters",
    "ResponseElements",
    "AdditionalEventData",
    "Resources",
    "ServiceEventDetails",
    "EdgeDeviceDetails",
];

/// Whether `raw` is an `AWSCloudTrail` row: its `Type`, or the table's own event and identity
/// columns.
pub(crate) fn is_row(raw: &Value) -> bool {
    if raw.member("Type").and_then(Value::as_str) == Some("AWSCloudTrail") {
        return true;
    }
    raw.member("EventSource").is_some()
        && raw.member("EventName").is_some()
        && (raw.member("UserIdentityType").is_some() || raw.member("AwsEventId").is_some())
}

/// The CloudTrail record an `AWSCloudTrail` row holds, or `None` when `raw` is no such row.
pub(crate) fn record(raw: &Value) -> Option<Value> {
    if !is_row(raw) {
        return None;
    }
    let row = raw.as_object()?;
    let mut record = Map::new();
    let mut time_text = None;
    for (column, value) in row {
        // The portal's CSV names a datetime column `TimeGenerated [UTC]` and writes its
        // value US-style; CloudTrail writes ISO 8601.
        let (name, datetime) = match column.strip_suffix(" [UTC]") {
            Some(name) => (name, true),
            None => (column.as_str(), false),
        };
        if is_empty(value) {
            continue;
        }
        if name == "TimeGenerated" {
            time_text = value.as_str().map(str::to_owned);
            continue;
        }
        match COLUMNS.iter().find(|(c, _)| c.eq_ignore_ascii_case(name)) {
            Some((c, path)) => {
                let value = match value.as_str() {
                    Some(text) if datetime => Value::String(iso_time(text)),
                    _ => typed(c, value),
                };
                insert(&mut record, path, value);
            }
            None => {
                record.insert(column.clone(), value.clone());
            }
        }
    }
    // The connector writes the record's `eventTime` as `TimeGenerated`.
    if let Some(text) = time_text {
        record.insert("eventTime".to_owned(), Value::String(iso_time(&text)));
    }
    Some(Value::Object(record))
}

/// A time as CloudTrail writes it (`2023-07-10T11:43:33Z`), or the text as it came when it is
/// no time.
fn iso_time(text: &str) -> String {
    time::parse(text).map_or_else(
        || text.to_owned(),
        |t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

/// A column's value as CloudTrail types it.
fn typed(column: &str, value: &Value) -> Value {
    match (column, value) {
        (c, Value::String(text)) if JSON_TEXT.contains(&c) => {
            let trimmed = text.trim_start();
            if trimmed.starts_with('{') || trimmed.starts_with('[') {
                serde_json::from_str(trimmed).unwrap_or_else(|_| value.clone())
            } else {
                value.clone()
            }
        }
        ("ReadOnly" | "ManagementEvent", Value::String(text)) => match boolean(text) {
            Some(b) => Value::Bool(b),
            None => value.clone(),
        },
        // CloudTrail writes `mfaAuthenticated` as text.
        ("SessionMfaAuthenticated", Value::Bool(b)) => Value::String(b.to_string()),
        ("SessionMfaAuthenticated", Value::String(text)) => match boolean(text) {
            Some(b) => Value::String(b.to_string()),
            None => value.clone(),
        },
        _ => value.clone(),
    }
}

fn boolean(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        _ => false,
    }
}

fn insert(record: &mut Map<String, Value>, path: &[&str], value: Value) {
    let Some((last, parents)) = path.split_last() else {
        return;
    };
    let mut map = record;
    for key in parents {
        let slot = map
            .entry((*key).to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if !slot.is_object() {
            *slot = Value::Object(Map::new());
        }
        let Value::Object(inner) = slot else {
            return;
        };
        map = inner;
    }
    map.insert((*last).to_owned(), value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_row_becomes_the_record_cloudtrail_wrote() {
        let row = json!({
            "TenantId": "0f2e",
            "TimeGenerated [UTC]": "7/10/2023, 11:43:33.000 AM",
            "EventVersion": "1.08",
            "UserIdentityType": "AssumedRole",
            "UserIdentityArn": "arn:aws:sts::123456789012:assumed-role/Admin/alice",
            "UserIdentityAccessKeyId": "",
            "SessionMfaAuthenticated": false,
            "SessionIssuerArn": "arn:aws:iam::123456789012:role/Admin",
            "EventSource": "iam.amazonaws.com",
            "EventName": "ListUsers",
            "RequestParameters": "{\"maxItems\":100}",
            "Resources": "",
            "ReadOnly": "True",
            "TlsVersion": "TLSv1.2",
            "Type": "AWSCloudTrail",
        });
        assert_eq!(
            record(&row).unwrap(),
            json!({
                "TenantId": "0f2e",
                "eventTime": "2023-07-10T11:43:33Z",
                "eventVersion": "1.08",
                "userIdentity": {
                    "type": "AssumedRole",
                    "arn": "arn:aws:sts::123456789012:assumed-role/Admin/alice",
                    "sessionContext": {
                        "attributes": {"mfaAuthenticated": "false"},
                        "sessionIssuer": {"arn": "arn:aws:iam::123456789012:role/Admin"}
                    }
                },
                "eventSource": "iam.amazonaws.com",
                "eventName": "ListUsers",
                "requestParameters": {"maxItems": 100},
                "readOnly": true,
                "tlsDetails": {"tlsVersion": "TLSv1.2"},
                "Type": "AWSCloudTrail",
            })
        );
    }

    #[test]
    fn other_tables_and_trail_records_are_not_rows() {
        assert!(!is_row(&json!({"Type": "SigninLogs", "EventName": "x"})));
        assert!(!is_row(
            &json!({"eventSource": "iam.amazonaws.com", "eventName": "ListUsers"})
        ));
        assert!(is_row(
            &json!({"EventSource": "s", "EventName": "n", "AwsEventId": "e"})
        ));
        assert!(record(&json!("AWSCloudTrail")).is_none());
    }
}
