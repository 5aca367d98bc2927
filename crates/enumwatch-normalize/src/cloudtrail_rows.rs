//! CloudTrail records as query engines return them: rows with lower-cased column names.
//!
//! Incident responders query a trail's S3 objects with Amazon Athena (the table the CloudTrail
//! console creates) and keep the results: the console's CSV download, the result file in S3,
//! or `aws athena get-query-results` (the decoder turns its `ResultSet` into one record per
//! row). Athena lower-cases every column and struct field name (`eventname`, `useridentity`),
//! writes a struct column as Trino renders a `ROW`
//! (`{type=IAMUser, principalid=AIDA…, arn=arn:aws:iam::…:user/alice, invokedby=null, …}`) and
//! keeps `requestParameters` and its kin as the JSON text the trail held. Data lakes that
//! lower-case column names (Snowflake behind Panther) give the same keys as JSON.
//!
//! Rules and analysts know CloudTrail by its own names (`eventName`, `userIdentity.arn`), so
//! such a row is rebuilt into the record the trail wrote, key for key: a column or struct
//! field CloudTrail names is given CloudTrail's spelling, a `ROW` text becomes the object it
//! renders, a JSON text the value it holds, and `null` is left out as CloudTrail leaves out an
//! absent member. Anything else (partition columns, unknown fields) is kept as it came.

use enumwatch_event::Member;
use serde_json::{Map, Value};

/// What a member's value is, so its own members get CloudTrail's names.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Record,
    UserIdentity,
    OnBehalfOf,
    SessionContext,
    Attributes,
    SessionIssuer,
    WebIdFederation,
    Resource,
    TlsDetails,
    Addendum,
    /// A column holding a JSON text (`requestParameters`): its content keeps its own names.
    JsonText,
    /// Kept as it came.
    Opaque,
}

/// CloudTrail's spelling of the lower-cased `key` inside a value of `shape`, and the shape of
/// its value; `None` for a key CloudTrail does not name there.
fn canonical(shape: Shape, key: &str) -> Option<(&'static str, Shape)> {
    use Shape::*;
    let table: &[(&'static str, Shape)] = match shape {
        Record => &[
            ("eventVersion", Opaque),
            ("userIdentity", UserIdentity),
            ("eventTime", Opaque),
            ("eventSource", Opaque),
            ("eventName", Opaque),
            ("awsRegion", Opaque),
            ("sourceIPAddress", Opaque),
            ("userAgent", Opaque),
            ("errorCode", Opaque),
            ("errorMessage", Opaque),
            ("requestParameters", JsonText),
            ("responseElements", JsonText),
            ("additionalEventData", JsonText),
            ("requestID", Opaque),
            ("eventID", Opaque),
            ("resources", Resource),
            ("eventType", Opaque),
            ("apiVersion", Opaque),
            ("readOnly", Opaque),
            ("recipientAccountId", Opaque),
            ("serviceEventDetails", JsonText),
            ("sharedEventID", Opaque),
            ("vpcEndpointId", Opaque),
            ("vpcEndpointAccountId", Opaque),
            ("eventCategory", Opaque),
            ("managementEvent", Opaque),
            ("addendum", Addendum),
            ("sessionCredentialFromConsole", Opaque),
            ("edgeDeviceDetails", JsonText),
            ("tlsDetails", TlsDetails),
            ("insightDetails", JsonText),
        ],
        UserIdentity => &[
            ("type", Opaque),
            ("principalId", Opaque),
            ("arn", Opaque),
            ("accountId", Opaque),
            ("invokedBy", Opaque),
            ("accessKeyId", Opaque),
            ("userName", Opaque),
            ("onBehalfOf", OnBehalfOf),
            ("sessionContext", SessionContext),
            ("credentialId", Opaque),
            ("identityProvider", Opaque),
        ],
        OnBehalfOf => &[("userId", Opaque), ("identityStoreArn", Opaque)],
        SessionContext => &[
            ("attributes", Attributes),
            ("sessionIssuer", SessionIssuer),
            ("webIdFederationData", WebIdFederation),
            ("sourceIdentity", Opaque),
            ("ec2RoleDelivery", Opaque),
            ("ec2IssuedInVPC", Opaque),
            ("assumedRoot", Opaque),
        ],
        Attributes => &[("mfaAuthenticated", Opaque), ("creationDate", Opaque)],
        SessionIssuer => &[
            ("type", Opaque),
            ("principalId", Opaque),
            ("arn", Opaque),
            ("accountId", Opaque),
            ("userName", Opaque),
        ],
        // `attributes` is a map of the identity provider's claims: its keys are data.
        WebIdFederation => &[("federatedProvider", Opaque), ("attributes", Opaque)],
        // A resource's ARN member is upper-case in CloudTrail.
        Resource => &[("ARN", Opaque), ("accountId", Opaque), ("type", Opaque)],
        TlsDetails => &[
            ("tlsVersion", Opaque),
            ("cipherSuite", Opaque),
            ("clientProvidedHostHeader", Opaque),
        ],
        Addendum => &[
            ("reason", Opaque),
            ("updatedFields", Opaque),
            ("originalRequestID", Opaque),
            ("originalEventID", Opaque),
        ],
        JsonText | Opaque => return None,
    };
    table
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(key))
        .copied()
}

