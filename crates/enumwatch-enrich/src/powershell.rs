//! PowerShell: the script a `powershell.exe`/`pwsh.exe` command line runs, and the cloud
//! directory cmdlets in a script (command line or 4104 script block). Statements are split on
//! `;`, `|`, newlines, braces and parentheses; the command of each statement is its first word
//! (after `$x =`, `&` or `.`). Cmdlet names: MSOnline, AzureAD, Az, Microsoft.Graph, Exchange
//! Online, AWS Tools (vendor docs); AADInternals, GraphRunner, AzureHound (tool sources).

use enumwatch_event::{Platform, ToolCategory};

use crate::Recognition;
use crate::deobfuscate::decode_encoded_command;
use crate::tools::recognize_argv;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Lists unless an identity is given (`-Identity x`, `-UserId x`, a positional value).
    Reader,
    /// Lists the members of a group or role: enumeration even with the group's id.
    MemberLister,
    /// Always a listing.
    Listing,
    /// Recognised, but not a listing (token helpers).
    Helper,
}

struct Cmdlet {
    name: &'static str,
    tool: &'static str,
    platform: Platform,
    analytic: &'static str,
    category: ToolCategory,
    kind: Kind,
}

const fn c(
    name: &'static str,
    tool: &'static str,
    platform: Platform,
    analytic: &'static str,
    category: ToolCategory,
    kind: Kind,
) -> Cmdlet {
    Cmdlet {
        name,
        tool,
        platform,
        analytic,
        category,
        kind,
    }
}

use Kind::*;
use Platform::{Aws, AzureM365 as Az};
use ToolCategory::{BuiltInEnumeration as Bi, KnownOffensiveTool as Off};

