//! Microsoft 365 unified audit log in the shapes users export: Management Activity API JSON
//! (`CreationTime`, `Operation`, `RecordType`, `Workload`, `UserId`, `ClientIP`, …; some SIEM
//! exports lower-case every key), `Search-UnifiedAuditLog` / Purview CSV rows (`CreationDate`,
//! `UserIds`, `Operations`, `AuditData` — normalized from the `AuditData` record, the row stays
//! the raw record) and Sentinel `OfficeActivity` rows (`TimeGenerated`, `OfficeWorkload`,
//! `Client_IPAddress`, …).
//!
//! Exchange admin cmdlet records (`Operation` `Get-Mailbox`, `Get-Recipient`, `Get-User`,
//! `New-InboxRule`, …) get an `api.category` from the cmdlet's noun, and `api.listing` tells a
//! `Get-` cmdlet run without a parameter naming one object (`Identity`, `Anr`, an equality
//! `Filter`) — the enumeration shape — from a single-object read. `MailboxLogin` records of
//! Exchange PowerShell sessions are ordinary events; rules pick them by `ClientInfoString`.

use std::borrow::Cow;
use std::sync::Arc;

use enumwatch_event::{Event, Location, LogSource, field};
use serde_json::Value;

use crate::microsoft::{first_text, get, get_json, json_cell, kind_is, strip_port};
use crate::time;

pub(crate) struct UalRecord<'a> {
    /// The audit record (the row itself, or its parsed `AuditData` cell).
    record: Cow<'a, Value>,
    /// The exported row around it (CSV columns), or the record itself.
    row: &'a Value,
}

fn is_ual_record(v: &Value) -> bool {
    get(v, "CreationTime").is_some()
        && get(v, "Operation").is_some()
        && (get(v, "RecordType").is_some() || get(v, "Workload").is_some())
}

pub(crate) fn record_of(raw: &Value) -> Option<UalRecord<'_>> {
    raw.as_object()?;
    if let Some(data) = get(raw, "AuditData") {
        let data = json_cell(data);
        if is_ual_record(&data) {
            return Some(UalRecord {
                record: data,
                row: raw,
            });
        }
    }
    let office_activity = kind_is(raw, &["Type"], &["OfficeActivity"])
        || (get(raw, "OfficeWorkload").is_some() && get(raw, "Operation").is_some());
    (office_activity || is_ual_record(raw)).then_some(UalRecord {
        record: Cow::Borrowed(raw),
        row: raw,
    })
}

/// `UserType` numbers of the Management Activity API schema.
fn user_type(v: &Value) -> Option<String> {
    let name = match v {
        Value::Number(n) => match n.as_u64()? {
            0 => "Regular",
            1 => "Reserved",
            2 => "Admin",
            3 => "DcAdmin",
            4 => "System",
            5 => "Application",
            6 => "ServicePrincipal",
            7 => "CustomPolicy",
            8 => "SystemPolicy",
            9 => "PartnerTechnician",
            10 => "Guest",
            _ => return Some(n.to_string()),
        },
        Value::String(s) if !s.trim().is_empty() => return user_type_text(s),
        _ => return None,
    };
    Some(name.to_owned())
}

fn user_type_text(s: &str) -> Option<String> {
    match s.trim().parse::<u64>() {
        Ok(n) => user_type(&Value::from(n)),
        Err(_) => Some(s.trim().to_owned()),
    }
}

/// Directory object kind an Exchange cmdlet's noun reads or changes.
fn cmdlet_category(noun: &str) -> Option<&'static str> {
    let noun = noun.to_ascii_lowercase();
    let noun = noun.strip_prefix("exo").unwrap_or(&noun);
    Some(match noun {
        "mailbox"
        | "recipient"
        | "mailuser"
        | "casmailbox"
        | "mailboxpermission"
        | "mailboxstatistics"
        | "mailboxfolderpermission"
        | "inboxrule"
        | "mailboxfolder"
        | "recipientpermission" => "mailboxes",
        "user" | "msoluser" => "users",
        "distributiongroup"
        | "distributiongroupmember"
        | "unifiedgroup"
        | "unifiedgrouplinks"
        | "group"
        | "dynamicdistributiongroup" => "groups",
        "mailcontact" | "contact" => "contacts",
        "rolegroup" | "rolegroupmember" | "managementroleassignment" | "managementrole" => "roles",
        "organizationconfig" | "accepteddomain" => "organization",
        _ => return None,
    })
}