/// Whether `raw` is a CloudTrail record with lower-cased column names: `eventsource`,
/// `eventname`, and `eventversion` or `eventtime`, as `cloudtrail::record_of` asks of a
/// record in CloudTrail's own spelling (which is left to it).
pub(crate) fn is_row(raw: &Value) -> bool {
    raw.member("eventsource").is_some()
        && raw.member("eventname").is_some()
        && (raw.member("eventversion").is_some() || raw.member("eventtime").is_some())
        && raw.member("eventSource").is_none()
}

/// The CloudTrail record a row of lower-cased columns holds, or `None` when `raw` is no such
/// row.
pub(crate) fn record(raw: &Value) -> Option<Value> {
    if !is_row(raw) {
        return None;
    }
    Some(rebuild(Shape::Record, raw))
}

fn rebuild(shape: Shape, value: &Value) -> Value {
    match (shape, value) {
        (Shape::Opaque, _) => value.clone(),
        (Shape::JsonText, Value::String(text)) => json_text(text).unwrap_or_else(|| value.clone()),
        (Shape::JsonText, _) => value.clone(),
        (_, Value::String(text)) => match row_text(text) {
            Some(parsed) => rebuild(shape, &parsed),
            None => value.clone(),
        },
        (_, Value::Array(items)) => Value::Array(items.iter().map(|v| rebuild(shape, v)).collect()),
        (_, Value::Object(map)) => {
            let mut out = Map::with_capacity(map.len());
            for (key, member) in map {
                if is_null(member) {
                    continue;
                }
                match canonical(shape, key) {
                    Some((name, inner)) => {
                        let member = if shape == Shape::Record {
                            top_level(name, member)
                        } else {
                            member.clone()
                        };
                        let rebuilt = rebuild(inner, &member);
                        if !is_null(&rebuilt) {
                            out.insert(name.to_owned(), rebuilt);
                        }
                    }
                    None => {
                        out.insert(key.clone(), member.clone());
                    }
                }
            }
            Value::Object(out)
        }
        _ => value.clone(),
    }
}

/// A top-level column as CloudTrail types it: `readOnly` and `managementEvent` are booleans
/// (a query result writes them as text), the rest as they came.
fn top_level(name: &str, value: &Value) -> Value {
    match (name, value) {
        ("readOnly" | "managementEvent", Value::String(s)) if s == "true" => Value::Bool(true),
        ("readOnly" | "managementEvent", Value::String(s)) if s == "false" => Value::Bool(false),
        _ => value.clone(),
    }
}

/// Athena writes SQL `NULL` as an empty cell, `null` inside a `ROW`, or leaves the cell out.
fn is_null(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty() || s == "null",
        _ => false,
    }
}

fn json_text(text: &str) -> Option<Value> {
    let trimmed = text.trim_start();
    if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
        return None;
    }
    serde_json::from_str(trimmed).ok()
}

/// The value a Trino `ROW`, `ARRAY` or `MAP` rendering stands for (`{k=v, k2={…}}`,
/// `[{…}, {…}]`), its scalars as text; `None` when `text` is not one.
pub(crate) fn row_text(text: &str) -> Option<Value> {
    let bytes = text.trim().as_bytes();
    if !matches!(bytes.first(), Some(b'{' | b'[')) {
        return None;
    }
    let mut parser = RowParser { bytes, pos: 0 };
    let value = parser.value(Terminator::End)?;
    (parser.pos == bytes.len() && (value.is_object() || value.is_array())).then_some(value)
}

/// Where a scalar can end.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Terminator {
    /// A struct or map member: at `, key=` or at the struct's `}`.
    Member,
    /// An array item: at `, ` or at the array's `]`.
    Item,
    End,
}

