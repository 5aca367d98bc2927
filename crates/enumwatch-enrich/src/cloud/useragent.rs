//! Who is calling, from the user agent alone: vendor CLIs and SDKs (parsed, with the command the
//! aws-cli and gcloud user agents carry), infrastructure-as-code, consoles, generic HTTP
//! libraries, and the default user agents of offensive and assessment tools (from their source
//! code: AzureHound, ROADrecon, AADInternals, Pacu, ScoutSuite, Prowler, CloudFox, TruffleHog,
//! Stratus Red Team, BlackCat) and of attacker distributions (Kali, Parrot, Pentoo).
//!
//! A user agent can be forged; a recognised tool raises confidence, an absent one proves
//! nothing. That is why endpoint-set fingerprints exist beside this table.

use std::sync::LazyLock;

use aho_corasick::AhoCorasick;
use enumwatch_event::ToolCategory;

/// A recognised client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub tool: &'static str,
    pub category: ToolCategory,
    /// `iam.list-users` (aws-cli `command/…`), `gcloud.iam.service-accounts.list`.
    pub command: Option<String>,
}

/// (lower-case marker, tool). Order matters: the first marker found wins, so specific markers
/// come before the libraries tools are built on.
const OFFENSIVE: &[(&str, &str)] = &[
    ("azurehound", "AzureHound"),
    ("sharphound", "SharpHound"),
    ("bloodhound", "BloodHound"),
    ("roadrecon", "ROADrecon"),
    ("roadtools", "ROADrecon"),
    ("aadinternals", "AADInternals"),
    ("pacu-session", "Pacu"),
    ("scout suite", "ScoutSuite"),
    ("scoutsuite", "ScoutSuite"),
    ("prowler", "Prowler"),
    ("apn_1826889", "Prowler"),
    ("cloudfox", "CloudFox"),
    ("trufflehog", "TruffleHog"),
    ("stratus-red-team", "Stratus Red Team"),
    ("blackcat", "BlackCat"),
    ("graphrunner", "GraphRunner"),
    ("teamfiltration", "TeamFiltration"),
    ("distrib#kali", "Kali Linux"),
    ("+kali", "Kali Linux"),
    ("kali-amd64", "Kali Linux"),
    ("kali-arm64", "Kali Linux"),
    ("distrib#parrot", "Parrot OS"),
    ("distrib#pentoo", "Pentoo"),
];

/// (lower-case marker, tool, category) for sanctioned clients and libraries.
const CLIENTS: &[(&str, &str, ToolCategory)] = &[
    ("aws-cli/", "aws-cli", ToolCategory::BuiltInEnumeration),
    (
        "google-cloud-sdk",
        "gcloud",
        ToolCategory::BuiltInEnumeration,
    ),
    ("gcloud/", "gcloud", ToolCategory::BuiltInEnumeration),
    ("azurecli/", "azure-cli", ToolCategory::BuiltInEnumeration),
    ("azure-cli", "azure-cli", ToolCategory::BuiltInEnumeration),
    (
        "azurepowershell",
        "Az PowerShell",
        ToolCategory::BuiltInEnumeration,
    ),
    (
        "msgraph-powershell",
        "Microsoft.Graph PowerShell",
        ToolCategory::BuiltInEnumeration,
    ),
    (
        "microsoft.exchange.powershell",
        "Exchange PowerShell",
        ToolCategory::BuiltInEnumeration,
    ),
    (
        "aws-console",
        "AWS console",
        ToolCategory::BuiltInEnumeration,
    ),
    (
        "console.amazonaws.com",
        "AWS console",
        ToolCategory::BuiltInEnumeration,
    ),
    (
        "console.aws.amazon.com",
        "AWS console",
        ToolCategory::BuiltInEnumeration,
    ),
    (
        "s3console/",
        "AWS console",
        ToolCategory::BuiltInEnumeration,
    ),
    (
        "rds console",
        "AWS console",
        ToolCategory::BuiltInEnumeration,
    ),
    ("terraform/", "terraform", ToolCategory::Other),
    ("pulumi", "pulumi", ToolCategory::Other),
    ("aws-internal", "AWS internal", ToolCategory::Other),
    ("aws internal", "AWS internal", ToolCategory::Other),
    ("boto3/", "boto3", ToolCategory::Other),
    ("botocore/", "botocore", ToolCategory::Other),
    ("aws-sdk-go-v2", "aws-sdk-go", ToolCategory::Other),
    ("aws-sdk-go", "aws-sdk-go", ToolCategory::Other),
    ("aws-sdk-java", "aws-sdk-java", ToolCategory::Other),
    ("aws-sdk-js", "aws-sdk-js", ToolCategory::Other),
    ("aws-sdk-", "aws-sdk", ToolCategory::Other),
    (
        "google-api-go-client",
        "google-api-client",
        ToolCategory::Other,
    ),
    (
        "google-api-python-client",
        "google-api-client",
        ToolCategory::Other,
    ),
    ("gl-python", "google-cloud-python", ToolCategory::Other),
    ("aiohttp", "python-aiohttp", ToolCategory::Other),
    ("python-requests", "python-requests", ToolCategory::Other),
    ("go-http-client", "Go-http-client", ToolCategory::Other),
    ("fasthttp", "fasthttp", ToolCategory::Other),
    ("okhttp", "okhttp", ToolCategory::Other),
    ("axios", "axios", ToolCategory::Other),
    ("node-fetch", "node-fetch", ToolCategory::Other),
    ("undici", "undici", ToolCategory::Other),
    ("go-resty", "go-resty", ToolCategory::Other),
    ("curl/", "curl", ToolCategory::Other),
    ("postmanruntime", "Postman", ToolCategory::Other),
    ("powershell", "PowerShell", ToolCategory::Other),
    ("mozilla/", "browser", ToolCategory::Other),
];

