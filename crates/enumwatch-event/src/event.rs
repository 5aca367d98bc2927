//! The normalized event: one vendor record mapped to a common set of field names.
//!
//! Field names follow the Sigma taxonomy where one exists (`Image`, `CommandLine`, `User`, …), so
//! that portable Sigma rules match without a per-vendor mapping; derived fields added by enrichers
//! use a dotted namespace (`cli.*`). The raw record stays attached for rules that reach vendor
//! fields directly and for evidence.

use std::borrow::Cow;
use std::sync::Arc;

use jiff::Timestamp;
use serde_json::{Map, Value};

use crate::{Location, LogSource, lookup_path};

/// Normalized field names. Normalizers and enrichers write these; rules and alerts read them.
pub mod field {
    // Process creation (Sigma `process_creation` taxonomy).
    pub const IMAGE: &str = "Image";
    pub const ORIGINAL_FILE_NAME: &str = "OriginalFileName";
    pub const COMMAND_LINE: &str = "CommandLine";
    pub const CURRENT_DIRECTORY: &str = "CurrentDirectory";
    pub const PROCESS_ID: &str = "ProcessId";
    pub const PARENT_IMAGE: &str = "ParentImage";
    pub const PARENT_COMMAND_LINE: &str = "ParentCommandLine";
    pub const PARENT_PROCESS_ID: &str = "ParentProcessId";
    pub const USER: &str = "User";
    pub const COMPUTER: &str = "Computer";
    pub const HASHES: &str = "Hashes";
    pub const INTEGRITY_LEVEL: &str = "IntegrityLevel";
    pub const LOGON_ID: &str = "LogonId";
    /// The login (audit) user of a Linux process (auditd `auid`, AUOMS `audit_user`).
    pub const AUDIT_USER: &str = "AuditUser";
    /// Executable file name without directory (`powershell.exe`), as Defender's `FileName`.
    pub const FILE_NAME: &str = "FileName";
    /// Parent executable file name without directory.
    pub const PARENT_FILE_NAME: &str = "ParentFileName";
    /// Program arguments as a list, where the source records them separately (auditd `a0..aN`).
    pub const ARGV: &str = "Argv";

    // PowerShell script block logging (Sigma `ps_script`).
    pub const SCRIPT_BLOCK_TEXT: &str = "ScriptBlockText";
    pub const SCRIPT_BLOCK_ID: &str = "ScriptBlockId";
    pub const SCRIPT_PATH: &str = "Path";