struct RowParser<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl RowParser<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn value(&mut self, end: Terminator) -> Option<Value> {
        match self.peek() {
            Some(b'{') if self.looks_like_struct() => self.structure(),
            Some(b'[') => self.array(),
            _ => Some(self.scalar(end)),
        }
    }

    /// `{}` or `{key=`: a struct or map, not a scalar that happens to open with a brace.
    fn looks_like_struct(&self) -> bool {
        let rest = self.bytes.get(self.pos + 1..).unwrap_or_default();
        rest.first() == Some(&b'}') || key_len(rest).is_some()
    }

    fn structure(&mut self) -> Option<Value> {
        self.pos += 1;
        let mut map = Map::new();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Some(Value::Object(map));
        }
        loop {
            let rest = self.bytes.get(self.pos..)?;
            let len = key_len(rest)?;
            let key = std::str::from_utf8(rest.get(..len)?).ok()?.to_owned();
            self.pos += len + 1;
            let value = self.value(Terminator::Member)?;
            map.insert(key, value);
            match self.peek()? {
                b'}' => {
                    self.pos += 1;
                    return Some(Value::Object(map));
                }
                b',' => {
                    self.pos += 1;
                    while self.peek() == Some(b' ') {
                        self.pos += 1;
                    }
                }
                _ => return None,
            }
        }
    }

    fn array(&mut self) -> Option<Value> {
        self.pos += 1;
        let mut items = Vec::new();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Some(Value::Array(items));
        }
        loop {
            items.push(self.value(Terminator::Item)?);
            match self.peek()? {
                b']' => {
                    self.pos += 1;
                    return Some(Value::Array(items));
                }
                b',' => {
                    self.pos += 1;
                    while self.peek() == Some(b' ') {
                        self.pos += 1;
                    }
                }
                _ => return None,
            }
        }
    }

    /// Text up to where the enclosing container goes on: a scalar may hold commas, spaces and
    /// brackets of its own (a user agent, a policy), so it ends only where what follows is the
    /// container's next member or its close.
    fn scalar(&mut self, end: Terminator) -> Value {
        let start = self.pos;
        let bytes = self.bytes;
        let mut i = start;
        // Brackets the scalar opened itself (`{v}` in a user agent) close inside it.
        let mut depth = 0usize;
        while i < bytes.len() {
            let rest = bytes.get(i..).unwrap_or_default();
            match rest.first() {
                Some(b'{' | b'[') => {
                    depth += 1;
                    i += 1;
                    continue;
                }
                Some(b'}' | b']') if depth > 0 => {
                    depth -= 1;
                    i += 1;
                    continue;
                }
                _ => {}
            }
            let ends = match (end, rest.first()) {
                (Terminator::Member, Some(b',')) => {
                    let after = rest.get(1..).unwrap_or_default();
                    let after = after.strip_prefix(b" ").unwrap_or(after);
                    key_len(after).is_some()
                }
                (Terminator::Member, Some(b'}')) | (Terminator::Item, Some(b']')) => {
                    closes_here(rest.get(1..).unwrap_or_default())
                }
                (Terminator::Item, Some(b',')) => rest.get(1) == Some(&b' '),
                _ => false,
            };
            if ends {
                break;
            }
            i += 1;
        }
        self.pos = i;
        let text = String::from_utf8_lossy(bytes.get(start..i).unwrap_or_default()).into_owned();
        Value::String(text)
    }
}

/// After a closing bracket: the end, or what may follow a value in its container.
fn closes_here(rest: &[u8]) -> bool {
    matches!(rest.first(), None | Some(b'}' | b']' | b','))
}

