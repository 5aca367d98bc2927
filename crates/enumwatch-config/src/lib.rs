//! `enumwatch.toml`: the twelve tunable elements MITRE names for the DET0386 analytics, typed and
//! validated at startup so that a typo fails the run with the key path instead of silently
//! changing what is detected.
//!
//! Every key has a default that works out of the box (`Config::default()` equals the shipped
//! `enumwatch.toml`, a test keeps them in step). Thresholds and windows are read by the
//! correlation rules through `enumwatch.threshold` / `enumwatch.timespan` keys naming a path in
//! this file (`Config::number`, `Config::window`); the list-valued tunables become `ctx.*` fields
//! on events (see `enumwatch-enrich`'s context tagger), which the rules' filters test.

mod patterns;
mod tuning;
mod window;

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

pub use patterns::{CidrList, PatternList};
pub use tuning::{TuningEntry, parse_date};
pub use window::Window;

/// The configuration file shipped with enumwatch, equal to `Config::default()`.
pub const DEFAULT_TOML: &str = include_str!("../../../enumwatch.toml");

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// The whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub identity_provider: IdentityProvider,
    pub iaas: Iaas,
    pub office_suite: OfficeSuite,
    pub saas: Saas,
    /// Named exceptions for known-good enumeration (see `tuning`).
    pub tuning: Vec<TuningEntry>,
}

/// AN1087 Identity Provider: TokenScope, AppContext, TimeWindow.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IdentityProvider {
    /// TimeWindow: the window in which directory reads of one principal are counted.
    pub time_window: Window,
    /// Distinct directory endpoints one principal lists within `time_window` before it alerts.
    pub distinct_endpoints: u64,
    pub token_scope: TokenScope,
    pub app_context: AppContext,
}

/// TokenScope: which scopes or app roles read the directory, and who is expected to hold them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TokenScope {
    /// Scopes and app roles that can read users, groups, roles or applications.
    pub directory_scopes: Vec<String>,
    /// Principals (UPN, object id or app id; `*` wildcards) expected to read the directory.
    pub expected_principals: PatternList,
}

/// AppContext: automation apps whose directory listing is expected, and the public clients
/// tools borrow.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AppContext {
    /// App (client) ids of sanctioned automation: identity governance, HR sync, backup.
    pub automation_app_ids: PatternList,
    /// First-party public client ids offensive tools authenticate as.
    pub public_client_app_ids: PatternList,
}

/// AN1088 IaaS: CallerType, CLIUserAgent, CloudRegion.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Iaas {
    /// Window for bursts of enumeration calls by one principal.
    pub time_window: Window,
    /// Distinct account-wide listing operations within `time_window` before it alerts.
    pub distinct_operations: u64,
    /// Denied calls by one principal within `time_window` before it alerts.
    pub denied_calls: u64,
    /// `UpdateAssumeRolePolicy` malformed-policy errors (the cross-account oracle) before it alerts.
    pub trust_policy_errors: u64,
    pub caller_type: CallerType,
    pub cli_user_agent: CliUserAgent,
    pub cloud_region: CloudRegion,
}

/// CallerType: principals by role (`*` wildcards over ARN, e-mail or name).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CallerType {
    pub admin: PatternList,
    pub developer: PatternList,
    pub test: PatternList,
    pub service: PatternList,
    /// Caller types whose enumeration is expected (`admin`, `developer`, `test`, `service`,
    /// `instance_role`); their bursts are not alerted unless a known offensive tool made them.
    pub expected_enumerators: Vec<String>,
}

/// CLIUserAgent: clients whose listing calls are expected (infrastructure as code, consoles).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CliUserAgent {
    /// User-agent patterns (`*` wildcards, case-insensitive) of expected clients.
    pub expected: PatternList,
}

/// CloudRegion: where calls are expected to come from.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CloudRegion {
    /// Regions calls are expected in; empty means any.
    pub expected_regions: Vec<String>,
    /// Source networks calls are expected from; empty means any.
    pub expected_source_cidrs: CidrList,
}