    // Cloud and SaaS events (common across vendors; the raw record keeps vendor names).
    pub const ACTOR: &str = "actor.name";
    pub const ACTOR_ID: &str = "actor.id";
    pub const ACTOR_TYPE: &str = "actor.type";
    pub const SOURCE_IP: &str = "client.ip";
    pub const USER_AGENT: &str = "client.user_agent";
    pub const APP_ID: &str = "client.app_id";
    pub const SESSION_ID: &str = "session.id";
    pub const ACTION: &str = "action.name";
    pub const SERVICE: &str = "action.service";
    pub const ERROR_CODE: &str = "outcome.error_code";
    pub const ACCOUNT: &str = "cloud.account";
    pub const REGION: &str = "cloud.region";
    /// Directory tenant (Entra tenant id, Okta org, Workspace customer id, Slack enterprise).
    pub const TENANT: &str = "cloud.tenant";
    /// Display name of the calling application (Entra `AppDisplayName`, Okta client, Slack app).
    pub const APP_NAME: &str = "client.app_name";
    /// ISO country code of the client, where the vendor records it.
    pub const COUNTRY: &str = "client.geo.country";
    /// `success` or `failure`, from the vendor's own outcome field.
    pub const OUTCOME: &str = "outcome.result";
    /// The object the operation read or changed (GCP `resourceName`, UAL `ObjectId`, Okta target).
    pub const TARGET: &str = "action.target";
    /// HTTP method of an API request log (`GET`, `POST`).
    pub const HTTP_METHOD: &str = "http.method";
    /// HTTP status code of an API request log, as text (`200`, `403`).
    pub const HTTP_STATUS: &str = "http.status";
    /// The request URI as logged.
    pub const URL: &str = "url.original";
    /// The request path with ids, UPNs, API version and query removed (`/users/{id}/memberOf`,
    /// AAD Graph `users`), so one endpoint reads the same in every request; tool endpoint sets
    /// are fingerprinted on it.
    pub const API_ENDPOINT: &str = "api.endpoint";
    /// API version of the request (`v1.0`, `beta`, `1.61-internal`).
    pub const API_VERSION: &str = "api.version";
    /// What kind of directory object the request reads (`users`, `groups`, `roles`,
    /// `applications`, `service_principals`, `devices`, `policies`, `mailboxes`, `contacts`,
    /// `organization`, `service_accounts`); absent when it reads none.
    pub const API_CATEGORY: &str = "api.category";
    /// `true` when the request lists a collection (no single object id), the shape of enumeration.
    pub const API_LISTING: &str = "api.listing";
    /// OAuth scopes of the token (space-separated, as the vendor logs them).
    pub const SCOPES: &str = "auth.scopes";
    /// Application roles of an app-only token.
    pub const ROLES: &str = "auth.roles";
    /// Sign-in protocol or grant (`deviceCode`, `ropc`, `none`).
    pub const AUTH_PROTOCOL: &str = "auth.protocol";
    /// Resource (audience) a sign-in asked a token for (`00000003-0000-0000-c000-000000000000`).
    pub const AUTH_RESOURCE: &str = "auth.resource_id";
    /// `true`/`false` when the vendor says whether the device is managed.
    pub const DEVICE_MANAGED: &str = "device.managed";
    /// Count of items or bytes the request returned, where logged (Workspace
    /// `num_response_bytes`, Graph `ResponseSizeBytes`).
    pub const RESPONSE_SIZE: &str = "http.response_bytes";

    // Derived by the cloud enricher from the client and the configuration.
    /// Client recognised from the user agent (`aws-cli`, `gcloud`, `terraform`, `AzureHound`).
    pub const CLIENT_TOOL: &str = "client.tool";
    /// `ToolCategory` name of the recognised client.
    pub const CLIENT_TOOL_CATEGORY: &str = "client.tool_category";
    /// The CLI command a user agent names (`iam.list-users`, `gcloud.iam.service-accounts.list`).
    pub const CLIENT_COMMAND: &str = "client.command";
    /// CallerType of the principal (`admin`, `developer`, `test`, `service`, `instance_role`).
    pub const CTX_CALLER_TYPE: &str = "ctx.caller_type";
    /// `true` when the configuration marks this principal, app or client as expected to list
    /// accounts (never set for a known offensive tool); rules leave these events out.
    pub const CTX_EXPECTED: &str = "ctx.expected";
    /// The configuration key and pattern that made the event expected.
    pub const CTX_EXPECTED_REASON: &str = "ctx.expected_reason";
    /// `true` when CloudRegion lists regions or networks and the call came from outside them.
    pub const CTX_UNEXPECTED_REGION: &str = "ctx.unexpected_region";
    /// `true` when the token carries a TokenScope directory-read scope or role.
    pub const CTX_DIRECTORY_SCOPE: &str = "ctx.directory_scope";
    /// `true` when the app is a first-party public client tools borrow (AppContext).
    pub const CTX_PUBLIC_CLIENT: &str = "ctx.public_client";
    /// `true` when SessionContext finds the session outside trusted networks or devices.
    pub const CTX_UNTRUSTED_SESSION: &str = "ctx.untrusted_session";
    /// `true` when GeoContext lists countries and the client's country is not among them.
    pub const CTX_UNEXPECTED_GEO: &str = "ctx.unexpected_geo";