/// The length of a `key` when `bytes` opens with `key=` (a struct field or a map key: no
/// spaces, commas, brackets or equals signs).
fn key_len(bytes: &[u8]) -> Option<usize> {
    let len = bytes
        .iter()
        .position(|b| matches!(b, b'=' | b',' | b' ' | b'{' | b'}' | b'[' | b']'))?;
    (len > 0 && bytes.get(len) == Some(&b'=')).then_some(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_user_identity_row_becomes_cloudtrails_object() {
        let text = "{type=AssumedRole, principalid=AROAEXAMPLE:alice, \
                    arn=arn:aws:sts::123456789012:assumed-role/Admin/alice, accountid=123456789012, \
                    invokedby=null, accesskeyid=ASIAEXAMPLE, username=null, \
                    sessioncontext={attributes={mfaauthenticated=false, creationdate=2023-07-10T11:40:00Z}, \
                    sessionissuer={type=Role, principalid=AROAEXAMPLE, arn=arn:aws:iam::123456789012:role/Admin, \
                    accountid=123456789012, username=Admin}, webidfederationdata=null, sourceidentity=null, \
                    ec2roledelivery=null}, onbehalfof=null}";
        let row = json!({
            "eventversion": "1.08",
            "useridentity": text,
            "eventtime": "2023-07-10T11:43:33Z",
            "eventsource": "iam.amazonaws.com",
            "eventname": "ListUsers",
            "errorcode": "",
            "requestparameters": "{\"maxItems\":100,\"pathPrefix\":\"/\"}",
            "resources": "[{arn=arn:aws:iam::123456789012:user/bob, accountid=123456789012, type=AWS::IAM::User}]",
            "readonly": "true",
            "year": "2023",
        });
        let record = record(&row).unwrap();
        assert_eq!(
            record,
            json!({
                "eventVersion": "1.08",
                "userIdentity": {
                    "type": "AssumedRole",
                    "principalId": "AROAEXAMPLE:alice",
                    "arn": "arn:aws:sts::123456789012:assumed-role/Admin/alice",
                    "accountId": "123456789012",
                    "accessKeyId": "ASIAEXAMPLE",
                    "sessionContext": {
                        "attributes": {"mfaAuthenticated": "false", "creationDate": "2023-07-10T11:40:00Z"},
                        "sessionIssuer": {
                            "type": "Role",
                            "principalId": "AROAEXAMPLE",
                            "arn": "arn:aws:iam::123456789012:role/Admin",
                            "accountId": "123456789012",
                            "userName": "Admin"
                        }
                    }
                },
                "eventTime": "2023-07-10T11:43:33Z",
                "eventSource": "iam.amazonaws.com",
                "eventName": "ListUsers",
                "requestParameters": {"maxItems": 100, "pathPrefix": "/"},
                "resources": [{
                    "ARN": "arn:aws:iam::123456789012:user/bob",
                    "accountId": "123456789012",
                    "type": "AWS::IAM::User"
                }],
                "readOnly": true,
                "year": "2023",
            })
        );
    }

    #[test]
    fn scalars_keep_their_commas_spaces_and_braces() {
        let parsed =
            row_text("{a=x, y, b=Mozilla/5.0 (X11; Linux) {v}, c=[p, q], d={}, e=, f=k=v}")
                .unwrap();
        assert_eq!(
            parsed,
            json!({"a": "x, y", "b": "Mozilla/5.0 (X11; Linux) {v}", "c": ["p", "q"], "d": {},
                   "e": "", "f": "k=v"})
        );
        assert_eq!(row_text("[]"), Some(json!([])));
        assert_eq!(row_text("{}"), Some(json!({})));
    }

    #[test]
    fn what_is_not_a_rendering_is_left_alone() {
        for text in [
            "",
            "plain",
            "{\"json\": 1}",
            "{a=1",
            "[a, b",
            "{a=1} tail",
            "{=1}",
        ] {
            assert_eq!(row_text(text), None, "{text}");
        }
        // A struct column that does not parse stays the text it was.
        let row = json!({"eventsource": "s3.amazonaws.com", "eventname": "ListBuckets",
                         "eventtime": "2023-07-10T11:43:33Z", "useridentity": "{broken"});
        assert_eq!(record(&row).unwrap()["userIdentity"], "{broken");
    }

    #[test]
    fn records_in_cloudtrails_spelling_are_not_rows() {
        let trail = json!({"eventVersion": "1.08", "eventSource": "iam.amazonaws.com",
                           "eventName": "ListUsers", "eventsource": "x", "eventname": "y"});
        assert!(record(&trail).is_none());
        assert!(record(&json!({"eventsource": "x"})).is_none());
        assert!(record(&json!("eventsource")).is_none());
    }

    #[test]
    fn lower_cased_json_from_a_data_lake_gets_cloudtrails_names() {
        let row = json!({"eventsource": "dynamodb.amazonaws.com", "eventname": "GetRecords",
                         "eventtime": "2023-01-10 21:04:02", "managementevent": false,
                         "useridentity": {"arn": "arn:aws:test_arn", "principalid": "P"},
                         "requestparameters": {"TableName": "t"}});
        assert_eq!(
            record(&row).unwrap(),
            json!({"eventSource": "dynamodb.amazonaws.com", "eventName": "GetRecords",
                   "eventTime": "2023-01-10 21:04:02", "managementEvent": false,
                   "userIdentity": {"arn": "arn:aws:test_arn", "principalId": "P"},
                   "requestParameters": {"TableName": "t"}})
        );
    }
}