/// `true` when one of the cmdlet's parameters names a single object.
fn names_one_object(parameters: Option<&Value>) -> bool {
    let Some(items) = parameters.and_then(Value::as_array) else {
        return false;
    };
    items.iter().any(|p| {
        let name = first_text(p, &["Name"]).unwrap_or_default();
        let value = first_text(p, &["Value"]).unwrap_or_default();
        let value = value.trim();
        if value.is_empty() || value == "*" {
            return false;
        }
        if name.eq_ignore_ascii_case("Identity") || name.eq_ignore_ascii_case("Anr") {
            return true;
        }
        if name.eq_ignore_ascii_case("Filter") {
            let lower = value.to_ascii_lowercase();
            return lower.contains("-eq") && !lower.contains("-or") && !lower.contains("-like");
        }
        false
    })
}

pub(crate) fn normalize(rec: UalRecord<'_>, location: Location, raw: Arc<Value>) -> Event {
    let r: &Value = &rec.record;
    let get_text = |keys: &[&str]| first_text(r, keys);
    let mut event = Event::new(LogSource::M365Audit, location, Arc::clone(&raw));
    event.time = get_text(&["CreationTime", "TimeGenerated [UTC]", "TimeGenerated"])
        .or_else(|| first_text(rec.row, &["CreationDate"]))
        .as_deref()
        .and_then(time::parse);
    let f = &mut event.fields;

    f.insert_opt(
        field::ACTOR,
        get_text(&["UserId", "UserKey"]).or_else(|| first_text(rec.row, &["UserIds"])),
    );
    f.insert_opt(field::ACTOR_ID, get_text(&["UserKey"]));
    f.insert_opt(field::ACTOR_TYPE, get(r, "UserType").and_then(user_type));
    f.insert_opt(
        field::SOURCE_IP,
        get_text(&[
            "ClientIP",
            "ClientIPAddress",
            "Client_IPAddress",
            "ActorIpAddress",
        ])
        .map(|ip| strip_port(&ip).to_owned()),
    );
    let extended_agent = get_json(r, "ExtendedProperties").and_then(|props| {
        props.as_array().and_then(|items| {
            items
                .iter()
                .find(|p| {
                    first_text(p, &["Name"]).is_some_and(|n| n.eq_ignore_ascii_case("UserAgent"))
                })
                .and_then(|p| first_text(p, &["Value"]))
        })
    });
    f.insert_opt(
        field::USER_AGENT,
        get_text(&["ClientInfoString", "UserAgent"]).or(extended_agent),
    );
    f.insert_opt(
        field::APP_ID,
        get_text(&["AppId", "ClientAppId", "ApplicationId"]),
    );
    let operation = get_text(&["Operation"]).or_else(|| first_text(rec.row, &["Operations"]));
    if let Some((verb, noun)) = operation.as_deref().and_then(|op| op.split_once('-'))
        && !verb.is_empty()
        && verb.bytes().all(|b| b.is_ascii_alphabetic())
        && let Some(category) = cmdlet_category(noun)
    {
        f.insert(field::API_CATEGORY, category);
        let parameters = get_json(r, "Parameters");
        let listing = verb.eq_ignore_ascii_case("Get") && !names_one_object(parameters.as_deref());
        f.insert(field::API_LISTING, listing);
    }
    f.insert_opt(field::ACTION, operation);
    f.insert_opt(field::SERVICE, get_text(&["Workload", "OfficeWorkload"]));
    f.insert_opt(field::TARGET, get_text(&["ObjectId", "OfficeObjectId"]));
    let outcome =
        get_text(&["ResultStatus"]).and_then(|s| match s.trim().to_ascii_lowercase().as_str() {
            "succeeded" | "success" | "true" | "partiallysucceeded" => Some("success"),
            "failed" | "failure" | "false" => Some("failure"),
            _ => None,
        });
    f.insert_opt(field::OUTCOME, outcome);
    f.insert_opt(field::TENANT, get_text(&["OrganizationId", "TenantId"]));
    event
}
