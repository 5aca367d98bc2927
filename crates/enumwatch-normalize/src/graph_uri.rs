//! Request-URI normalization for Microsoft Graph and Azure AD Graph activity logs, so that one
//! endpoint reads the same in every request and tool endpoint sets can be fingerprinted.
//!
//! Canonical form (`api.endpoint`): a leading `/`, then the path segments without scheme, host,
//! API version, AAD Graph tenant segment, query string or fragment; empty segments collapsed
//! (`beta//users` → `/users`). Object references become `{id}`: GUIDs (also the sanitised
//! non-hex ones seen in vendor samples), UPNs and e-mail addresses (`@`, `%40`, guest
//! `#EXT#`/`%23EXT%23`), numeric ids and long opaque ids (mail message ids). Key segments keep
//! their key: `roleTemplateId=…` → `roleTemplateId={id}`, `servicePrincipals(appId='…')` →
//! `servicePrincipals(appId={id})`, `delta(token='…')` → `delta(token={id})`; empty parentheses
//! are dropped (`delta()` → `delta`). Case is kept; comparisons ignore it. `microsoft.graph.*`
//! function segments (`microsoft.graph.delta`), `$batch`, `$links`, `$count`, `$ref` and
//! `$value` stay visible so rules can tell delta sync and batches apart.
//!
//! AAD Graph (`graph.windows.net`) paths start with the tenant (`{tenant-guid}`, a domain name
//! or `myorganization`), which is dropped, and carry the version as `api-version=` in the query;
//! the activity log also writes them behind a routing prefix (`/v2/{tenant}/users`), dropped too.
//! AAD Graph `/users` and Graph `/users` therefore read the same.
//!
//! `$batch`: activity logs record each sub-request of a batch as its own record sharing the
//! batch's `OperationId`; the `POST /$batch` record itself is kept as endpoint `/$batch` (a
//! listing, no category) and its body, when present, is not unpacked.

/// What the request URI says about the API call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GraphRequest {
    /// Canonical path (`/groups/{id}/members`).
    pub(crate) endpoint: String,
    /// `v1.0`, `beta`, or AAD Graph's `api-version` (`1.61-internal`).
    pub(crate) version: Option<String>,
    /// Directory object kind the request reads (see `category_of`).
    pub(crate) category: Option<&'static str>,
    /// `true` when the request lists a collection rather than reading one object.
    pub(crate) listing: bool,
}

const ID: &str = "{id}";

/// `true` when the URI names the Azure AD Graph host.
pub(crate) fn is_aad_graph_host(uri: &str) -> bool {
    host_of(uri).is_some_and(|h| h.eq_ignore_ascii_case("graph.windows.net"))
}

fn host_of(uri: &str) -> Option<&str> {
    let rest = uri.trim().split_once("://").map(|(_, r)| r)?;
    rest.split(['/', '?', '#']).next()
}

/// Normalize one request. `aad` selects the Azure AD Graph path rules (tenant segment,
/// `api-version` query parameter); `method` decides, with the path, whether it is a listing.
pub(crate) fn parse(uri: &str, method: &str, aad: bool) -> GraphRequest {
    let aad = aad || is_aad_graph_host(uri);
    // A raw guest marker would otherwise be cut off as a fragment.
    let uri = replace_ignore_case(uri.trim(), "#EXT#", "%23EXT%23");
    let (before_fragment, _) = uri.split_once('#').unwrap_or((&uri, ""));
    let (path, query) = before_fragment
        .split_once('?')
        .unwrap_or((before_fragment, ""));
    let path = match path.split_once("://") {
        Some((_, rest)) => rest.split_once('/').map_or("", |(_, p)| p),
        None => path,
    };
    let mut segments = path.split('/').filter(|s| !s.is_empty()).peekable();
    // Host written without a scheme.
    segments.next_if(|s| {
        s.eq_ignore_ascii_case("graph.microsoft.com") || s.eq_ignore_ascii_case("graph.windows.net")
    });
    let mut version = None;
    if aad {
        // A routing prefix only when something follows it (`/v2/{tenant}/users`).
        let mut rest = segments.clone();
        if rest.next().is_some_and(is_routing_prefix) && rest.next().is_some() {
            segments.next();
        }
        segments.next_if(|s| is_tenant(s));
        version = query_param(query, "api-version");
    } else if let Some(first) =
        segments.next_if(|s| s.eq_ignore_ascii_case("v1.0") || s.eq_ignore_ascii_case("beta"))
    {
        version = Some(first.to_owned());
    }
    let canonical: Vec<String> = segments.map(canonical_segment).collect();
    let endpoint = format!("/{}", canonical.join("/"));
    let category = category_of(&canonical);
    let listing = is_listing(&canonical, method);
    GraphRequest {
        endpoint,
        version,
        category,
        listing,
    }
}

