//! Cloud record builders, one per vendor log, in the shapes enumwatch's normalizers read and the
//! samples under `testdata/cloud` and `testdata/logs` show: CloudTrail records, Microsoft Graph
//! and Azure AD Graph activity (diagnostic settings), Entra sign-ins (Graph `signIns`), GCP
//! `LogEntry` audit records and Microsoft 365 Management Activity API records.

#![allow(
    clippy::too_many_arguments,
    reason = "a vendor record has that many independent parts"
)]

use serde_json::{Value, json};

use crate::clock::{At, guid};

pub(crate) const TENANT: &str = "5c1e7a0b-2d94-4f63-8a1e-9b0c7d6e5f41";
pub(crate) const AWS_ACCOUNT: &str = "412398765019";

/// An AWS caller.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AwsCaller {
    /// `IAMUser`, `AssumedRole`.
    pub(crate) kind: &'static str,
    pub(crate) arn: &'static str,
    pub(crate) principal_id: &'static str,
    pub(crate) access_key: &'static str,
    pub(crate) source_ip: &'static str,
    pub(crate) user_agent: &'static str,
}

/// One CloudTrail management event.
pub(crate) fn cloudtrail(
    c: &AwsCaller,
    at: At,
    n: u64,
    source: &str,
    name: &str,
    request: Value,
    error: Option<(&str, &str)>,
) -> Value {
    let mut identity = json!({
        "type": c.kind, "principalId": c.principal_id, "arn": c.arn,
        "accountId": AWS_ACCOUNT, "accessKeyId": c.access_key
    });
    if c.kind == "IAMUser" {
        if let (Some(obj), Some(user)) = (identity.as_object_mut(), c.arn.rsplit('/').next()) {
            obj.insert("userName".into(), json!(user));
        }
    } else if let Some(obj) = identity.as_object_mut() {
        let role = c.arn.split('/').nth(1).unwrap_or_default();
        obj.insert("sessionContext".into(), json!({
            "sessionIssuer": {"type": "Role", "principalId": c.principal_id.split(':').next().unwrap_or_default(),
                "arn": format!("arn:aws:iam::{AWS_ACCOUNT}:role/{role}"), "accountId": AWS_ACCOUNT, "userName": role},
            "attributes": {"creationDate": At(at.0 - 600_000).rfc3339(), "mfaAuthenticated": "false"},
            "ec2RoleDelivery": "2.0"
        }));
    }
    let mut rec = json!({
        "eventVersion": "1.09", "userIdentity": identity, "eventTime": at.rfc3339(),
        "eventSource": source, "eventName": name, "awsRegion": "us-east-1",
        "sourceIPAddress": c.source_ip, "userAgent": c.user_agent,
        "requestParameters": request, "responseElements": null,
        "requestID": guid(0x7e11_0000, n), "eventID": guid(0xe7e1_0000, n),
        "readOnly": !name.starts_with("Update"), "eventType": "AwsApiCall",
        "managementEvent": true, "recipientAccountId": AWS_ACCOUNT,
        "eventCategory": "Management",
        "tlsDetails": {"tlsVersion": "TLSv1.3", "cipherSuite": "TLS_AES_128_GCM_SHA256",
            "clientProvidedHostHeader": source}
    });
    if let (Some((code, message)), Some(obj)) = (error, rec.as_object_mut()) {
        obj.insert("errorCode".into(), json!(code));
        obj.insert("errorMessage".into(), json!(message));
    }
    rec
}

/// An Entra principal calling Graph or AAD Graph.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EntraCaller {
    /// User object id (empty for app-only).
    pub(crate) user_id: &'static str,
    pub(crate) app_id: &'static str,
    /// Service principal object id for app-only calls (empty for delegated).
    pub(crate) service_principal_id: &'static str,
    pub(crate) ip: &'static str,
    pub(crate) user_agent: &'static str,
    pub(crate) scopes: &'static str,
    pub(crate) roles: &'static str,
    pub(crate) session: &'static str,
}

