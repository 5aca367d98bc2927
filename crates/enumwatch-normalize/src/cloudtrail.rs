//! AWS CloudTrail records (S3 objects, arrays, JSON lines, Logstash-shaped lines and the
//! EventBridge "AWS API Call via CloudTrail" envelope): the common actor, client, action and
//! outcome fields; every vendor field stays reachable through the raw record.

use std::sync::Arc;

use enumwatch_event::Member;
use enumwatch_event::{Event, Location, LogSource, field};
use serde_json::Value;

use crate::time;
use crate::windows::text;

fn is_record(v: &Value) -> bool {
    v.member("eventSource").is_some()
        && v.member("eventName").is_some()
        && (v.member("eventVersion").is_some() || v.member("eventTime").is_some())
}

/// The CloudTrail record inside `raw` (itself, or an EventBridge envelope's `detail`).
pub(crate) fn record_of(raw: &Value) -> Option<&Value> {
    if is_record(raw) {
        return Some(raw);
    }
    let detail = raw.member("detail")?;
    (raw.member("detail-type").is_some() && is_record(detail)).then_some(detail)
}

/// A CloudTrail digest file (`AWSLogs/…/CloudTrail-Digest/…json.gz`): the trail's integrity
/// record, one per hour and region beside the log files, listing their hashes and holding no
/// event. A copy of a trail's bucket has thousands; they are known, not unrecognized.
pub(crate) fn is_digest(v: &Value) -> bool {
    v.member("digestStartTime").is_some()
        && v.member("digestS3Object").is_some()
        && v.member("logFiles").is_some()
}

pub(crate) fn normalize(record: &Value, location: Location, raw: Arc<Value>) -> Event {
    let get = |path: &[&str]| {
        let mut v = record;
        for key in path {
            v = v.member(key)?;
        }
        text(Some(v)).filter(|s| !s.is_empty())
    };
    let mut event = Event::new(LogSource::Cloudtrail, location, Arc::clone(&raw));
    event.time = get(&["eventTime"]).as_deref().and_then(time::parse);
    let f = &mut event.fields;
    f.insert_opt(
        field::ACTOR,
        get(&["userIdentity", "arn"])
            .or_else(|| get(&["userIdentity", "userName"]))
            .or_else(|| get(&["userIdentity", "principalId"])),
    );
    f.insert_opt(field::ACTOR_ID, get(&["userIdentity", "principalId"]));
    f.insert_opt(field::ACTOR_TYPE, get(&["userIdentity", "type"]));
    f.insert_opt(field::SOURCE_IP, get(&["sourceIPAddress"]));
    f.insert_opt(field::USER_AGENT, get(&["userAgent"]));
    f.insert_opt(field::ACTION, get(&["eventName"]));
    f.insert_opt(field::SERVICE, get(&["eventSource"]));
    f.insert_opt(field::ERROR_CODE, get(&["errorCode"]));
    f.insert_opt(
        field::ACCOUNT,
        get(&["recipientAccountId"]).or_else(|| get(&["userIdentity", "accountId"])),
    );
    f.insert_opt(field::REGION, get(&["awsRegion"]));
    f.insert_opt(field::SESSION_ID, get(&["userIdentity", "accessKeyId"]));
    event
}
