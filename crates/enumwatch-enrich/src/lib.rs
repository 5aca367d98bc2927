//! Derived fields for the endpoint analytic: what a process command line or PowerShell script
//! block actually runs, after undoing cheap obfuscation, and whether it lists cloud accounts.
//! Sigma cannot parse argv or decode base64 UTF-16LE; this crate does, once per event, and
//! writes `cli.*` fields that short Sigma rules match.
//!
//! `cloud` does the same for cloud and SaaS events: the client behind the user agent and the
//! configuration's tunables as `ctx.*` fields.
//!
//! Also home of `kusto`, the exact Kusto `has` semantics used to reproduce the Microsoft
//! Sentinel rule. No I/O.

mod argv;
mod cli_aws;
mod cli_azure;
mod cli_gcloud;
pub mod cloud;
mod deobfuscate;
mod enricher;
pub mod kusto;
mod powershell;
mod tools;

use enumwatch_event::{Platform, ToolCategory};

pub use cloud::CloudEnricher;
pub use deobfuscate::{Deobfuscated, deobfuscate};
pub use enricher::CommandLineEnricher;

/// One recognised command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recognition {
    /// `aws-cli`, `azure-cli`, `gcloud`, `GAM`, a PowerShell module (`MSOnline`, `Microsoft.Graph`,
    /// `ExchangeOnline`, …) or a tool (`AzureHound`, `ROADtools`, `AADInternals`, `GraphRunner`,
    /// `Pacu`, `CloudFox`, `ScoutSuite`).
    pub tool: &'static str,
    pub service: String,
    pub operation: String,
    /// Canonical form (`aws iam list-users`, `Get-MgUser -All`).
    pub command: String,
    /// Lists accounts, roles, groups, service principals or mailboxes (not a single lookup).
    pub enumeration: bool,
    pub platform: Platform,
    pub tool_category: ToolCategory,
    /// DET0386 analytic: AN1087 identity provider, AN1088 IaaS, AN1089 office suite, AN1090 SaaS.
    pub analytic: &'static str,
}

/// Programs `recognize` understands by name (wrappers included).
const KNOWN_PROGRAMS: [&str; 11] = [
    "aws",
    "az",
    "gcloud",
    "azurehound",
    "roadrecon",
    "pacu",
    "cloudfox",
    "scout",
    "powershell",
    "pwsh",
    "cmd",
];

/// Every command a process runs that enumwatch recognises. `argv` is used when the source
/// records arguments separately (auditd); otherwise the command line is split.
pub fn recognize(
    image: Option<&str>,
    command_line: &str,
    argv: Option<&[String]>,
) -> Vec<Recognition> {
    let mut out = Vec::new();
    match argv {
        Some(args) if !args.is_empty() => tools::recognize_argv(args, 0, &mut out),
        _ => {
            let clean = deobfuscate(command_line);
            let mut args = argv::split(&clean.text);
            // Some sources log the arguments without the program; when the image is a program
            // we know and the line does not start with one, the image is what ran.
            if let (Some(image), Some(first)) = (image, args.first()) {
                let image_prog = argv::program(image);
                if KNOWN_PROGRAMS.contains(&image_prog.as_str())
                    && !KNOWN_PROGRAMS.contains(&argv::program(first).as_str())
                {
                    args.insert(0, image.to_owned());
                }
            }
            tools::recognize_argv(&args, 0, &mut out);
        }
    }
    out
}

/// Every recognised command in a PowerShell script (a 4104 script block).
pub fn recognize_script(script_text: &str) -> Vec<Recognition> {
    powershell::recognize_script_at(&deobfuscate_script(script_text), 0)
}

/// Scripts keep their newlines (statement separators); only backticks and carets are undone.
pub(crate) fn deobfuscate_script(text: &str) -> String {
    text.replace("``", "\u{0}")
        .replace('`', "")
        .replace('\u{0}', "`")
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_demo;
#[cfg(test)]
mod tests_shapes;