fn replace_ignore_case(haystack: &str, needle: &str, with: &str) -> String {
    let lower = haystack.to_ascii_lowercase();
    let needle_lower = needle.to_ascii_lowercase();
    let mut out = String::with_capacity(haystack.len());
    let mut last = 0;
    for (at, _) in lower.match_indices(&needle_lower) {
        // ASCII lower-casing keeps byte offsets, so these are char boundaries of `haystack`.
        out.push_str(haystack.get(last..at).unwrap_or_default());
        out.push_str(with);
        last = at + needle.len();
    }
    out.push_str(haystack.get(last..).unwrap_or_default());
    out
}

/// `v1`, `v2` … in front of an AAD Graph tenant segment (the activity log's gateway route).
fn is_routing_prefix(s: &str) -> bool {
    s.strip_prefix(['v', 'V'])
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

fn is_tenant(s: &str) -> bool {
    is_guid(s) || s.eq_ignore_ascii_case("myorganization") || (s.contains('.') && !s.contains('('))
}

/// 8-4-4-4-12 alphanumerics with dashes. Vendor samples sanitise GUIDs with non-hex letters, so
/// any ASCII alphanumeric is accepted.
fn is_guid(s: &str) -> bool {
    let s = s.trim_matches(['\'', '"', '{', '}']);
    s.len() == 36
        && s.bytes().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => b == b'-',
            _ => b.is_ascii_alphanumeric(),
        })
}

fn query_param(query: &str, name: &str) -> Option<String> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// An object reference on its own (not a collection, function or `$` segment).
fn is_object_ref(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    if is_guid(s) || s.contains('@') || lower.contains("%40") || lower.contains("%23ext%23") {
        return true;
    }
    let unquoted = s.trim_matches('\'');
    if !unquoted.is_empty() && unquoted.bytes().all(|b| b.is_ascii_digit()) {
        return true;
    }
    // Long opaque ids (Exchange message and folder ids): no dots, has a digit.
    s.len() >= 40
        && !s.contains('.')
        && s.bytes().any(|b| b.is_ascii_digit())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'=' | b'+'))
}

fn canonical_segment(s: &str) -> String {
    // `roleTemplateId=…` alternate-key segment (a base64 id's `==` padding is not a key).
    if let Some((key, value)) = s.split_once('=')
        && !key.is_empty()
        && key.len() <= 40
        && key.bytes().all(|b| b.is_ascii_alphabetic())
        && !value.is_empty()
        && !value.bytes().all(|b| b == b'=')
    {
        return format!("{key}={ID}");
    }
    if is_object_ref(s) {
        return ID.to_owned();
    }
    // Key or function-parameter segment: `name(key='v',…)`, `name('v')`, `name()`.
    if let Some((name, rest)) = s.split_once('(')
        && let Some(inner) = rest.strip_suffix(')')
    {
        if inner.trim().is_empty() {
            return name.to_owned();
        }
        let keys: Vec<String> = inner
            .split(',')
            .map(|part| match part.split_once('=') {
                Some((k, _)) => format!("{}={ID}", k.trim()),
                None => ID.to_owned(),
            })
            .collect();
        return format!("{name}({})", keys.join(","));
    }
    s.to_owned()
}

/// The collection name of a segment (`servicePrincipals(appId={id})` → `servicePrincipals`).
fn name_of(segment: &str) -> &str {
    segment.split('(').next().unwrap_or(segment)
}

