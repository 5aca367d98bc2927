//! Command-line grammar (clap derive). Help texts here are the user's reference: keep them true.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Detect cloud account enumeration (MITRE ATT&CK T1087.004) in security logs.
///
/// Reads endpoint process telemetry (Sysmon event 1, Security 4688, PowerShell 4104, Defender
/// DeviceProcessEvents, Sysmon for Linux event 1, Linux auditd EXECVE, AUOMS execve rows of a
/// Sentinel Syslog table) and
/// cloud and SaaS logs (AWS CloudTrail, also its event history as `aws cloudtrail lookup-events`
/// prints it, its records in CloudWatch Logs events, Amazon Athena query results over it as CSV
/// or `aws athena get-query-results` output, Sentinel `AWSCloudTrail` rows and Elastic Agent
/// documents, Microsoft Graph and Azure AD Graph activity, Entra sign-in and audit, Microsoft 365
/// unified audit, GCP Cloud Audit, also in a log sink's Pub/Sub messages, Google Workspace
/// activities, Okta System Log, Slack audit logs), as JSON, JSON lines, CSV, EVTX, Windows event
/// XML, auditd text or syslog text, in UTF-8 or UTF-16, gzip-compressed or not (the format is
/// detected from the content), also as
/// Splunk and Elasticsearch export them (each result's `_raw`, each hit's `_source` or
/// `event.original`) and Windows events as `Get-WinEvent` and Event Viewer export them (read
/// from the rendered message), and runs Sigma detection and correlation rules over them, tuned
/// by enumwatch.toml.
#[derive(Debug, Parser)]
#[command(name = "enumwatch", version, about, long_about)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Hunt through log files and directories and report alerts.
    ///
    /// Exit status: 0 when every input was read cleanly, 2 when some input or record could not be
    /// read (everything readable was still processed; the summary lists where), 1 on a fatal error
    /// such as an invalid rule file.
    Hunt(HuntArgs),
    /// Hunt, then write an incident report: alerts grouped into incidents by actor and time, a
    /// timeline, evidence, investigation guide, response playbook and hunting queries (KQL, SPL,
    /// ES|QL), as one self-contained HTML file and/or Markdown. Takes every `hunt` option.
    Report(ReportArgs),
    /// Over a period of real logs: what each tuning entry (--config, --profile) silenced, which
    /// principals dominate the alert volume, and proposed `[[tuning]]` entries (TOML on stdout)
    /// for them — never for alerts carrying an offensive tool signature. Takes every `hunt`
    /// option.
    Tune(TuneArgs),
    /// Learn a first-seen baseline from a period of logs: per principal, the operations,
    /// clients, apps and source networks seen, stored in an embedded database (extended when it
    /// exists). `hunt --baseline FILE` then marks firsts and raises confidence on them.
    Baseline(BaselineArgs),
    /// Report which DET0386 analytics the given logs can run, which log sources or settings are
    /// missing (e.g. CloudTrail without read events, GCP Data Access logs off, no script block
    /// logging), and the vendor setting that turns each on. No rules run.
    Coverage(CoverageArgs),
    /// Write the telemetry of an attack emulation (or its benign twin) in the vendors' formats.
    ///
    /// Each test writes one file per log source (Sysmon / PowerShell as evtx-rs JSON lines,
    /// auditd text, CloudTrail objects, Graph and AAD Graph activity, Entra sign-ins, GCP audit,
    /// the Microsoft 365 unified audit log) with fixed times, so the output is deterministic.
    /// Benign twins also write the `enumwatch.toml` they are meant to be hunted with:
    /// `enumwatch hunt DIR/logs --config DIR/enumwatch.toml`.
    Emulate(EmulateArgs),
    /// Run every emulation and benign twin through the pipeline and print a coverage matrix.
    ///
    /// Cells: `fired` (the intended analytic alerted with the expected platform and tool
    /// category), `missed`, `gap` (a known gap documented in the expected outcome table),
    /// `quiet` / `suppressed` (benign twins, without or thanks to their configuration),
    /// `alerted` (a twin alerted), `extra` (another alert an attack raised). Exit status: 0
    /// without regressions, 1 when an attack was missed, a twin alerted or an emulation's files
    /// did not decode cleanly.
    Validate(ValidateArgs),
    /// List, show and lint Sigma rules.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
}