const CATALOG: &[Cmdlet] = &[
    c("Get-MsolUser", "MSOnline", Az, "AN1087", Bi, Reader),
    c("Get-MsolGroup", "MSOnline", Az, "AN1087", Bi, Reader),
    c("Get-MsolContact", "MSOnline", Az, "AN1087", Bi, Reader),
    c(
        "Get-MsolServicePrincipal",
        "MSOnline",
        Az,
        "AN1087",
        Bi,
        Reader,
    ),
    c(
        "Get-MsolRoleMember",
        "MSOnline",
        Az,
        "AN1087",
        Bi,
        MemberLister,
    ),
    c(
        "Get-MsolGroupMember",
        "MSOnline",
        Az,
        "AN1087",
        Bi,
        MemberLister,
    ),
    c("Get-AzureADUser", "AzureAD", Az, "AN1087", Bi, Reader),
    c("Get-AzureADGroup", "AzureAD", Az, "AN1087", Bi, Reader),
    c(
        "Get-AzureADServicePrincipal",
        "AzureAD",
        Az,
        "AN1087",
        Bi,
        Reader,
    ),
    c(
        "Get-AzureADApplication",
        "AzureAD",
        Az,
        "AN1087",
        Bi,
        Reader,
    ),
    c("Get-AzureADContact", "AzureAD", Az, "AN1087", Bi, Reader),
    c(
        "Get-AzureADDirectoryRole",
        "AzureAD",
        Az,
        "AN1087",
        Bi,
        Reader,
    ),
    c(
        "Get-AzureADGroupMember",
        "AzureAD",
        Az,
        "AN1087",
        Bi,
        MemberLister,
    ),
    c(
        "Get-AzureADDirectoryRoleMember",
        "AzureAD",
        Az,
        "AN1087",
        Bi,
        MemberLister,
    ),
    c("Get-AzADUser", "Az", Az, "AN1087", Bi, Reader),
    c("Get-AzADGroup", "Az", Az, "AN1087", Bi, Reader),
    c("Get-AzADServicePrincipal", "Az", Az, "AN1087", Bi, Reader),
    c("Get-AzADApplication", "Az", Az, "AN1087", Bi, Reader),
    c("Get-AzADGroupMember", "Az", Az, "AN1087", Bi, MemberLister),
    c("Get-AzRoleAssignment", "Az", Az, "AN1088", Bi, Listing),
    c("Get-MgUser", "Microsoft.Graph", Az, "AN1087", Bi, Reader),
    c("Get-MgGroup", "Microsoft.Graph", Az, "AN1087", Bi, Reader),
    c(
        "Get-MgServicePrincipal",
        "Microsoft.Graph",
        Az,
        "AN1087",
        Bi,
        Reader,
    ),
    c(
        "Get-MgApplication",
        "Microsoft.Graph",
        Az,
        "AN1087",
        Bi,
        Reader,
    ),
    c("Get-MgContact", "Microsoft.Graph", Az, "AN1087", Bi, Reader),
    c(
        "Get-MgDirectoryRole",
        "Microsoft.Graph",
        Az,
        "AN1087",
        Bi,
        Reader,
    ),
    c(
        "Get-MgGroupMember",
        "Microsoft.Graph",
        Az,
        "AN1087",
        Bi,
        MemberLister,
    ),
    c(
        "Get-MgDirectoryRoleMember",
        "Microsoft.Graph",
        Az,
        "AN1087",
        Bi,
        MemberLister,
    ),
    c(
        "Get-MgRoleManagementDirectoryRoleAssignment",
        "Microsoft.Graph",
        Az,
        "AN1087",
        Bi,
        Listing,
    ),
    c("Get-Mailbox", "ExchangeOnline", Az, "AN1089", Bi, Reader),
    c("Get-EXOMailbox", "ExchangeOnline", Az, "AN1089", Bi, Reader),
    c("Get-Recipient", "ExchangeOnline", Az, "AN1089", Bi, Reader),
    c(
        "Get-EXORecipient",
        "ExchangeOnline",
        Az,
        "AN1089",
        Bi,
        Reader,
    ),
    c("Get-User", "ExchangeOnline", Az, "AN1089", Bi, Reader),
    c("Get-MailUser", "ExchangeOnline", Az, "AN1089", Bi, Reader),
    c(
        "Get-MailContact",
        "ExchangeOnline",
        Az,
        "AN1089",
        Bi,
        Reader,
    ),
    c(
        "Get-DistributionGroupMember",
        "ExchangeOnline",
        Az,
        "AN1089",
        Bi,
        MemberLister,
    ),
    c(
        "Get-UnifiedGroupMember",
        "ExchangeOnline",
        Az,
        "AN1089",
        Bi,
        MemberLister,
    ),
    c("Get-IAMUserList", "AWS.Tools", Aws, "AN1088", Bi, Listing),
    c("Get-IAMRoleList", "AWS.Tools", Aws, "AN1088", Bi, Listing),
    c("Get-IAMGroupList", "AWS.Tools", Aws, "AN1088", Bi, Listing),
    c("Get-IAMPolicyList", "AWS.Tools", Aws, "AN1088", Bi, Listing),
    c(
        "Get-IAMAccountAuthorizationDetail",
        "AWS.Tools",
        Aws,
        "AN1088",
        Bi,
        Listing,
    ),
    c(
        "Invoke-GraphRecon",
        "GraphRunner",
        Az,
        "AN1087",
        Off,
        Listing,
    ),
    c(
        "Get-UpdatableGroups",
        "GraphRunner",
        Az,
        "AN1087",
        Off,
        Listing,
    ),
    c("Invoke-DumpApps", "GraphRunner", Az, "AN1087", Off, Listing),
    c(
        "Get-SecurityGroups",
        "GraphRunner",
        Az,
        "AN1087",
        Off,
        Listing,
    ),
    c(
        "Get-AzureADUsers",
        "GraphRunner",
        Az,
        "AN1087",
        Off,
        Listing,
    ),
    c(
        "Invoke-GraphRunner",
        "GraphRunner",
        Az,
        "AN1087",
        Off,
        Listing,
    ),
    c("Invoke-DumpCAPS", "GraphRunner", Az, "AN1087", Off, Listing),
    c(
        "Invoke-AzureHound",
        "AzureHound",
        Az,
        "AN1087",
        Off,
        Listing,
    ),
];

const AADINTERNALS: Cmdlet = c("", "AADInternals", Az, "AN1087", Off, Listing);
const AADINTERNALS_HELPER: Cmdlet = c("", "AADInternals", Az, "AN1087", Off, Helper);

fn lookup(name: &str) -> Option<&'static Cmdlet> {
    let lower = name.to_ascii_lowercase();
    if let Some(found) = CATALOG.iter().find(|c| c.name.eq_ignore_ascii_case(&lower)) {
        return Some(found);
    }
    if lower.starts_with("get-aadint")
        || lower.starts_with("invoke-aadintrecon")
        || lower.starts_with("invoke-aadintuserenumeration")
    {
        // Token and login helpers obtain access; they do not list the directory.
        let helper = lower.starts_with("get-aadintaccesstoken")
            || lower.starts_with("get-aadintsettings")
            || lower == "get-aadintcache";
        return Some(if helper {
            &AADINTERNALS_HELPER
        } else {
            &AADINTERNALS
        });
    }
    None
}

/// Parameters that name one object: with them (or a positional value) a reader is a lookup.
const IDENTITY_PARAMS: [&str; 10] = [
    "identity",
    "userid",
    "userprincipalname",
    "objectid",
    "id",
    "groupid",
    "mail",
    "anr",
    "serviceprincipalid",
    "applicationid",
];
const LISTING_PARAMS: [&str; 5] = ["all", "resultsize", "filter", "searchstring", "search"];