fn eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Directory object kind, from the first collection segment.
fn category_of(segments: &[String]) -> Option<&'static str> {
    let first = name_of(segments.first()?);
    let second = segments.get(1).map(|s| name_of(s)).unwrap_or_default();
    let one_of = |names: &[&str]| names.iter().any(|n| eq(first, n));
    Some(if one_of(&["users"]) {
        "users"
    } else if one_of(&["groups"]) {
        "groups"
    } else if one_of(&[
        "directoryRoles",
        "directoryRoleTemplates",
        "roleManagement",
        "roleDefinitions",
        "roleAssignments",
        "eligibleRoleAssignments",
        "roleEligibilityScheduleInstances",
        "roleAssignmentScheduleInstances",
    ]) {
        "roles"
    } else if one_of(&["applications", "applicationRefs", "applicationTemplates"]) {
        "applications"
    } else if one_of(&["servicePrincipals"]) {
        "service_principals"
    } else if one_of(&["devices"]) {
        "devices"
    } else if one_of(&[
        "policies",
        "authorizationPolicy",
        "settings",
        "directorySettingTemplates",
    ]) || (eq(first, "identity") && eq(second, "conditionalAccess"))
    {
        "policies"
    } else if one_of(&["oauth2PermissionGrants"]) {
        "oauth2_grants"
    } else if one_of(&["organization", "tenantDetails", "domains", "subscribedSkus"]) {
        "organization"
    } else if one_of(&["administrativeUnits"]) {
        "administrative_units"
    } else if one_of(&["contacts", "orgContacts", "orgContact", "people"]) {
        "contacts"
    } else if one_of(&["directoryObjects", "getByIds"]) {
        "directory_objects"
    } else if one_of(&["search"]) {
        "search"
    } else if one_of(&["me"]) {
        "me"
    } else if eq(first, "reports")
        && (second.to_ascii_lowercase().contains("registrationdetails")
            || eq(second, "authenticationMethods"))
    {
        "users"
    } else {
        return None;
    })
}

/// Collections whose name does not end in `s`, and POST actions that return many objects.
const COLLECTIONS: &[&str] = &[
    "memberOf",
    "transitiveMemberOf",
    "appRoleAssignedTo",
    "organization",
    "people",
    "delta",
    "microsoft.graph.delta",
    "getByIds",
    "microsoft.graph.getByIds",
    "query",
    "$batch",
];
/// Names ending in `s` that are single objects.
const SINGLETONS: &[&str] = &["mailboxSettings", "$links"];
/// POST requests that read (`getByIds`, `$batch`, `search/query`).
const READING_POSTS: &[&str] = &["getByIds", "microsoft.graph.getByIds", "$batch", "query"];