#[derive(Debug, Args)]
pub(crate) struct RuleArgs {
    /// Add the Sigma rules in this file or directory (recursively, *.yml / *.yaml); repeatable.
    #[arg(long = "rules", value_name = "PATH")]
    pub(crate) rules: Vec<PathBuf>,
    /// Do not load the built-in rules.
    #[arg(long)]
    pub(crate) no_builtin: bool,
}

#[derive(Debug, Args)]
pub(crate) struct HuntArgs {
    /// Files, directories, zip or tar archives or named pipes (`<(zcat trail.json.gz)`) to read;
    /// `-` reads standard input. Directories are walked recursively in sorted order, leaving out
    /// documentation and rule files (.md, .yml, .yaml) and, with a message, pipes and devices; an
    /// archive (.zip, .tar, .tar.gz) is read as the folder it packs, its members named
    /// `archive:member` (a compressed tar is inflated into a temporary file in TMPDIR).
    #[arg(value_name = "PATH", required = true)]
    pub(crate) paths: Vec<PathBuf>,
    #[command(flatten)]
    pub(crate) rule_args: RuleArgs,
    /// Run only these rules: a rule id, name, title or tag (e.g. `sentinel-kql-t1087-004`,
    /// `attack.t1087.004`); repeatable. Without it, the rules enabled by default run.
    #[arg(long = "rule", value_name = "ID_OR_TAG")]
    pub(crate) rule: Vec<String>,
    /// The tunables file (see the shipped `enumwatch.toml`); without it the defaults apply.
    /// Unknown keys and bad values stop the run with the key's path.
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    /// Add the `[[tuning]]` entries of a profile file (see `profiles/`); repeatable. Entries
    /// suppress alerts of known-good principals, apps, user agents, networks or hosts; they are
    /// counted in the summary and never hide a known offensive tool unless they name it.
    #[arg(long = "profile", value_name = "FILE")]
    pub(crate) profiles: Vec<PathBuf>,
    /// A first-seen baseline from `enumwatch baseline`: events that are a first for their
    /// principal get `ctx.new_*` fields, raise confidence, and feed the first-time rule.
    #[arg(long, value_name = "FILE")]
    pub(crate) baseline: Option<PathBuf>,
    /// Also write the alerts tuning entries suppressed, marked with the entry, owner and reason.
    #[arg(long)]
    pub(crate) show_suppressed: bool,
    /// The date tuning-entry expiry is judged on (`YYYY-MM-DD`; default: today, UTC).
    #[arg(long, value_name = "DATE")]
    pub(crate) today: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
    pub(crate) format: OutputFormat,
    /// Write alerts to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Also write the run summary as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub(crate) stats_json: Option<PathBuf>,
    /// Worker threads (0 = one per core). Output is identical at any thread count.
    #[arg(long, default_value_t = 0)]
    pub(crate) threads: usize,
    /// Largest accepted record, in MiB (a longer line or element is reported and skipped).
    #[arg(long, default_value_t = 64, value_name = "MIB")]
    pub(crate) max_record_mib: usize,
    /// Largest accepted decompressed size of one input, in MiB (guards against gzip bombs).
    #[arg(long, default_value_t = 16 * 1024, value_name = "MIB")]
    pub(crate) max_decompressed_mib: u64,
    /// Memory for the events correlation rules aggregate, in MiB (estimated). They are held
    /// until every input is read, to be put in one time order; past this budget they are sorted
    /// into a temporary file in TMPDIR and merged back (same alerts, counted in the summary).
    /// Raise it to avoid the disk, lower it to bound memory against millions of principals.
    #[arg(long, default_value_t = enumwatch_pipeline::DEFAULT_MAX_HELD_BYTES >> 20, value_name = "MIB")]
    pub(crate) max_held_mib: u64,
    /// Memory for the detection alerts awaiting their sort, in MiB (estimated). Alerts are
    /// written in event-time order once every input is read; past this budget they are sorted
    /// into a temporary file in TMPDIR and merged back as they are written (same output, counted
    /// in the summary), so a broad hunting pack over a large input does not grow memory.
    #[arg(long, default_value_t = enumwatch_pipeline::DEFAULT_MAX_ALERT_BYTES >> 20, value_name = "MIB")]
    pub(crate) max_alerts_mib: u64,
    /// Parse every JSON record and render every EVTX record. By default each selected rule is
    /// reduced to literals a matching record's raw text must hold (values of raw vendor fields,
    /// the keys a field is read from, the keys that identify its log sources), and JSON lines,
    /// array elements and EVTX records holding none are skipped unparsed (an EVTX chunk holding
    /// none in its stored strings is not even rendered): still checked to be well-formed JSON or
    /// an intact chunk (malformed ones are reported as usual) and counted in the summary;
    /// per-source event counts then cover parsed records.
    #[arg(long)]
    pub(crate) no_prefilter: bool,
    /// Skip the records the prefilter rejects without checking that they are well-formed JSON
    /// (or, for EVTX chunks, that their checksums hold): faster (the check costs about a fast
    /// JSON parse), but a malformed record holding none of the rules' literals is then counted
    /// as skipped instead of reported.
    #[arg(long)]
    pub(crate) trust_json: bool,
    /// Colors in the table: auto (when the output is a terminal and NO_COLOR is unset), always, never.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub(crate) color: ColorChoice,
    /// Do not show a progress bar.
    #[arg(long)]
    pub(crate) no_progress: bool,
    /// Do not print the run summary on standard error.
    #[arg(long, short = 'q')]
    pub(crate) quiet: bool,
}

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    #[command(flatten)]
    pub(crate) hunt: HuntArgs,
    /// Write the HTML report here.
    #[arg(long, value_name = "FILE")]
    pub(crate) html: Option<PathBuf>,
    /// Write the Markdown report here.
    #[arg(long, value_name = "FILE")]
    pub(crate) markdown: Option<PathBuf>,
    /// The report's title.
    #[arg(long, default_value = "enumwatch: cloud account enumeration report")]
    pub(crate) title: String,
}