/// Every marker of both tables in one case-insensitive automaton: pattern `i < OFFENSIVE.len()`
/// is `OFFENSIVE[i]`, the rest are `CLIENTS` in order. One pass over the user agent finds them all.
static MARKERS: LazyLock<Option<AhoCorasick>> = LazyLock::new(|| {
    let patterns = OFFENSIVE
        .iter()
        .map(|(m, _)| *m)
        .chain(CLIENTS.iter().map(|(m, _, _)| *m));
    AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(patterns)
        .ok()
});

/// Recognise the client behind a user agent; `None` when nothing is known about it.
pub fn recognize_user_agent(user_agent: &str) -> Option<Client> {
    let markers = MARKERS.as_ref()?;
    // Stratus Red Team provisions its prerequisites with Terraform (its marker rides along in
    // the provider's user agent); only its detonation calls, made without Terraform, are the
    // attack emulation itself.
    let mut best: Option<usize> = None;
    let mut provisioning = false;
    for m in markers.find_overlapping_iter(user_agent) {
        let i = m.pattern().as_usize();
        if CLIENTS
            .get(i.wrapping_sub(OFFENSIVE.len()))
            .is_some_and(|(_, tool, _)| *tool == "terraform")
        {
            provisioning = true;
        }
        if best.is_none_or(|b| i < b) {
            best = Some(i);
        }
    }
    if provisioning
        && best.and_then(|b| OFFENSIVE.get(b)).map(|(m, _)| *m) == Some("stratus-red-team")
    {
        // Re-rank without the Stratus marker.
        best = markers
            .find_overlapping_iter(user_agent)
            .map(|m| m.pattern().as_usize())
            .filter(|&i| OFFENSIVE.get(i).map(|(m, _)| *m) != Some("stratus-red-team"))
            .min();
    }
    let best = best?;
    let command = command_of(user_agent);
    if let Some((_, tool)) = OFFENSIVE.get(best) {
        return Some(Client {
            tool,
            category: ToolCategory::KnownOffensiveTool,
            command,
        });
    }
    CLIENTS
        .get(best - OFFENSIVE.len())
        .map(|(_, tool, category)| Client {
            tool,
            category: *category,
            command,
        })
}