fn is_listing(segments: &[String], method: &str) -> bool {
    // Trailing segments that only shape the response.
    let last = segments
        .iter()
        .rev()
        .map(String::as_str)
        .find(|s| !["$count", "$value", "$ref"].iter().any(|m| eq(s, m)));
    let Some(last) = last else {
        return false;
    };
    let reads = if eq(method, "GET") {
        true
    } else if eq(method, "POST") {
        READING_POSTS.iter().any(|p| eq(name_of(last), p))
    } else {
        false
    };
    if !reads || last.contains(ID) {
        return false;
    }
    let name = name_of(last);
    if SINGLETONS.iter().any(|s| eq(name, s)) {
        return false;
    }
    COLLECTIONS.iter().any(|c| eq(name, c)) || (name.len() > 1 && name.ends_with(['s', 'S']))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (method, uri, aad, endpoint, version, category, listing)
    type Row = (
        &'static str,
        &'static str,
        bool,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        bool,
    );

    #[rustfmt::skip]
    const TABLE: &[Row] = &[
        ("GET", "https://graph.microsoft.com/v1.0/users?$select=id,displayName&$top=999", false, "/users", Some("v1.0"), Some("users"), true),
        ("GET", "https://graph.microsoft.com/beta//users/7ef3c2ad-d52l-4a89-8cf9-c30178181027/photos/48x48/$value", false, "/users/{id}/photos/48x48/$value", Some("beta"), Some("users"), false),
        ("GET", "https://graph.microsoft.com/v1.0/directoryRoles", false, "/directoryRoles", Some("v1.0"), Some("roles"), true),
        ("GET", "https://graph.microsoft.com/v1.0/organization/a140785b-418d-4344-a4ec-8e9648919gdb?$select=Id,DisplayName", false, "/organization/{id}", Some("v1.0"), Some("organization"), false),
        ("GET", "https://graph.microsoft.com/v1.0/organization", false, "/organization", Some("v1.0"), Some("organization"), true),
        ("GET", "https://graph.microsoft.com/beta/groups/0d4a5f1e-8a3b-4c2d-9e1f-2a3b4c5d6e7f/members?$top=999", false, "/groups/{id}/members", Some("beta"), Some("groups"), true),
        ("GET", "https://graph.microsoft.com/beta/groups/0d4a5f1e-8a3b-4c2d-9e1f-2a3b4c5d6e7f/owners", false, "/groups/{id}/owners", Some("beta"), Some("groups"), true),
        ("GET", "https://graph.microsoft.com/v1.0/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')/appRoleAssignedTo", false, "/servicePrincipals(appId={id})/appRoleAssignedTo", Some("v1.0"), Some("service_principals"), true),
        ("GET", "https://graph.microsoft.com/v1.0/servicePrincipals/5b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e/appRoleAssignments", false, "/servicePrincipals/{id}/appRoleAssignments", Some("v1.0"), Some("service_principals"), true),
        ("GET", "https://graph.microsoft.com/v1.0/directoryRoles/roleTemplateId=62e90394-69f5-4237-9190-012177145e10/members", false, "/directoryRoles/roleTemplateId={id}/members", Some("v1.0"), Some("roles"), true),
        ("GET", "https://graph.microsoft.com/v1.0/roleManagement/directory/roleEligibilityScheduleInstances", false, "/roleManagement/directory/roleEligibilityScheduleInstances", Some("v1.0"), Some("roles"), true),
        ("POST", "https://graph.microsoft.com/beta/roleManagement/directory/estimateAccess", false, "/roleManagement/directory/estimateAccess", Some("beta"), Some("roles"), false),
        ("GET", "https://graph.microsoft.com/beta/policies/authorizationPolicy", false, "/policies/authorizationPolicy", Some("beta"), Some("policies"), false),
        ("GET", "https://graph.microsoft.com/v1.0/identity/conditionalAccess/namedLocations", false, "/identity/conditionalAccess/namedLocations", Some("v1.0"), Some("policies"), true),
        ("GET", "https://graph.microsoft.com/v1.0/oauth2PermissionGrants", false, "/oauth2PermissionGrants", Some("v1.0"), Some("oauth2_grants"), true),
        ("POST", "https://graph.microsoft.com/v1.0/search/query", false, "/search/query", Some("v1.0"), Some("search"), true),
        ("GET", "https://graph.microsoft.com/v1.0/me", false, "/me", Some("v1.0"), Some("me"), false),
        ("GET", "https://graph.microsoft.com/v1.0/me/memberOf", false, "/me/memberOf", Some("v1.0"), Some("me"), true),
        ("GET", "https://graph.microsoft.com/v1.0/users/alice%40contoso.com/memberOf", false, "/users/{id}/memberOf", Some("v1.0"), Some("users"), true),
        ("GET", "https://graph.microsoft.com/v1.0/users/bob_fabrikam.com%23EXT%23@contoso.onmicrosoft.com", false, "/users/{id}", Some("v1.0"), Some("users"), false),
        ("GET", "https://graph.microsoft.com/v1.0/users/bob_fabrikam.com#EXT#@contoso.onmicrosoft.com/manager", false, "/users/{id}/manager", Some("v1.0"), Some("users"), false),
        ("GET", "https://graph.microsoft.com/v1.0/users/microsoft.graph.delta()?$deltatoken=abc", false, "/users/microsoft.graph.delta", Some("v1.0"), Some("users"), true),
        ("POST", "https://graph.microsoft.com/v1.0/directoryObjects/getByIds", false, "/directoryObjects/getByIds", Some("v1.0"), Some("directory_objects"), true),
        ("GET", "https://graph.microsoft.com/v1.0/directoryObjects/2c1d7f3e-4b5a-4c6d-8e7f-9a0b1c2d3e4f", false, "/directoryObjects/{id}", Some("v1.0"), Some("directory_objects"), false),
        ("POST", "https://graph.microsoft.com/v1.0/$batch", false, "/$batch", Some("v1.0"), None, true),
        ("GET", "https://graph.microsoft.com/beta/reports/credentialUserRegistrationDetails", false, "/reports/credentialUserRegistrationDetails", Some("beta"), Some("users"), true),
        ("GET", "https://graph.microsoft.com/v1.0/users/$count", false, "/users/$count", Some("v1.0"), Some("users"), true),
        ("GET", "https://graph.microsoft.com/v1.0/devices/1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d/registeredOwners", false, "/devices/{id}/registeredOwners", Some("v1.0"), Some("devices"), true),
        ("GET", "https://graph.microsoft.com/beta/applications/6f7e8d9c-0b1a-4c2d-9e3f-4a5b6c7d8e9f/federatedIdentityCredentials", false, "/applications/{id}/federatedIdentityCredentials", Some("beta"), Some("applications"), true),
        ("PATCH", "https://graph.microsoft.com/v1.0/users/4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8", false, "/users/{id}", Some("v1.0"), Some("users"), false),
        ("GET", "https://graph.microsoft.com/v1.0/me/photos/96x96/$value", false, "/me/photos/96x96/$value", Some("v1.0"), Some("me"), false),
        ("GET", "https://graph.microsoft.com/v1.0/users/4e5f6a7b-8c9d-4e0f-a1b2-c3d4e5f6a7b8/messages/AAMkAGI2TGuLAAA1YzI4MjQtNTg1Zi00YWM4LWE0ZTYtYTEwZmQzNzBiNzJlAEYAAAAAAiQ8W967B7TKBjgx9rVEURBwAiIsqMbYjsT5e-T7KzowPTAAAAAAAQ0AAAiIsqMbYjsT5e-T7KzowPTAAAYNKvwAAA=", false, "/users/{id}/messages/{id}", Some("v1.0"), Some("users"), false),
        ("GET", "/v1.0/groups", false, "/groups", Some("v1.0"), Some("groups"), true),
        // Azure AD Graph.
        ("GET", "/v2/ab30785b-417f-42a4-b5dc-8f9051718acb/users", true, "/users", None, Some("users"), true),
        ("GET", "/v2/ab30785b-417f-42a4-b5dc-8f9051718acb/tenantDetails", true, "/tenantDetails", None, Some("organization"), true),
        ("POST", "/ab30785b-417f-42a4-b5dc-8f9051718acb/$batch", true, "/$batch", None, None, true),
        ("PATCH", "/v2/ab30785b-417f-42a4-b5dc-8f9051718acb/applications/fda2d70f-7df3-4556-8bcb-30acc0a45082", true, "/applications/{id}", None, Some("applications"), false),
        ("GET", "/v2/ab30785b-417f-42a4-b5dc-8f9051718acb/users/first.last@example.com", true, "/users/{id}", None, Some("users"), false),
        ("GET", "https://graph.windows.net/contoso.onmicrosoft.com/users?api-version=1.61-internal&$top=999", false, "/users", Some("1.61-internal"), Some("users"), true),
        ("GET", "https://graph.windows.net/myorganization/groups/0d4a5f1e-8a3b-4c2d-9e1f-2a3b4c5d6e7f/$links/members?api-version=1.61-internal", false, "/groups/{id}/$links/members", Some("1.61-internal"), Some("groups"), true),
        ("GET", "https://graph.windows.net/0d4a5f1e-8a3b-4c2d-9e1f-2a3b4c5d6e7f/roleAssignments?api-version=1.61-internal&$filter=roleDefinitionId eq '62e90394'", false, "/roleAssignments", Some("1.61-internal"), Some("roles"), true),
        ("GET", "https://graph.windows.net/contoso.com/eligibleRoleAssignments?api-version=1.61-internal", false, "/eligibleRoleAssignments", Some("1.61-internal"), Some("roles"), true),
        ("GET", "https://graph.windows.net/contoso.com/settings?api-version=1.61-internal", false, "/settings", Some("1.61-internal"), Some("policies"), true),
        ("GET", "https://graph.windows.net/me?api-version=1.6", false, "/me", Some("1.6"), Some("me"), false),
        ("GET", "https://graph.windows.net/contoso.com/administrativeUnits?api-version=1.6", false, "/administrativeUnits", Some("1.6"), Some("administrative_units"), true),
        ("GET", "https://graph.windows.net/contoso.com/contacts?api-version=1.6", false, "/contacts", Some("1.6"), Some("contacts"), true),
        ("GET", "", false, "/", None, None, false),
        ("GET", "https://", false, "/", None, None, false),
    ];

    #[test]
    fn uri_table() {
        for (method, uri, aad, endpoint, version, category, listing) in TABLE {
            let got = parse(uri, method, *aad);
            assert_eq!(got.endpoint, *endpoint, "{uri}");
            assert_eq!(got.version.as_deref(), *version, "{uri}");
            assert_eq!(got.category, *category, "{uri}");
            assert_eq!(got.listing, *listing, "{uri}");
        }
    }

    #[test]
    fn hosts() {
        assert!(is_aad_graph_host(
            "https://graph.windows.net/x/users?api-version=1.6"
        ));
        assert!(!is_aad_graph_host("https://graph.microsoft.com/v1.0/users"));
        assert!(!is_aad_graph_host("/v2/x/users"));
    }
}