/// AN1089 Office Suite: CmdletVolume, UserAgent, SessionContext.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct OfficeSuite {
    pub cmdlet_volume: CmdletVolume,
    pub user_agent: UserAgent,
    pub session_context: SessionContext,
}

/// CmdletVolume: recipient and mailbox listing per actor per window.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CmdletVolume {
    pub max_per_window: u64,
    pub window: Window,
}

/// UserAgent: admin consoles and sanctioned tools.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UserAgent {
    pub sanctioned: PatternList,
}

/// SessionContext: what a trusted session looks like.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionContext {
    /// Corporate networks; a listing from elsewhere is an untrusted session. Empty: not checked.
    pub trusted_cidrs: CidrList,
    /// Treat a session on a device the vendor reports as unmanaged as untrusted.
    pub require_managed_device: bool,
}

/// AN1090 SaaS: APIRequestRate, AppIntegrationID, GeoContext.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Saas {
    pub api_request_rate: ApiRequestRate,
    pub app_integration_id: AppIntegrationId,
    pub geo_context: GeoContext,
}

/// APIRequestRate: directory reads per principal or app per window.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ApiRequestRate {
    pub max_requests: u64,
    pub window: Window,
}

/// AppIntegrationID: SCIM and directory-sync clients whose listing is expected.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AppIntegrationId {
    /// Client ids, app names or integration ids (`*` wildcards).
    pub expected: PatternList,
}

/// GeoContext: where directory reads are expected from.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct GeoContext {
    /// ISO 3166-1 alpha-2 country codes; empty means any.
    pub expected_countries: Vec<String>,
    /// Networks always trusted regardless of country.
    pub trusted_cidrs: CidrList,
    /// A MaxMind-format country or city database (`.mmdb`) for clients whose log lacks a country.
    pub geoip_database: Option<PathBuf>,
}

impl Default for IdentityProvider {
    fn default() -> Self {
        Self {
            time_window: Window::minutes(10),
            distinct_endpoints: 5,
            token_scope: TokenScope::default(),
            app_context: AppContext::default(),
        }
    }
}

impl Default for TokenScope {
    fn default() -> Self {
        Self {
            directory_scopes: [
                "Directory.Read.All",
                "Directory.ReadWrite.All",
                "Directory.AccessAsUser.All",
                "User.Read.All",
                "User.ReadBasic.All",
                "User.ReadWrite.All",
                "Group.Read.All",
                "GroupMember.Read.All",
                "RoleManagement.Read.Directory",
                "RoleManagement.Read.All",
                "Application.Read.All",
                "AuditLog.Read.All",
            ]
            .map(str::to_owned)
            .to_vec(),
            expected_principals: PatternList::default(),
        }
    }
}

impl Default for AppContext {
    fn default() -> Self {
        Self {
            automation_app_ids: PatternList::default(),
            public_client_app_ids: PatternList::literal(&[
                "1950a258-227b-4e31-a9cf-717495945fc2",
                "1b730954-1685-4b74-9bfd-dac224a7b894",
                "d3590ed6-52b3-4102-aeff-aad2292ab01c",
                "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
                "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
                "14d82eec-204b-4c2f-b7e8-296a70dab67e",
                "fb78d390-0c51-40cd-8e17-fdbfab77341b",
            ]),
        }
    }
}

impl Default for Iaas {
    fn default() -> Self {
        Self {
            time_window: Window::minutes(10),
            distinct_operations: 4,
            denied_calls: 10,
            trust_policy_errors: 5,
            caller_type: CallerType::default(),
            cli_user_agent: CliUserAgent::default(),
            cloud_region: CloudRegion::default(),
        }
    }
}