/// A `MicrosoftGraphActivityLogs` diagnostic record.
pub(crate) fn graph_activity(
    c: &EntraCaller,
    at: At,
    n: u64,
    uri: &str,
    status: u32,
    size: u64,
) -> Value {
    let api = if uri.contains("/beta/") {
        "beta"
    } else {
        "v1.0"
    };
    let app_only = c.user_id.is_empty();
    json!({
        "time": at.azure(),
        "resourceId": format!("/TENANTS/{}/PROVIDERS/MICROSOFT.AADIAM", TENANT.to_uppercase()),
        "operationName": "Microsoft Graph Activity", "operationVersion": api,
        "category": "MicrosoftGraphActivityLogs", "tenantId": TENANT, "resultSignature": status.to_string(),
        "durationMs": 180 + (n % 7) * 41, "callerIpAddress": c.ip, "correlationId": guid(0xc0c0_0000, n),
        "level": "Informational", "location": "West Europe",
        "properties": {
            "apiVersion": api, "appId": c.app_id, "ipAddress": c.ip, "requestId": guid(0x9e90_0000, n),
            "operationId": guid(0x0be1_0000, n), "requestMethod": "GET",
            "responseSizeBytes": size, "responseStatusCode": status,
            "scopes": if app_only { Value::Null } else { json!(c.scopes) },
            "roles": if app_only { json!(c.roles) } else { Value::Null },
            "servicePrincipalId": if app_only { json!(c.service_principal_id) } else { Value::Null },
            "signInActivityId": c.session, "tenantId": TENANT, "timeGenerated": at.azure(),
            "userAgent": c.user_agent,
            "userId": if app_only { Value::Null } else { json!(c.user_id) },
            "c_idtyp": if app_only { "app" } else { "user" },
            "wids": "b79fbf4d-3ef9-4689-8143-76b194e85509", "sessionId": c.session,
            "requestUri": uri
        }
    })
}

/// An `AzureADGraphActivityLogs` diagnostic record.
pub(crate) fn aad_graph_activity(
    c: &EntraCaller,
    at: At,
    n: u64,
    uri: &str,
    status: u32,
    size: u64,
) -> Value {
    let app_only = c.user_id.is_empty();
    let api = uri
        .split("api-version=")
        .nth(1)
        .map_or("1.6", |v| v.split('&').next().unwrap_or("1.6"));
    json!({
        "category": "AzureADGraphActivityLogs", "location": "WestEurope",
        "operationName": "AAD Graph Activity", "tenantId": TENANT,
        "time": at.azure(),
        "properties": {
            "actorType": if app_only { "Application" } else { "User" }, "apiVersion": api,
            "appId": c.app_id, "callerIpAddress": c.ip, "clientAuthMethod": if app_only { 2 } else { 0 },
            "deviceId": "", "durationMs": 35 + (n % 9) * 13, "httpMethod": "GET", "httpStatusCode": status,
            "identityProvider": format!("https://sts.windows.net/{TENANT}/"), "location": "WestEurope",
            "requestId": guid(0x7e6d_0000, n), "requestUri": uri, "responseSizeBytes": size,
            "roles": c.roles, "scopes": c.scopes, "servicePrincipalId": c.service_principal_id,
            "sessionId": c.session, "signInActivityId": format!("eW11bGF0ZWQ{n:06}QUE"),
            "tenantId": TENANT, "timeGenerated": at.azure(), "userAgent": c.user_agent,
            "userId": c.user_id, "wids": ""
        }
    })
}