#[derive(Debug, Args)]
pub(crate) struct TuneArgs {
    #[command(flatten)]
    pub(crate) hunt: HuntArgs,
    /// How many principals to list.
    #[arg(long, default_value_t = 10)]
    pub(crate) top: usize,
    /// Propose an entry only for principals with at least this many alerts.
    #[arg(long, default_value_t = 3)]
    pub(crate) min_alerts: usize,
}

#[derive(Debug, Args)]
pub(crate) struct BaselineArgs {
    /// Files or directories of logs covering the learning period.
    #[arg(value_name = "PATH", required = true)]
    pub(crate) paths: Vec<PathBuf>,
    /// The baseline database to create or extend.
    #[arg(long, value_name = "FILE")]
    pub(crate) out: PathBuf,
    /// The tunables file (clients are recognised the same way as in `hunt`).
    #[arg(long, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct CoverageArgs {
    /// Files or directories of logs, as for `hunt`.
    #[arg(value_name = "PATH", required = true)]
    pub(crate) paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CoverageFormat::Table)]
    pub(crate) format: CoverageFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum CoverageFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub(crate) struct EmulateArgs {
    /// The test to emulate (see --list).
    #[arg(value_name = "TEST", required_unless_present = "list")]
    pub(crate) test: Option<String>,
    /// List the tests and the analytic each is meant to fire.
    #[arg(long)]
    pub(crate) list: bool,
    /// Output directory (default: ./emulation/TEST); logs go to DIR/logs, a twin's
    /// configuration to DIR/enumwatch.toml.
    #[arg(long, value_name = "DIR")]
    pub(crate) out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct ValidateArgs {
    /// Output format of the matrix.
    #[arg(long, value_enum, default_value_t = MatrixFormat::Table)]
    pub(crate) format: MatrixFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum MatrixFormat {
    Table,
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum RulesCommand {
    /// List the loaded rules (default-enabled ones first, marked with *).
    List(ListArgs),
    /// Show one rule: metadata and its YAML.
    Show(ShowArgs),
    /// Check rule files for errors without running them; exits 1 if any is found.
    Lint(LintArgs),
}

#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    #[command(flatten)]
    pub(crate) rule_args: RuleArgs,
}

#[derive(Debug, Args)]
pub(crate) struct ShowArgs {
    /// Rule id, name or title.
    pub(crate) id: String,
    #[command(flatten)]
    pub(crate) rule_args: RuleArgs,
}

#[derive(Debug, Args)]
pub(crate) struct LintArgs {
    /// Rule files or directories.
    #[arg(required = true)]
    pub(crate) paths: Vec<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    Table,
    Jsonl,
    Json,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    Auto,
    Always,
    Never,
}