impl Default for CliUserAgent {
    fn default() -> Self {
        Self {
            expected: PatternList::literal(&[
                "*Terraform/*",
                "*terraform-provider-*",
                "*Pulumi*",
                "cloudformation.amazonaws.com",
                "AWS Internal",
                "*aws-internal/*",
            ]),
        }
    }
}

impl Default for CmdletVolume {
    fn default() -> Self {
        Self {
            max_per_window: 20,
            window: Window::minutes(60),
        }
    }
}

impl Default for ApiRequestRate {
    fn default() -> Self {
        Self {
            max_requests: 25,
            window: Window::minutes(10),
        }
    }
}

const CALLER_TYPES: [&str; 5] = ["admin", "developer", "test", "service", "instance_role"];

/// The numeric keys correlation rules may name in `enumwatch.threshold`.
const NUMBERS: [&str; 6] = [
    "identity_provider.distinct_endpoints",
    "iaas.distinct_operations",
    "iaas.denied_calls",
    "iaas.trust_policy_errors",
    "office_suite.cmdlet_volume.max_per_window",
    "saas.api_request_rate.max_requests",
];

/// The window keys correlation rules may name in `enumwatch.timespan`.
const WINDOWS: [&str; 4] = [
    "identity_provider.time_window",
    "iaas.time_window",
    "office_suite.cmdlet_volume.window",
    "saas.api_request_rate.window",
];

