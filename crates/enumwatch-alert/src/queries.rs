//! Hunting queries for the SIEMs users run — Microsoft Sentinel (KQL), Splunk (SPL) and Elastic
//! (ES|QL) — filled with an alert's actor and time, so the analyst can pivot to the actor's
//! other activity around the alert in their own data with one paste.
//!
//! Table, index and field names are those of each vendor's standard connector for the log
//! (Sentinel `AWSCloudTrail`, `MicrosoftGraphActivityLogs`, `OfficeActivity`…, the Splunk
//! add-ons' sourcetypes, Elastic integrations' data streams). Values are escaped for each
//! language's string literal.

use enumwatch_event::LogSource;
use std::fmt::{self, Write as _};

use jiff::Timestamp;
use serde::ser::SerializeSeq;
use serde::{Serialize, Serializer};

/// One query in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HuntingQuery {
    /// `kql`, `spl` or `esql`.
    pub language: &'static str,
    pub query: String,
}

/// A KQL / ES|QL double-quoted string literal, written out where it is displayed.
struct Quoted<'a>(&'a str);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_char('"')?;
        let mut rest = self.0;
        // Runs without a character to escape are written whole.
        while let Some(at) = rest.find(['"', '\\', '\n', '\r']) {
            let (run, tail) = rest.split_at(at);
            f.write_str(run)?;
            let mut chars = tail.chars();
            f.write_str(match chars.next() {
                Some('"') => "\\\"",
                Some('\\') => "\\\\",
                Some('\n') => "\\n",
                _ => "\\r",
            })?;
            rest = chars.as_str();
        }
        f.write_str(rest)?;
        f.write_char('"')
    }
}

/// (Sentinel table and actor column, Splunk search prefix and actor field, Elastic data stream
/// and actor field, what to summarize by in each).
#[derive(Clone, Copy)]
struct Target {
    kql_table: &'static str,
    kql_actor: &'static str,
    kql_by: &'static str,
    spl_base: &'static str,
    spl_actor: &'static str,
    spl_by: &'static str,
    esql_from: &'static str,
    esql_actor: &'static str,
    esql_by: &'static str,
}

fn target(source: LogSource) -> Target {
    let t = |kql_table,
             kql_actor,
             kql_by,
             spl_base,
             spl_actor,
             spl_by,
             esql_from,
             esql_actor,
             esql_by| Target {
        kql_table,
        kql_actor,
        kql_by,
        spl_base,
        spl_actor,
        spl_by,
        esql_from,
        esql_actor,
        esql_by,
    };
    match source {
        LogSource::Cloudtrail => t(
            "AWSCloudTrail",
            "UserIdentityArn",
            "EventName, SourceIpAddress, UserAgent",
            "sourcetype=aws:cloudtrail",
            "userIdentity.arn",
            "eventName, sourceIPAddress, userAgent",
            "logs-aws.cloudtrail-*",
            "aws.cloudtrail.user_identity.arn",
            "event.action, source.ip",
        ),
        LogSource::GraphActivity => t(
            "MicrosoftGraphActivityLogs",
            "UserId",
            "RequestMethod, RequestUri, AppId, IPAddress",
            "sourcetype=azure:monitor:aad category=MicrosoftGraphActivityLogs",
            "properties.userId",
            "properties.requestUri, properties.appId",
            "logs-azure.graphactivitylogs-*",
            "azure.graphactivitylogs.properties.user_principal_object_id",
            "url.path, source.ip",
        ),
        LogSource::AadGraphActivity => t(
            "AADGraphActivityLogs",
            "UserId",
            "RequestMethod, RequestUri, AppId, IPAddress",
            "sourcetype=azure:monitor:aad category=AzureADGraphActivityLogs",
            "properties.userId",
            "properties.requestUri",
            "logs-azure.aadgraphactivitylogs-*",
            "user.id",
            "url.path, source.ip",
        ),
        LogSource::EntraSignin => t(
            "SigninLogs",
            "UserPrincipalName",
            "AppDisplayName, IPAddress, AuthenticationProtocol, ResultType",
            "sourcetype=azure:monitor:aad category=SignInLogs",
            "properties.userPrincipalName",
            "properties.appDisplayName, properties.ipAddress",
            "logs-azure.signinlogs-*",
            "azure.signinlogs.properties.user_principal_name",
            "azure.signinlogs.properties.app_display_name, source.ip",
        ),
        LogSource::EntraAudit => t(
            "AuditLogs",
            "tostring(InitiatedBy.user.userPrincipalName)",
            "OperationName, Result",
            "sourcetype=azure:monitor:aad category=AuditLogs",
            "properties.initiatedBy.user.userPrincipalName",
            "properties.activityDisplayName",
            "logs-azure.auditlogs-*",
            "azure.auditlogs.properties.initiated_by.user.userPrincipalName",
            "event.action",
        ),
        LogSource::M365Audit => t(
            "OfficeActivity",
            "UserId",
            "Operation, ClientIP, OfficeWorkload",
            "sourcetype=o365:management:activity",
            "UserId",
            "Operation, ClientIP, Workload",
            "logs-o365.audit-*",
            "user.id",
            "event.action, client.address",
        ),
        LogSource::GcpAudit => t(
            "GCPAuditLogs",
            "PrincipalEmail",
            "MethodName, ServiceName, CallerIp",
            "sourcetype=google:gcp:pubsub:audit:auth",
            "data.protoPayload.authenticationInfo.principalEmail",
            "data.protoPayload.methodName",
            "logs-gcp.audit-*",
            "client.user.email",
            "event.action, source.ip",
        ),
        LogSource::WorkspaceActivity => t(
            "GWorkspace_ReportsAPI_token_CL",
            "ActorEmail",
            "EventName, IPAddress",
            "sourcetype=gws:reports:token",
            "actor.email",
            "events{}.name, ipAddress",
            "logs-google_workspace.token-*",
            "user.email",
            "event.action, source.ip",
        ),
        LogSource::OktaSystemLog => t(
            "OktaSSO",
            "actor_alternateId_s",
            "eventType_s, client_ipAddress_s",
            "sourcetype=OktaIM2:log",
            "actor.alternateId",
            "eventType, client.ipAddress",
            "logs-okta.system-*",
            "okta.actor.alternate_id",
            "event.action, source.ip",
        ),
        LogSource::SlackAudit => t(
            "SlackAudit",
            "UserEmail",
            "Action, SrcIpAddr",
            "sourcetype=slack:audit",
            "actor.user.email",
            "action",
            "logs-slack.audit-*",
            "user.email",
            "event.action",
        ),
        LogSource::Sysmon
        | LogSource::SysmonLinux
        | LogSource::Security4688
        | LogSource::Powershell4104
        | LogSource::DefenderProcess
        | LogSource::WindowsOther
        | LogSource::Auditd => t(
            "DeviceProcessEvents",
            "AccountName",
            "FileName, ProcessCommandLine, DeviceName",
            "sourcetype=XmlWinEventLog:Microsoft-Windows-Sysmon/Operational EventCode=1",
            "User",
            "Image, CommandLine, host",
            "logs-endpoint.events.process-*",
            "user.name",
            "process.name, host.name",
        ),
    }
}