    /// The baseline (`enumwatch baseline`) never saw this principal.
    pub const CTX_NEW_PRINCIPAL: &str = "ctx.new_principal";
    /// The baseline never saw this principal call this operation (or run this command).
    pub const CTX_NEW_OPERATION: &str = "ctx.new_operation";
    /// … use this client or tool.
    pub const CTX_NEW_CLIENT: &str = "ctx.new_client";
    /// … use this app id.
    pub const CTX_NEW_APP: &str = "ctx.new_app";
    /// … come from this network (/24 or /48).
    pub const CTX_NEW_NETWORK: &str = "ctx.new_network";

    // Derived by the command-line enricher.
    /// Recognised program or module (`aws-cli`, `azure-cli`, `gcloud`, `MSOnline`, `AzureHound`).
    pub const CLI_TOOL: &str = "cli.tool";
    /// Service or command group (`iam`, `ad user`, `iam service-accounts`).
    pub const CLI_SERVICE: &str = "cli.service";
    /// Operation or cmdlet (`list-users`, `list`, `Get-MsolUser`).
    pub const CLI_OPERATION: &str = "cli.operation";
    /// Canonical form of the recognised command (`aws iam list-users`).
    pub const CLI_COMMAND: &str = "cli.command";
    /// `true` when the recognised command lists accounts, roles, groups or mailboxes.
    pub const CLI_ENUMERATION: &str = "cli.enumeration";
    /// `Platform` name the command targets.
    pub const CLI_PLATFORM: &str = "cli.platform";
    /// DET0386 analytic the recognised command belongs to (`AN1087` identity provider, `AN1088`
    /// IaaS, `AN1089` office suite, `AN1090` SaaS).
    pub const CLI_ANALYTIC: &str = "cli.analytic";
    /// `ToolCategory` name of the recognised tool.
    pub const CLI_TOOL_CATEGORY: &str = "cli.tool_category";
    /// The command line after de-obfuscation (carets, quotes, case, whitespace, base64).
    pub const CLI_DEOBFUSCATED: &str = "cli.deobfuscated";
    /// Obfuscation techniques that were undone (`caret`, `quotes`, `encoded_command`, …).
    pub const CLI_OBFUSCATION: &str = "cli.obfuscation";

    /// Undotted names normalizers write (the Sigma taxonomy and script block reassembly).
    const NAMES: &[&str] = &[
        IMAGE,
        ORIGINAL_FILE_NAME,
        COMMAND_LINE,
        CURRENT_DIRECTORY,
        PROCESS_ID,
        PARENT_IMAGE,
        PARENT_COMMAND_LINE,
        PARENT_PROCESS_ID,
        USER,
        COMPUTER,
        HASHES,
        INTEGRITY_LEVEL,
        LOGON_ID,
        AUDIT_USER,
        FILE_NAME,
        PARENT_FILE_NAME,
        ARGV,
        SCRIPT_BLOCK_TEXT,
        SCRIPT_BLOCK_ID,
        SCRIPT_PATH,
        "ScriptBlockParts",
        "ScriptBlockIncomplete",
        "ScriptBlockPartsExpected",
    ];

    /// Namespaces of the dotted names normalizers and enrichers write.
    const NAMESPACES: &[&str] = &[
        "actor.", "client.", "session.", "action.", "outcome.", "cloud.", "http.", "url.", "api.",
        "auth.", "device.", "ctx.", "cli.",
    ];

    /// Whether a normalizer or enricher may write `name`. A name that is not is read from the
    /// vendor record itself, verbatim — which is what lets the raw-text prefilter stand in for
    /// a rule on it; a name that is may hold a derived value found nowhere in the record.
    pub fn is_normalized(name: &str) -> bool {
        NAMES.contains(&name) || NAMESPACES.iter().any(|ns| name.starts_with(ns))
    }

    /// Whether every normalizer of JSON records copies `name` unchanged from one vendor string
    /// (Sysmon, Security 4688 and Defender command lines), or from inside one (AUOMS's
    /// `cmdline=` in a Sentinel `SyslogMessage`, a Sentinel `WindowsEvent` row's `EventData`
    /// written as JSON text, a Sentinel `Event` row's event XML): either way the raw text holds
    /// it, escaping touching no character a literal may hold (an XML reference of one makes
    /// the prefilter parse the record). The
    /// exception is auditd, which joins the arguments of an `{"auditd": …}` group; the raw-text
    /// prefilter therefore parses every record holding `"auditd"`. `normalize`'s tests check the
    /// claim on every sample.
    pub fn is_verbatim(name: &str) -> bool {
        matches!(name, COMMAND_LINE | PARENT_COMMAND_LINE)
    }
}

