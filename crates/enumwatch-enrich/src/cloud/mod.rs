//! Derived fields for cloud and SaaS events: the client behind the user agent (`client.*`) and
//! the configuration's view of the caller (`ctx.*`: caller type, expected or not, region, token
//! scope, public client, session trust, country).
//!
//! The tunables that are lists (principals, apps, user agents, networks, countries) are applied
//! here, once per event, so that the Sigma rules stay short and portable: a rule filters on
//! `ctx.expected: true` instead of carrying every customer's allow-list. A known offensive tool
//! signature is never marked expected, whatever the configuration says.

mod useragent;

use std::cell::RefCell;
use std::collections::HashMap;
use std::net::IpAddr;

use enumwatch_config::Config;
use enumwatch_event::{Event, LogSource, ToolCategory, field};
use serde_json::Value;
use thread_local::ThreadLocal;

pub use useragent::{Client, recognize_user_agent};

/// Country of an IP address (a MaxMind database in production, a table in tests).
pub trait CountryLookup: Send + Sync {
    /// ISO 3166-1 alpha-2 code.
    fn country(&self, ip: IpAddr) -> Option<String>;
}

/// Adds `client.*` and `ctx.*` fields to cloud and SaaS events.
pub struct CloudEnricher {
    config: Config,
    geo: Option<Box<dyn CountryLookup>>,
    /// Per-thread verdicts by user agent: a log holds few distinct user agents, and recognising
    /// one (an automaton pass plus the configured patterns) costs more than the rest of the
    /// event's enrichment.
    user_agents: ThreadLocal<RefCell<HashMap<String, UaVerdict>>>,
}

/// What the user agent alone decides.
#[derive(Clone)]
struct UaVerdict {
    client: Option<Client>,
    /// Matches `iaas.cli_user_agent.expected`.
    iaas_expected: bool,
    /// Matches `office_suite.user_agent.sanctioned`.
    office_sanctioned: bool,
}

/// Distinct user agents remembered per thread before the cache starts over.
const UA_CACHE_CAP: usize = 4096;

/// Which tunables speak about a log source.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Family {
    Iaas,
    Identity,
    Office,
    Saas,
}

fn family(source: LogSource) -> Option<Family> {
    Some(match source {
        LogSource::Cloudtrail | LogSource::GcpAudit => Family::Iaas,
        LogSource::GraphActivity
        | LogSource::AadGraphActivity
        | LogSource::EntraSignin
        | LogSource::EntraAudit => Family::Identity,
        LogSource::M365Audit => Family::Office,
        LogSource::WorkspaceActivity | LogSource::OktaSystemLog | LogSource::SlackAudit => {
            Family::Saas
        }
        LogSource::Sysmon
        | LogSource::SysmonLinux
        | LogSource::Security4688
        | LogSource::Powershell4104
        | LogSource::DefenderProcess
        | LogSource::WindowsOther
        | LogSource::Auditd => return None,
    })
}

impl CloudEnricher {
    pub fn new(config: Config) -> Self {
        Self {
            config,
            geo: None,
            user_agents: ThreadLocal::new(),
        }
    }

    fn user_agent(&self, user_agent: &str) -> UaVerdict {
        let cache = self.user_agents.get_or_default();
        if let Some(v) = cache.borrow().get(user_agent) {
            return v.clone();
        }
        let verdict = UaVerdict {
            client: recognize_user_agent(user_agent),
            iaas_expected: !user_agent.is_empty()
                && self.config.iaas.cli_user_agent.expected.matches(user_agent),
            office_sanctioned: !user_agent.is_empty()
                && self
                    .config
                    .office_suite
                    .user_agent
                    .sanctioned
                    .matches(user_agent),
        };
        let mut cache = cache.borrow_mut();
        if cache.len() >= UA_CACHE_CAP {
            cache.clear();
        }
        cache.insert(user_agent.to_owned(), verdict.clone());
        verdict
    }