/// Queries for everything `actor` did from an hour before `time` to an hour after, in the
/// log the alert came from. `None` when the alert has no actor or time to pivot on.
pub fn hunting_queries(
    source: LogSource,
    actor: Option<&str>,
    time: Option<&str>,
) -> Vec<HuntingQuery> {
    HuntingQueries::new(source, actor, time).to_vec()
}

/// An alert's hunting queries, kept as what they are made of (log, actor, time) and written out
/// when read or serialized: the three query texts are most of an alert's size, and a hunt holds
/// every alert until it can sort them. Serializes exactly as the `Vec<HuntingQuery>` it renders.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HuntingQueries(Option<Pivot>);

/// Everything the queries depend on, so equal pivots give equal queries and back.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pivot {
    source: LogSource,
    /// As the SIEM tables name the actor (endpoint `DOMAIN\user` without the domain).
    actor: Box<str>,
    at: Timestamp,
}

impl HuntingQueries {
    /// No queries when the alert has no actor, or no time (or one outside the range a window an
    /// hour either side fits in).
    pub fn new(source: LogSource, actor: Option<&str>, time: Option<&str>) -> Self {
        Self::at(
            source,
            actor,
            time.and_then(|t| t.parse::<Timestamp>().ok()),
        )
    }

    /// As `new`, from the event time itself (the alert's time is its text).
    pub fn at(source: LogSource, actor: Option<&str>, at: Option<Timestamp>) -> Self {
        let (Some(actor), Some(at)) = (actor, at) else {
            return Self(None);
        };
        let hour = jiff::SignedDuration::from_hours(1);
        if at.checked_sub(hour).is_err() || at.checked_add(hour).is_err() {
            return Self(None);
        }
        // Endpoint events name the user as DOMAIN\user; the SIEM tables keep the bare name.
        let actor = match source {
            LogSource::Sysmon
            | LogSource::SysmonLinux
            | LogSource::Security4688
            | LogSource::Powershell4104
            | LogSource::DefenderProcess
            | LogSource::WindowsOther
            | LogSource::Auditd => actor.rsplit('\\').next().unwrap_or(actor),
            _ => actor,
        };
        Self(Some(Pivot {
            source,
            actor: Box::from(actor),
            at,
        }))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    /// What the queries are made of (log, actor as the SIEM tables name it, time): `at` of
    /// these gives them back.
    pub fn parts(&self) -> Option<(LogSource, &str, Timestamp)> {
        self.0.as_ref().map(|p| (p.source, &*p.actor, p.at))
    }

    /// The queries: KQL, SPL and ES|QL, or none.
    pub fn to_vec(&self) -> Vec<HuntingQuery> {
        self.0.as_ref().map(Pivot::render).unwrap_or_default()
    }
}

/// Written as the `Vec<HuntingQuery>` `to_vec` gives. A broad hunt writes a hundred thousand
/// alerts, three queries each, and alerts in time order mostly come in runs on one record or
/// one actor's second: the texts of the last pivot are kept (per thread) and written again while
/// the pivot is the same.
impl Serialize for HuntingQueries {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let texts = self.0.as_ref().and_then(|p| Some((p, p.texts()?)));
        let Some((pivot, texts)) = texts else {
            return serializer.serialize_seq(Some(0))?.end();
        };
        LAST.with(|cell| {
            let mut last = cell.take();
            if !last.is(pivot) && last.keep(pivot, &texts).is_err() {
                last.pivot = None;
                cell.replace(last);
                return Err(serde::ser::Error::custom(
                    "a hunting query could not be written",
                ));
            }
            let written = (|| {
                let mut seq = serializer.serialize_seq(Some(texts.len()))?;
                for (text, query) in texts.iter().zip(&last.texts) {
                    seq.serialize_element(&HuntingQueryRef {
                        language: text.language.name(),
                        query,
                    })?;
                }
                seq.end()
            })();
            cell.replace(last);
            written
        })
    }
}