/// Normalized fields of one event, in the order they were first set (which normalizers and
/// enrichers make the same for every run, so output is deterministic).
///
/// A vector scanned linearly rather than a JSON map: an event holds a few dozen fields at most,
/// every name a normalizer or enricher writes is a `&'static str` constant, and the map would
/// allocate a `String` per key and hash it with SipHash on every insert and on every lookup a
/// rule makes. Here inserting a constant name allocates nothing, and a lookup compares one
/// machine word per field (`Tag`), comparing names only where the words agree. Most lookups
/// miss (rules on vendor fields ask for names no normalizer writes), so the misses are what
/// must be cheap; a binary search over the names would call `memcmp` several times for each.
#[derive(Clone, Default)]
pub struct Fields(Vec<Entry>);

#[derive(Clone)]
struct Entry {
    tag: Tag,
    name: Cow<'static, str>,
    value: Value,
}

/// A word summarising a name: its length and its first and last eight bytes. Equal names have
/// equal tags; unequal names almost always differ, and a collision only costs a full compare.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Tag(u64);

impl Tag {
    fn of(name: &str) -> Self {
        let bytes = name.as_bytes();
        let word = |chunk: &[u8]| {
            let mut buf = [0u8; 8];
            buf[..chunk.len()].copy_from_slice(chunk);
            u64::from_le_bytes(buf)
        };
        let n = bytes.len();
        let head = word(&bytes[..n.min(8)]);
        let tail = word(&bytes[n.saturating_sub(8)..]);
        Self(head.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ tail.rotate_left(29) ^ n as u64)
    }
}

impl Fields {
    pub fn new() -> Self {
        Self(Vec::new())
    }

    fn position(&self, name: &str) -> Option<usize> {
        self.position_tagged(Tag::of(name), name)
    }

    fn position_tagged(&self, tag: Tag, name: &str) -> Option<usize> {
        self.0
            .iter()
            .position(|e| e.tag == tag && e.name.as_ref() == name)
    }

    /// Set a field; `Value::Null` and empty strings are not stored (absent and empty mean the
    /// same to rules, and absence keeps snapshots small). Setting a field again replaces its
    /// value and keeps its place.
    pub fn insert(&mut self, name: impl Into<Cow<'static, str>>, value: impl Into<Value>) {
        let value = value.into();
        match &value {
            Value::Null => {}
            Value::String(s) if s.is_empty() => {}
            _ => {
                let name = name.into();
                let tag = Tag::of(&name);
                match self.position_tagged(tag, &name) {
                    Some(i) => self.0[i].value = value,
                    None => {
                        if self.0.capacity() == 0 {
                            // Most events get a dozen or more fields; start there instead of
                            // growing through 4 and 8.
                            self.0.reserve(INITIAL_CAPACITY);
                        }
                        self.0.push(Entry { tag, name, value });
                    }
                }
            }
        }
    }

    /// Set a string field if `value` is `Some`.
    pub fn insert_opt(
        &mut self,
        name: impl Into<Cow<'static, str>>,
        value: Option<impl Into<Value>>,
    ) {
        if let Some(v) = value {
            self.insert(name, v);
        }
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.position(name).map(|i| &self.0[i].value)
    }

    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }

    pub fn contains(&self, name: &str) -> bool {
        self.position(name).is_some()
    }

    /// The fields in the order they were first set.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().map(|e| (e.name.as_ref(), &e.value))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The fields as a JSON object (for snapshots and rule tests).
    pub fn to_map(&self) -> Map<String, Value> {
        self.iter()
            .map(|(k, v)| (k.to_owned(), v.clone()))
            .collect()
    }
}