/// The `command/<x>` token aws-cli v2 and gcloud append (`command/iam.list-users`,
/// `command/gcloud.iam.service-accounts.list`).
fn command_of(user_agent: &str) -> Option<String> {
    user_agent
        .split(|c: char| c.is_whitespace() || c == ',')
        .find_map(|token| token.strip_prefix("command/"))
        .filter(|c| !c.is_empty() && c.len() <= 200)
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tool(ua: &str) -> Option<(&'static str, ToolCategory, Option<String>)> {
        recognize_user_agent(ua).map(|c| (c.tool, c.category, c.command))
    }

    type Want = Option<(&'static str, ToolCategory, Option<&'static str>)>;

    #[test]
    fn real_user_agents() {
        use ToolCategory::*;
        let cases: &[(&str, Want)] = &[
            (
                "aws-cli/2.13.5 Python/3.11.4 Linux/5.15.0 exe/x86_64.ubuntu.22 prompt/off command/iam.list-users",
                Some(("aws-cli", BuiltInEnumeration, Some("iam.list-users"))),
            ),
            (
                "aws-cli/1.18.69 Python/3.8.10 Linux/5.4.0 botocore/1.16.19",
                Some(("aws-cli", BuiltInEnumeration, None)),
            ),
            (
                "Boto3/1.26.165 Python/3.10.6 Linux/5.19.0-46-generic Botocore/1.29.165",
                Some(("boto3", Other, None)),
            ),
            (
                "[Boto3/1.26.165 Python/3.10.6 Linux/5.19.0-46-generic Botocore/1.29.165 Resource]",
                Some(("boto3", Other, None)),
            ),
            (
                "Boto3/1.28.0 md/Botocore#1.31.0 ua/2.0 os/linux#6.3.0-kali1-amd64 md/arch#x86_64 lang/python#3.11.4 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.31.0 distrib#kali",
                Some(("Kali Linux", KnownOffensiveTool, None)),
            ),
            (
                "APN/1.0 HashiCorp/1.0 Terraform/1.1.2 (+https://www.terraform.io) terraform-provider-aws/dev (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go/1.44.157",
                Some(("terraform", Other, None)),
            ),
            (
                "stratus-red-team_6a7ec681-49a5-4403-99a2-d3c1229e8063",
                Some(("Stratus Red Team", KnownOffensiveTool, None)),
            ),
            (
                "azurehound/v2.1.7",
                Some(("AzureHound", KnownOffensiveTool, None)),
            ),
            (
                "Python/3.11 aiohttp/3.8.5",
                Some(("python-aiohttp", Other, None)),
            ),
            (
                "AADInternals",
                Some(("AADInternals", KnownOffensiveTool, None)),
            ),
            ("TruffleHog", Some(("TruffleHog", KnownOffensiveTool, None))),
            (
                "trufflehog/3.63.0",
                Some(("TruffleHog", KnownOffensiveTool, None)),
            ),
            (
                "Boto3/1.17.2 Python/3.9 Linux/5.10 Botocore/1.20.2 Scout Suite/5.12.0 (https://github.com/nccgroup/ScoutSuite)",
                Some(("ScoutSuite", KnownOffensiveTool, None)),
            ),
            (
                "Boto3/1.34 Python/3.11 Linux Botocore/1.34 APN_1826889",
                Some(("Prowler", KnownOffensiveTool, None)),
            ),
            (
                "Boto3/1.26.0 Python/3.10 Linux Botocore/1.29 Pacu-Session-6c5a7d0e-2d1b-4a8e-9e0f-3b5c1a2d4e6f",
                Some(("Pacu", KnownOffensiveTool, None)),
            ),
            (
                "google-cloud-sdk gcloud/440.0.0 command/gcloud.iam.service-accounts.list invocation-id/4f1c environment/None environment-version/None client-os/LINUX client-os-ver/6.2.0 client-pltf-arch/x86_64 interactive/True from-script/False python/3.11.4 term/xterm-256color (Linux 6.2.0),gzip(gfe)",
                Some((
                    "gcloud",
                    BuiltInEnumeration,
                    Some("gcloud.iam.service-accounts.list"),
                )),
            ),
            ("AWS Internal", Some(("AWS internal", Other, None))),
            (
                "[S3Console/0.4, aws-internal/3 aws-sdk-java/1.12.488 Linux/5.10]",
                Some(("AWS console", BuiltInEnumeration, None)),
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0",
                Some(("browser", Other, None)),
            ),
            ("secretsmanager.amazonaws.com", None),
            ("", None),
        ];
        for (ua, want) in cases {
            let want = want.map(|(t, c, cmd)| (t, c, cmd.map(str::to_owned)));
            assert_eq!(tool(ua), want, "{ua}");
        }
    }
}