/// A `HuntingQuery` with a borrowed text.
#[derive(Serialize)]
struct HuntingQueryRef<'a> {
    language: &'static str,
    query: &'a str,
}

/// The last pivot serialized on this thread and its three texts.
#[derive(Default)]
struct LastRendered {
    pivot: Option<(LogSource, Timestamp)>,
    actor: String,
    texts: [String; 3],
}

impl LastRendered {
    fn is(&self, pivot: &Pivot) -> bool {
        self.pivot == Some((pivot.source, pivot.at)) && *self.actor == *pivot.actor
    }

    fn keep(&mut self, pivot: &Pivot, texts: &[QueryText<'_>; 3]) -> fmt::Result {
        self.pivot = Some((pivot.source, pivot.at));
        self.actor.clear();
        self.actor.push_str(&pivot.actor);
        for (kept, text) in self.texts.iter_mut().zip(texts) {
            kept.clear();
            write!(kept, "{text}")?;
        }
        Ok(())
    }
}

thread_local! {
    static LAST: std::cell::Cell<LastRendered> = std::cell::Cell::new(LastRendered::default());
}

impl IntoIterator for &HuntingQueries {
    type Item = HuntingQuery;
    type IntoIter = std::vec::IntoIter<HuntingQuery>;

    fn into_iter(self) -> Self::IntoIter {
        self.to_vec().into_iter()
    }
}

impl Pivot {
    fn render(&self) -> Vec<HuntingQuery> {
        self.texts()
            .map(|texts| {
                texts
                    .iter()
                    .map(|text| HuntingQuery {
                        language: text.language.name(),
                        query: text.to_string(),
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The three queries, as texts to display; `None` when the window does not fit.
    fn texts(&self) -> Option<[QueryText<'_>; 3]> {
        let hour = jiff::SignedDuration::from_hours(1);
        let (from, to) = (
            self.at.checked_sub(hour).ok()?,
            self.at.checked_add(hour).ok()?,
        );
        let text = |language| QueryText {
            language,
            target: target(self.source),
            actor: &self.actor,
            at: self.at,
            from,
            to,
        };
        Some([
            text(Language::Kql),
            text(Language::Spl),
            text(Language::Esql),
        ])
    }
}

#[derive(Clone, Copy)]
enum Language {
    Kql,
    Spl,
    Esql,
}

impl Language {
    fn name(self) -> &'static str {
        match self {
            Language::Kql => "kql",
            Language::Spl => "spl",
            Language::Esql => "esql",
        }
    }
}

/// One query's text, written out when displayed.
struct QueryText<'a> {
    language: Language,
    target: Target,
    actor: &'a str,
    at: Timestamp,
    from: Timestamp,
    to: Timestamp,
}

impl fmt::Display for QueryText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (t, actor, from, to) = (&self.target, Quoted(self.actor), self.from, self.to);
        match self.language {
            Language::Kql => write!(
                f,
                "{}\n| where TimeGenerated between (datetime({from}) .. datetime({to}))\n| where {} == {actor}\n| summarize count(), first_seen = min(TimeGenerated), last_seen = max(TimeGenerated) by {}",
                t.kql_table, t.kql_actor, t.kql_by
            ),
            Language::Spl => write!(
                f,
                "search {} {}={actor} earliest={} latest={}\n| stats count min(_time) as first_seen max(_time) as last_seen by {}",
                t.spl_base,
                t.spl_actor,
                self.at.as_second() - 3600,
                self.at.as_second() + 3600,
                t.spl_by
            ),
            Language::Esql => write!(
                f,
                "FROM {}\n| WHERE @timestamp >= \"{from}\" AND @timestamp <= \"{to}\" AND {} == {actor}\n| STATS count = COUNT(*), first_seen = MIN(@timestamp), last_seen = MAX(@timestamp) BY {}",
                t.esql_from, t.esql_actor, t.esql_by
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_filled_and_escaped() {
        let q = hunting_queries(
            LogSource::Cloudtrail,
            Some("arn:aws:iam::1:user/a\"b"),
            Some("2023-07-10T11:43:33Z"),
        );
        assert_eq!(q.len(), 3);
        assert_eq!(
            q[0].query,
            "AWSCloudTrail\n| where TimeGenerated between (datetime(2023-07-10T10:43:33Z) .. datetime(2023-07-10T12:43:33Z))\n| where UserIdentityArn == \"arn:aws:iam::1:user/a\\\"b\"\n| summarize count(), first_seen = min(TimeGenerated), last_seen = max(TimeGenerated) by EventName, SourceIpAddress, UserAgent"
        );
        assert!(q[1].query.starts_with("search sourcetype=aws:cloudtrail userIdentity.arn=\"arn:aws:iam::1:user/a\\\"b\" earliest=1688985813 latest=1688993013"));
        assert!(q[2].query.contains("FROM logs-aws.cloudtrail-*"));
        let endpoint = hunting_queries(
            LogSource::Sysmon,
            Some("CONTOSO\\jdoe"),
            Some("2024-05-14T09:10:00Z"),
        );
        assert!(endpoint[0].query.contains("AccountName == \"jdoe\""));
        assert!(hunting_queries(LogSource::Sysmon, None, Some("2024-05-14T09:10:00Z")).is_empty());
        assert!(hunting_queries(LogSource::Sysmon, Some("x"), Some("yesterday")).is_empty());
    }

    #[test]
    fn serialized_queries_are_the_rendered_ones() {
        for (source, actor) in [
            (LogSource::Cloudtrail, "arn:aws:iam::1:user/a\"b\\c\nd\re"),
            (LogSource::Sysmon, "CONTOSO\\jdoe"),
            (LogSource::OktaSystemLog, "\"\""),
            (LogSource::GcpAudit, "é@example.com"),
        ] {
            let q = HuntingQueries::new(source, Some(actor), Some("2024-05-14T09:10:00.25Z"));
            assert_eq!(q.to_vec().len(), 3);
            assert_eq!(
                serde_json::to_string(&q).unwrap(),
                serde_json::to_string(&q.to_vec()).unwrap(),
                "{actor}"
            );
        }
        let none = HuntingQueries::new(LogSource::Sysmon, None, None);
        assert_eq!(serde_json::to_string(&none).unwrap(), "[]");
        assert_eq!(
            HuntingQueries::new(
                LogSource::Cloudtrail,
                Some("a\"b"),
                Some("2023-07-10T11:43:33Z")
            )
            .to_vec()[2]
                .query,
            "FROM logs-aws.cloudtrail-*\n| WHERE @timestamp >= \"2023-07-10T10:43:33Z\" AND @timestamp <= \"2023-07-10T12:43:33Z\" AND aws.cloudtrail.user_identity.arn == \"a\\\"b\"\n| STATS count = COUNT(*), first_seen = MIN(@timestamp), last_seen = MAX(@timestamp) BY event.action, source.ip"
        );
    }

    proptest::proptest! {
        /// The texts kept from the last pivot are written only for that pivot: any sequence of
        /// pivots that differ in log, actor or time serializes each as rendered afresh.
        #[test]
        fn kept_texts_serve_only_their_own_pivot(
            pivots in proptest::collection::vec(
                (
                    proptest::sample::select(vec![LogSource::Cloudtrail, LogSource::GcpAudit, LogSource::Sysmon]),
                    proptest::sample::select(vec!["a", "b", "ab", "x\\a", "y\\a"]),
                    proptest::sample::select(vec!["2024-05-14T09:10:00Z", "2024-05-14T09:10:01Z", "2024-05-14T09:10:00.5Z"]),
                ),
                1..12,
            )
        ) {
            for (source, actor, time) in pivots {
                let q = HuntingQueries::new(source, Some(actor), Some(time));
                proptest::prop_assert_eq!(
                    serde_json::to_string(&q).unwrap(),
                    serde_json::to_string(&q.to_vec()).unwrap()
                );
            }
        }
    }
}