/// A sign-in as Graph `auditLogs/signIns` returns it.
pub(crate) struct SignIn<'a> {
    pub(crate) user: (&'a str, &'a str, &'a str),
    pub(crate) app: (&'a str, &'a str),
    pub(crate) resource: (&'a str, &'a str),
    pub(crate) ip: &'a str,
    pub(crate) user_agent: &'a str,
    pub(crate) protocol: &'a str,
    pub(crate) session: &'a str,
    pub(crate) device: (&'a str, bool),
    pub(crate) location: (&'a str, &'a str, &'a str),
}

pub(crate) fn entra_signin(s: &SignIn<'_>, at: At, n: u64) -> Value {
    json!({
        "id": guid(0x51a1_0000, n), "createdDateTime": at.rfc3339(),
        "userDisplayName": s.user.0, "userPrincipalName": s.user.1, "userId": s.user.2,
        "appId": s.app.0, "appDisplayName": s.app.1, "ipAddress": s.ip,
        "clientAppUsed": "Mobile Apps and Desktop clients", "userAgent": s.user_agent,
        "correlationId": guid(0xc0a1_0000, n), "conditionalAccessStatus": "notApplied",
        "isInteractive": true, "resourceDisplayName": s.resource.0, "resourceId": s.resource.1,
        "resourceTenantId": TENANT, "homeTenantId": TENANT,
        "authenticationProtocol": s.protocol, "uniqueTokenIdentifier": format!("ZW11bGF0ZWQtdG9rZW4t{n:04}"),
        "sessionId": s.session,
        "status": {"errorCode": 0, "failureReason": "Other.", "additionalDetails": null},
        "deviceDetail": {"deviceId": "", "displayName": "", "operatingSystem": s.device.0,
            "browser": "", "isCompliant": null, "isManaged": s.device.1, "trustType": ""},
        "location": {"city": s.location.0, "state": s.location.1, "countryOrRegion": s.location.2,
            "geoCoordinates": {"altitude": null, "latitude": 52.37, "longitude": 4.89}},
        "signInEventTypes": ["interactiveUser"], "servicePrincipalId": "", "servicePrincipalName": ""
    })
}

/// A GCP caller.
#[derive(Debug, Clone, Copy)]
pub(crate) struct GcpCaller {
    pub(crate) email: &'static str,
    pub(crate) ip: &'static str,
    pub(crate) user_agent: &'static str,
    pub(crate) project: &'static str,
}

/// A Cloud Audit Logs `LogEntry` (data access).
pub(crate) fn gcp_audit(
    c: &GcpCaller,
    at: At,
    n: u64,
    service: &str,
    method: &str,
    permission: &str,
    resource: &str,
    resource_type: &str,
) -> Value {
    let subject = if c.email.ends_with(".gserviceaccount.com") {
        "serviceAccount"
    } else {
        "user"
    };
    json!({
        "insertId": format!("{:x}e{n:04}", 0x1a2b3c4d_u32),
        "logName": format!("projects/{}/logs/cloudaudit.googleapis.com%2Fdata_access", c.project),
        "protoPayload": {
            "@type": "type.googleapis.com/google.cloud.audit.AuditLog",
            "authenticationInfo": {"principalEmail": c.email, "principalSubject": format!("{subject}:{}", c.email)},
            "authorizationInfo": [{"granted": true, "permission": permission, "resource": resource, "resourceAttributes": {}}],
            "methodName": method,
            "requestMetadata": {
                "callerIp": c.ip, "callerSuppliedUserAgent": c.user_agent,
                "requestAttributes": {"time": at.rfc3339_ms(), "auth": {}}, "destinationAttributes": {}
            },
            "resourceName": resource, "serviceName": service, "status": {}
        },
        "receiveTimestamp": at.plus_ms(412).rfc3339_ms(),
        "resource": {"labels": {"project_id": c.project, "method": method, "service": service}, "type": resource_type},
        "severity": "INFO", "timestamp": at.rfc3339_ms()
    })
}

/// A Management Activity API record of an Exchange cmdlet.
pub(crate) fn m365_cmdlet(
    user: &str,
    ip: &str,
    client_info: &str,
    app_id: &str,
    at: At,
    n: u64,
    cmdlet: &str,
    params: &[(&str, &str)],
) -> Value {
    let params: Vec<Value> = params
        .iter()
        .map(|(k, v)| json!({"Name": k, "Value": v}))
        .collect();
    json!({
        "CreationTime": at.ual(), "Id": guid(0xa0a0_0000, n), "Operation": cmdlet,
        "OrganizationId": TENANT, "RecordType": 1, "ResultStatus": "True",
        "UserKey": "1003200392A7C4F1", "UserType": 2, "Version": 1, "Workload": "Exchange",
        "ClientIP": format!("{ip}:{}", 50000 + n % 9000), "ObjectId": "", "UserId": user,
        "AppId": app_id, "ClientAppId": "", "ExternalAccess": false,
        "OrganizationName": "contoso.onmicrosoft.com",
        "OriginatingServer": "AM9PR04MB8123 (15.20.7633.017)", "Parameters": params,
        "ClientInfoString": client_info
    })
}