impl Config {
    /// Parse and validate TOML text; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| text.get(..s.start).unwrap_or("").matches('\n').count() + 1)
                .unwrap_or(0);
            ConfigError::Invalid {
                path: if line > 0 {
                    format!("{origin}:{line}")
                } else {
                    origin.to_owned()
                },
                message: e.message().trim().to_owned(),
            }
        })?;
        config.validate(origin)?;
        Ok(config)
    }

    /// Read, parse and validate a configuration file.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        Config::parse(&text, &path.display().to_string())
    }

    fn validate(&self, origin: &str) -> Result<(), ConfigError> {
        let bad = |key: &str, message: String| ConfigError::Invalid {
            path: format!("{origin}: `{key}`"),
            message,
        };
        for (i, t) in self
            .iaas
            .caller_type
            .expected_enumerators
            .iter()
            .enumerate()
        {
            if !CALLER_TYPES.contains(&t.as_str()) {
                return Err(bad(
                    &format!("iaas.caller_type.expected_enumerators[{i}]"),
                    format!(
                        "`{t}` is not a caller type; expected one of {}",
                        CALLER_TYPES.join(", ")
                    ),
                ));
            }
        }
        let mut names = std::collections::BTreeSet::new();
        for (i, t) in self.tuning.iter().enumerate() {
            let key = |k: &str| format!("tuning[{i}].{k}");
            for (k, v) in [
                ("name", &t.name),
                ("owner", &t.owner),
                ("reason", &t.reason),
            ] {
                if v.trim().is_empty() {
                    return Err(bad(
                        &key(k),
                        "is required: every exception needs a name, an owner and a reason"
                            .to_owned(),
                    ));
                }
            }
            if !names.insert(t.name.as_str()) {
                return Err(bad(
                    &key("name"),
                    format!("`{}` is used by another entry", t.name),
                ));
            }
            if !t.has_matcher() {
                return Err(bad(
                    &key("principals"),
                    "an entry must name at least one of principals, app_ids, user_agents, source_cidrs or hosts".to_owned(),
                ));
            }
            if let Some(e) = &t.expires
                && parse_date(e).is_none()
            {
                return Err(bad(
                    &key("expires"),
                    format!("`{e}` is not a date such as \"2027-03-31\""),
                ));
            }
            for (j, a) in t.analytics.iter().enumerate() {
                if !["AN1087", "AN1088", "AN1089", "AN1090"].contains(&a.as_str()) {
                    return Err(bad(
                        &key(&format!("analytics[{j}]")),
                        format!(
                            "`{a}` is not an analytic; expected AN1087, AN1088, AN1089 or AN1090"
                        ),
                    ));
                }
            }
        }
        for (i, c) in self.saas.geo_context.expected_countries.iter().enumerate() {
            if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(bad(
                    &format!("saas.geo_context.expected_countries[{i}]"),
                    format!("`{c}` is not an ISO 3166-1 alpha-2 code such as \"US\" or \"DE\""),
                ));
            }
        }
        let positive = [
            (
                "identity_provider.distinct_endpoints",
                self.identity_provider.distinct_endpoints,
            ),
            ("iaas.distinct_operations", self.iaas.distinct_operations),
            ("iaas.denied_calls", self.iaas.denied_calls),
            ("iaas.trust_policy_errors", self.iaas.trust_policy_errors),
            (
                "office_suite.cmdlet_volume.max_per_window",
                self.office_suite.cmdlet_volume.max_per_window,
            ),
            (
                "saas.api_request_rate.max_requests",
                self.saas.api_request_rate.max_requests,
            ),
        ];
        for (key, value) in positive {
            if value == 0 {
                return Err(bad(key, "must be at least 1".to_owned()));
            }
        }
        Ok(())
    }

    /// A numeric tunable by key path (`iaas.distinct_operations`), for rule thresholds.
    pub fn number(&self, key: &str) -> Option<u64> {
        Some(match key {
            "identity_provider.distinct_endpoints" => self.identity_provider.distinct_endpoints,
            "iaas.distinct_operations" => self.iaas.distinct_operations,
            "iaas.denied_calls" => self.iaas.denied_calls,
            "iaas.trust_policy_errors" => self.iaas.trust_policy_errors,
            "office_suite.cmdlet_volume.max_per_window" => {
                self.office_suite.cmdlet_volume.max_per_window
            }
            "saas.api_request_rate.max_requests" => self.saas.api_request_rate.max_requests,
            _ => return None,
        })
    }

    /// A window tunable by key path (`iaas.time_window`), for rule timespans.
    pub fn window(&self, key: &str) -> Option<Window> {
        Some(match key {
            "identity_provider.time_window" => self.identity_provider.time_window,
            "iaas.time_window" => self.iaas.time_window,
            "office_suite.cmdlet_volume.window" => self.office_suite.cmdlet_volume.window,
            "saas.api_request_rate.window" => self.saas.api_request_rate.window,
            _ => return None,
        })
    }

    /// Key paths `number` answers, for error messages.
    pub fn number_keys() -> &'static [&'static str] {
        &NUMBERS
    }

    /// Key paths `window` answers, for error messages.
    pub fn window_keys() -> &'static [&'static str] {
        &WINDOWS
    }

    /// The caller type of a principal: the first configured class whose patterns match, else
    /// `instance_role` for EC2 instance-profile sessions, else `None`.
    pub fn caller_type(&self, principal: &str) -> Option<&'static str> {
        let c = &self.iaas.caller_type;
        for (name, list) in [
            ("admin", &c.admin),
            ("developer", &c.developer),
            ("test", &c.test),
            ("service", &c.service),
        ] {
            if list.matches(principal) {
                return Some(name);
            }
        }
        is_instance_session(principal).then_some("instance_role")
    }

    /// Whether `ip` is inside the expected source networks (true when none are configured).
    pub fn expected_source(&self, ip: Option<IpAddr>) -> bool {
        let cidrs = &self.iaas.cloud_region.expected_source_cidrs;
        cidrs.is_empty() || ip.is_some_and(|ip| cidrs.contains(ip))
    }
}

/// An assumed-role session named after an EC2 instance id (`…/role-name/i-0adc17a5acb70d9ae`):
/// the instance profile's credentials at work.
pub fn is_instance_session(principal: &str) -> bool {
    let Some(rest) = principal.rsplit('/').next() else {
        return false;
    };
    principal.contains(":assumed-role/")
        && rest.len() >= 10
        && rest.starts_with("i-")
        && rest.bytes().skip(2).all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests;