    /// Look countries up for clients whose log carries none (GeoContext).
    #[must_use]
    pub fn with_geo(mut self, geo: Box<dyn CountryLookup>) -> Self {
        self.geo = Some(geo);
        self
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Enrich one event; returns the configuration key that marked it expected, if any.
    pub fn enrich(&self, event: &mut Event) -> Option<String> {
        let family = family(event.source)?;
        let user_agent = event.fields.get_str(field::USER_AGENT).unwrap_or_default();
        let verdict = self.user_agent(user_agent);
        let offensive = verdict
            .client
            .as_ref()
            .is_some_and(|c| c.category == ToolCategory::KnownOffensiveTool);
        let ip = event.fields.get_str(field::SOURCE_IP).and_then(parse_ip);
        let ctx = self.context(event, family, &verdict, ip, offensive);
        let client = verdict.client;
        let f = &mut event.fields;
        if let Some(client) = client {
            f.insert(field::CLIENT_TOOL, client.tool);
            f.insert(field::CLIENT_TOOL_CATEGORY, client.category.name());
            f.insert_opt(field::CLIENT_COMMAND, client.command);
        }
        f.insert_opt(field::CTX_CALLER_TYPE, ctx.caller_type);
        if let Some(country) = ctx.looked_up_country {
            f.insert(field::COUNTRY, country);
        }
        for (name, on) in [
            (field::CTX_UNEXPECTED_REGION, ctx.unexpected_region),
            (field::CTX_DIRECTORY_SCOPE, ctx.directory_scope),
            (field::CTX_PUBLIC_CLIENT, ctx.public_client),
            (field::CTX_UNTRUSTED_SESSION, ctx.untrusted_session),
            (field::CTX_UNEXPECTED_GEO, ctx.unexpected_geo),
        ] {
            if on {
                f.insert(name, true);
            }
        }
        let reason = ctx.expected?;
        f.insert(field::CTX_EXPECTED, true);
        f.insert(field::CTX_EXPECTED_REASON, reason.clone());
        Some(reason)
    }

    fn context(
        &self,
        event: &Event,
        family: Family,
        verdict: &UaVerdict,
        ip: Option<IpAddr>,
        offensive: bool,
    ) -> Context {
        let c = &self.config;
        let f = &event.fields;
        let actor = f.get_str(field::ACTOR).unwrap_or_default();
        let ids = [
            actor,
            f.get_str(field::ACTOR_ID).unwrap_or_default(),
            f.get_str(field::APP_ID).unwrap_or_default(),
            f.get_str(field::APP_NAME).unwrap_or_default(),
        ];
        let any_id = |list: &enumwatch_config::PatternList| {
            ids.iter().any(|id| !id.is_empty() && list.matches(id))
        };
        let caller_type = c.caller_type(actor).or_else(|| {
            matches!(
                f.get_str(field::ACTOR_TYPE),
                Some("AWSService" | "AWSAccount")
            )
            .then_some("service")
        });
        let mut ctx = Context {
            caller_type,
            ..Context::default()
        };
        if !offensive {
            ctx.expected = self.expected_reason(family, caller_type, verdict, &any_id);
        }
        if family == Family::Iaas {
            let regions = &c.iaas.cloud_region.expected_regions;
            let region_off = !regions.is_empty()
                && f.get_str(field::REGION)
                    .is_some_and(|r| !regions.iter().any(|e| e.eq_ignore_ascii_case(r)));
            let network_off = ip.is_some() && !c.expected_source(ip);
            ctx.unexpected_region = region_off || network_off;
        }
        let scopes = [f.get(field::SCOPES), f.get(field::ROLES)];
        ctx.directory_scope = scopes.iter().flatten().any(|v| {
            tokens(v).any(|t| {
                c.identity_provider
                    .token_scope
                    .directory_scopes
                    .iter()
                    .any(|s| s.eq_ignore_ascii_case(t))
            })
        });
        ctx.public_client = f.get_str(field::APP_ID).is_some_and(|a| {
            c.identity_provider
                .app_context
                .public_client_app_ids
                .matches(a)
        });
        let session = &c.office_suite.session_context;
        ctx.untrusted_session = (!session.trusted_cidrs.is_empty()
            && ip.is_some_and(|ip| !session.trusted_cidrs.contains(ip)))
            || (session.require_managed_device
                && f.get(field::DEVICE_MANAGED) == Some(&Value::Bool(false)));
        let geo = &c.saas.geo_context;
        let mut country = f.get_str(field::COUNTRY).map(str::to_owned);
        if country.is_none()
            && let (Some(db), Some(ip)) = (&self.geo, ip)
        {
            country = db.country(ip);
            ctx.looked_up_country = country.clone();
        }
        ctx.unexpected_geo = !geo.expected_countries.is_empty()
            && !ip.is_some_and(|ip| geo.trusted_cidrs.contains(ip))
            && country.is_some_and(|c| !geo.expected_countries.iter().any(|e| e == &c));
        ctx
    }

    fn expected_reason(
        &self,
        family: Family,
        caller_type: Option<&'static str>,
        verdict: &UaVerdict,
        any_id: &dyn Fn(&enumwatch_config::PatternList) -> bool,
    ) -> Option<String> {
        let c = &self.config;
        if let Some(t) = caller_type
            && c.iaas
                .caller_type
                .expected_enumerators
                .iter()
                .any(|e| e == t)
        {
            return Some(format!("iaas.caller_type.expected_enumerators ({t})"));
        }
        match family {
            Family::Iaas => verdict
                .iaas_expected
                .then(|| "iaas.cli_user_agent.expected".to_owned()),
            Family::Identity => {
                if any_id(&c.identity_provider.token_scope.expected_principals) {
                    Some("identity_provider.token_scope.expected_principals".to_owned())
                } else if any_id(&c.identity_provider.app_context.automation_app_ids) {
                    Some("identity_provider.app_context.automation_app_ids".to_owned())
                } else {
                    None
                }
            }
            Family::Office => verdict
                .office_sanctioned
                .then(|| "office_suite.user_agent.sanctioned".to_owned()),
            Family::Saas => any_id(&c.saas.app_integration_id.expected)
                .then(|| "saas.app_integration_id.expected".to_owned()),
        }
    }
}

#[derive(Default)]
struct Context {
    caller_type: Option<&'static str>,
    expected: Option<String>,
    unexpected_region: bool,
    directory_scope: bool,
    public_client: bool,
    untrusted_session: bool,
    unexpected_geo: bool,
    looked_up_country: Option<String>,
}

/// Scope or role names in a field written as a space- or comma-separated string or a list.
fn tokens(value: &Value) -> Box<dyn Iterator<Item = &str> + '_> {
    match value {
        Value::String(s) => Box::new(s.split([' ', ',']).filter(|t| !t.is_empty())),
        Value::Array(items) => Box::new(items.iter().filter_map(Value::as_str)),
        _ => Box::new(std::iter::empty()),
    }
}

/// An IP address as vendors write it: bare, `v4:port`, `[v6]:port`, with spaces.
pub fn parse_ip(text: &str) -> Option<IpAddr> {
    let t = text.trim();
    if let Ok(ip) = t.parse() {
        return Some(ip);
    }
    if let Some(rest) = t.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    let (host, port) = t.rsplit_once(':')?;
    (port.bytes().all(|b| b.is_ascii_digit()) && !host.contains(':'))
        .then(|| host.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests;