/// Room reserved on a `Fields`' first insert.
const INITIAL_CAPACITY: usize = 16;

/// Equal when they hold the same names with the same values, in any order (as the JSON map
/// they replace compared).
impl PartialEq for Fields {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k) == Some(v))
    }
}

impl std::fmt::Debug for Fields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

/// One normalized event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// When the event happened, per the vendor record (never the time it was read).
    pub time: Option<Timestamp>,
    pub source: LogSource,
    pub location: Location,
    pub fields: Fields,
    /// The vendor record this event was made from.
    pub raw: Arc<Value>,
}

impl Event {
    pub fn new(source: LogSource, location: Location, raw: Arc<Value>) -> Self {
        Self {
            time: None,
            source,
            location,
            fields: Fields::new(),
            raw,
        }
    }

    /// A field by name: the normalized field if there is one, else the raw record's dotted path.
    /// This is how Sigma rules see an event.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields
            .get(name)
            .or_else(|| lookup_path(&self.raw, name))
    }

    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.get(name).and_then(Value::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_keep_first_set_order_replace_in_place_and_compare_as_sets() {
        let mut a = Fields::new();
        a.insert(field::SOURCE_IP, "1.2.3.4");
        a.insert(String::from("x.dynamic"), 1);
        a.insert(field::ACTOR, "alice");
        a.insert(field::SOURCE_IP, "5.6.7.8");
        a.insert(field::ACTION, Value::Null);
        a.insert_opt(field::REGION, None::<&str>);
        let names: Vec<&str> = a.iter().map(|(k, _)| k).collect();
        assert_eq!(names, [field::SOURCE_IP, "x.dynamic", field::ACTOR]);
        assert_eq!(a.get_str(field::SOURCE_IP), Some("5.6.7.8"));
        assert_eq!(a.get("x.dynamic"), Some(&Value::from(1)));
        assert!(!a.contains(field::ACTION) && !a.contains(field::REGION));
        assert_eq!(a.len(), 3);

        let mut b = Fields::new();
        b.insert(field::ACTOR, "alice");
        b.insert(field::SOURCE_IP, "5.6.7.8");
        b.insert("x.dynamic", 1);
        assert_eq!(a, b);
        b.insert(field::ACTOR, "bob");
        assert_ne!(a, b);
        assert_eq!(
            a.to_map(),
            serde_json::from_str::<Map<String, Value>>(
                r#"{"client.ip": "5.6.7.8", "x.dynamic": 1, "actor.name": "alice"}"#
            )
            .unwrap()
        );
    }

    #[test]
    fn names_with_equal_length_and_ends_are_told_apart() {
        // Same length, same first and last eight bytes: equal tags, so the names decide.
        let names = [
            "abcdefgh_1_stuvwxyz",
            "abcdefgh_2_stuvwxyz",
            "",
            "a",
            "b",
            "ab",
            "abcdefgh",
            "abcdefghi",
            "é",
        ];
        let mut f = Fields::new();
        for (i, n) in names.iter().enumerate() {
            f.insert(*n, i);
        }
        for (i, n) in names.iter().enumerate() {
            assert_eq!(f.get(n), Some(&Value::from(i)), "{n}");
        }
        assert_eq!(f.get("abcdefgh_3_stuvwxyz"), None);
        assert_eq!(f.get("abcdefghij"), None);
        assert_eq!(f.len(), names.len());
    }

    #[test]
    fn normalized_fields_win_over_raw_and_raw_paths_resolve() {
        let raw = Arc::new(json!({"CommandLine": "raw", "userIdentity": {"arn": "a"}}));
        let mut ev = Event::new(LogSource::Cloudtrail, Location::new(Arc::from("x"), 0), raw);
        ev.fields.insert(field::COMMAND_LINE, "normalized");
        ev.fields.insert(field::USER, "");
        assert_eq!(ev.get_str("CommandLine"), Some("normalized"));
        assert_eq!(ev.get_str("userIdentity.arn"), Some("a"));
        assert!(
            !ev.fields.contains(field::USER),
            "empty strings are not stored"
        );
    }
}