/// PowerShell words: whitespace-separated, quotes group (no backslash escapes in PowerShell).
fn words(statement: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for ch in statement.chars() {
        match (quote, ch) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => quote = Some(ch),
            (None, c) if c.is_whitespace() => {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
            }
            (None, c) => cur.push(c),
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Split a script into statements (outside quotes).
fn statements(script: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote: Option<char> = None;
    for ch in script.chars() {
        match (quote, ch) {
            (Some(q), c) if c == q => {
                quote = None;
                cur.push(c);
            }
            (Some(_), c) => cur.push(c),
            (None, '\'' | '"') => {
                quote = Some(ch);
                cur.push(ch);
            }
            (None, ';' | '|' | '\n' | '\r' | '{' | '}' | '(' | ')') => {
                out.push(std::mem::take(&mut cur))
            }
            (None, c) => cur.push(c),
        }
    }
    out.push(cur);
    out.into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

/// Drop `$x =`, `&`, `.` and `iex` in front of a command.
fn command_part(statement: &str) -> &str {
    let mut s = statement.trim_start();
    if s.starts_with('$')
        && let Some(eq) = s.find('=')
        && s.get(..eq)
            .is_some_and(|lhs| !lhs.trim().contains(' ') || lhs.trim_end().ends_with(']'))
        && !s.get(eq + 1..).unwrap_or("").starts_with('=')
    {
        s = s.get(eq + 1..).unwrap_or("").trim_start();
    }
    for prefix in ["& ", ". "] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest.trim_start();
        }
    }
    s
}

fn cmdlet_recognition(cmdlet: &Cmdlet, name: &str, args: &[String]) -> Recognition {
    let params: Vec<String> = args
        .iter()
        .filter_map(|a| a.strip_prefix('-'))
        .map(|p| p.split(':').next().unwrap_or(p).to_ascii_lowercase())
        .collect();
    let positional = args.first().is_some_and(|a| !a.starts_with('-'));
    let listing = params.iter().any(|p| {
        LISTING_PARAMS
            .iter()
            .any(|l| l.starts_with(p.as_str()) && p.len() >= 3)
    });
    let identity = positional || params.iter().any(|p| IDENTITY_PARAMS.contains(&p.as_str()));
    let enumeration = match cmdlet.kind {
        Kind::Listing | Kind::MemberLister => true,
        Kind::Helper => false,
        Kind::Reader => listing || !identity,
    };
    let shown: Vec<&str> = args.iter().take(4).map(String::as_str).collect();
    let command = format!("{name} {}", shown.join(" ")).trim_end().to_owned();
    Recognition {
        tool: cmdlet.tool,
        service: cmdlet.tool.to_owned(),
        operation: name.to_owned(),
        command,
        enumeration,
        platform: cmdlet.platform,
        tool_category: cmdlet.category,
        analytic: cmdlet.analytic,
    }
}

/// Canonical cmdlet name as written in the catalog's case (`Get-MsolUser`).
fn canonical(name: &str) -> String {
    name.replace('`', "")
}

pub(crate) fn recognize_script_at(script: &str, depth: usize) -> Vec<Recognition> {
    let mut out = Vec::new();
    for statement in statements(script) {
        let part = command_part(&statement);
        let tokens = words(part);
        let Some(first) = tokens.first() else {
            continue;
        };
        let name = canonical(first);
        if let Some(cmdlet) = lookup(&name) {
            let name = if cmdlet.name.is_empty() {
                name
            } else {
                cmdlet.name.to_owned()
            };
            out.push(cmdlet_recognition(
                cmdlet,
                &name,
                tokens.get(1..).unwrap_or_default(),
            ));
        } else if !name.contains('-') || name.contains(['\\', '/', '.']) {
            recognize_argv(&tokens, depth + 1, &mut out);
        }
    }
    out
}

/// The script a PowerShell host command line runs (`-Command`, `-EncodedCommand`, trailing text).
pub(crate) fn script_of(args: &[String]) -> Option<String> {
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        let lower = arg.to_ascii_lowercase();
        let Some(name) = lower.strip_prefix('-').or_else(|| lower.strip_prefix('/')) else {
            return Some(args.get(i..)?.join(" "));
        };
        if name.is_empty() {
            return Some(args.get(i + 1..)?.join(" "));
        }
        if name == "ec"
            || ("encodedcommand".starts_with(name)
                && name.starts_with('e')
                && !name.starts_with("ex"))
        {
            return args.get(i + 1).and_then(|b| decode_encoded_command(b));
        }
        if "command".starts_with(name) {
            return Some(args.get(i + 1..)?.join(" "));
        }
        if "file".starts_with(name) {
            // The script is in a file the command line does not show.
            return None;
        }
        let valued = [
            "executionpolicy",
            "windowstyle",
            "version",
            "configurationname",
            "inputformat",
            "outputformat",
            "psconsolefile",
            "workingdirectory",
        ]
        .iter()
        .any(|v| v.starts_with(name))
            || name == "ep";
        i += if valued { 2 } else { 1 };
    }
    None
}
