//! What the raw JSON text of a record holds whenever a normalizer accepts it, for the raw-text
//! prefilter (`enumwatch_engine::RawFacts`): rules on normalized and derived fields cannot name a
//! literal of their values, but their records must still carry the keys their log source is
//! recognized by and that their fields are read from.
//!
//! Every literal is lower-case ASCII and is searched case-insensitively, so a key looked up in
//! any case (the Microsoft and Okta readers) is covered. A key spelled with `\uXXXX` escapes is
//! covered because the prefilter parses any record holding an escape of a character some literal
//! holds. `tests::raw_facts_hold_on_every_sample` checks both tables on every JSON sample.

use enumwatch_event::{LogSource, field};

/// Clauses (each: one of these literals occurs) every record normalized to `source` holds: the
/// keys, or the values, its recognizer in `Normalizer::push` requires.
pub fn signature(source: LogSource) -> &'static [&'static [&'static str]] {
    match source {
        // `WinEvent::read`: `Event.System.EventID`, `winlog.event_id`, or a flat `EventID` /
        // `EventId`. (A PowerShell `EventLogRecord`, which `windows_rendered` rebuilds, may hold
        // neither: the prefilter parses every record naming a `ProviderName`.)
        LogSource::Sysmon
        | LogSource::SysmonLinux
        | LogSource::Security4688
        | LogSource::Powershell4104
        | LogSource::WindowsOther => &[&["eventid", "event_id"]],
        // `category: AdvancedHunting-…`, else `DeviceName`.
        LogSource::DefenderProcess => &[&["advancedhunting-", "devicename"]],
        // A decoded auditd group, or a Sentinel `Syslog` row of an AUOMS execve record.
        LogSource::Auditd => &[&["auditd", "auoms_execve"]],
        // `eventSource`, `eventName`, and `eventVersion` or `eventTime`, at the top or in an
        // EventBridge `detail`, in any case (Athena's lower-cased columns); a Sentinel
        // `AWSCloudTrail` row's `EventSource`, `EventName` and `EventVersion` or its
        // `TimeGenerated`; an Elastic Agent document's `aws.cloudtrail.event_version` (every
        // record has an `eventVersion`; the literal shares its first bytes with the others, which
        // keeps the search cheap: `cloudtrail` cost 0.6 % on CloudTrail). (`eventVersion` leads a
        // CloudTrail record, so the prefilter's check that a rejected record is of some known
        // source stops at its first bytes.)
        LogSource::Cloudtrail => &[
            &["eventsource", "event_version"],
            &["eventname", "event_version"],
            &[
                "eventversion",
                "eventtime",
                "timegenerated",
                "event_version",
            ],
        ],
        // `protoPayload` (or its lower-case spelling).
        LogSource::GcpAudit => &[&["protopayload"]],
        // A page's `kind`, or an activity's `id.applicationName`.
        LogSource::WorkspaceActivity => &[&["admin#reports#activities", "applicationname"]],
        // `eventType`, with a key only the System Log has, an `actor`, or the event hook type.
        LogSource::OktaSystemLog => &[
            &["eventtype"],
            &[
                "published",
                "uuid",
                "legacyeventtype",
                "displaymessage",
                "debugcontext",
                "authenticationcontext",
                "securitycontext",
                "actor",
                "com.okta.event_hook",
            ],
        ],
        // `action`, `actor.type` and `context`.
        LogSource::SlackAudit => &[&["action"], &["actor"], &["context"]],
        // A `category`/`Type` of `MicrosoftGraphActivityLogs`, `AADGraphActivityLogs` or
        // `AzureADGraphActivityLogs`, else a `requestUri` with an `appId` (and a method and a
        // status). The second clause gives the prefilter a key it already searches for sign-ins:
        // `requ` opens two keys of every CloudTrail record, which made `requesturi` the gate's
        // costliest literal there.
        LogSource::GraphActivity | LogSource::AadGraphActivity => &[
            &["graphactivitylogs", "requesturi"],
            &["appid", "graphactivitylogs"],
        ],
        // `activityDisplayName`, an `AuditLogs` category or type, or `initiatedBy`, else the
        // admin center download's `ActorType` column.
        LogSource::EntraAudit => &[&[
            "activitydisplayname",
            "auditlogs",
            "initiatedby",
            "actortype",
        ]],
        // `CreationTime` (also inside an `AuditData` cell), `OfficeActivity`, `OfficeWorkload`.
        LogSource::M365Audit => &[&["creationtime", "officeactivity", "officeworkload"]],
        // A `…SignInLogs` category or table, else an `appId`, else the admin center download's
        // `Application ID` column.
        LogSource::EntraSignin => &[&["signinlogs", "appid", "application id"]],
    }
}

/// Literals one of which the raw text holds whenever an event has the normalized or derived
/// field `name` (`None`: not known). Command lines are copied from a key whose name holds
/// `CommandLine` (`ProcessCommandLine`, `InitiatingProcessCommandLine`) or from AUOMS's
/// `cmdline=` (auditd's are joined from arguments, and the prefilter parses every auditd
/// record); script blocks from `ScriptBlockText` (the rendered message or positional
/// `Properties` of a PowerShell `EventLogRecord` name neither, and the prefilter parses every
/// record naming a `ProviderName`); the command-line enricher writes the `cli.*` fields only
/// from a command line, a script block or auditd's argument vector.
pub fn field_literals(name: &str) -> Option<&'static [&'static str]> {
    const COMMAND_LINE: &[&str] = &["commandline", "cmdline"];
    const SCRIPT_BLOCK: &[&str] = &["scriptblocktext"];
    const EITHER: &[&str] = &["commandline", "cmdline", "scriptblocktext"];
    match name {
        field::COMMAND_LINE | field::PARENT_COMMAND_LINE => Some(COMMAND_LINE),
        field::SCRIPT_BLOCK_TEXT => Some(SCRIPT_BLOCK),
        _ if name.starts_with("cli.") => Some(EITHER),
        _ => None,
    }
}
