//! `CommandLineEnricher`: writes the `cli.*` fields on process and script-block events. A single
//! Aho-Corasick pass over the text decides whether parsing is worth it, so the common case (a
//! process that has nothing to do with cloud CLIs) costs one automaton scan.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use enumwatch_event::{Event, LogSource, ToolCategory, field};
use serde_json::Value;

use crate::{Recognition, deobfuscate, recognize, recognize_script};

/// Literal anchors: a recognisable command contains at least one of them (checked
/// case-insensitively). Obfuscation markers are anchors too, so obfuscated lines are parsed.
const ANCHORS: &[&str] = &[
    "aws",
    "az",
    "azure",
    "gcloud",
    "gcloud.py",
    "gam",
    "get-",
    "invoke-",
    "azurehound",
    "roadrecon",
    "roadtools",
    "pacu",
    "cloudfox",
    "scout",
    "-e",
    "/e",
    "^",
    "`",
    "\"",
];

pub struct CommandLineEnricher {
    /// `None` only if the automaton could not be built; then every event is parsed.
    gate: Option<AhoCorasick>,
}

impl Default for CommandLineEnricher {
    fn default() -> Self {
        Self::new()
    }
}

impl CommandLineEnricher {
    pub fn new() -> Self {
        // The anchors are fixed literals, so building the automaton cannot fail.
        let gate = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .build(ANCHORS)
            .ok();
        Self { gate }
    }

    fn worth_parsing(&self, text: &str) -> bool {
        self.gate.as_ref().is_none_or(|g| g.is_match(text))
    }

    /// Add `cli.*` fields for the strongest recognised command; leave other events untouched.
    pub fn enrich(&self, event: &mut Event) {
        let found = match event.source {
            LogSource::Powershell4104 => {
                let Some(text) = event.fields.get_str(field::SCRIPT_BLOCK_TEXT) else {
                    return;
                };
                if !self.worth_parsing(text) {
                    return;
                }
                (recognize_script(text), None)
            }
            LogSource::Sysmon
            | LogSource::Security4688
            | LogSource::DefenderProcess
            | LogSource::Auditd => {
                let Some(cmd) = event.fields.get_str(field::COMMAND_LINE) else {
                    return;
                };
                if !self.worth_parsing(cmd) {
                    return;
                }
                let argv: Option<Vec<String>> = event
                    .fields
                    .get(field::ARGV)
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    });
                let clean = deobfuscate(cmd);
                let changed = (clean.text != cmd).then(|| clean.clone());
                (
                    recognize(event.fields.get_str(field::IMAGE), cmd, argv.as_deref()),
                    changed,
                )
            }
            _ => return,
        };
        let (recognitions, clean) = found;
        let Some(best) = strongest(&recognitions) else {
            return;
        };
        let f = &mut event.fields;
        f.insert(field::CLI_TOOL, best.tool);
        f.insert(field::CLI_SERVICE, best.service.clone());
        f.insert(field::CLI_OPERATION, best.operation.clone());
        f.insert(field::CLI_COMMAND, best.command.clone());
        f.insert(field::CLI_ENUMERATION, best.enumeration);
        f.insert(field::CLI_PLATFORM, best.platform.name());
        f.insert(field::CLI_TOOL_CATEGORY, best.tool_category.name());
        f.insert(field::CLI_ANALYTIC, best.analytic);
        if let Some(clean) = clean {
            if !clean.techniques.is_empty() {
                f.insert(field::CLI_OBFUSCATION, clean.techniques.clone());
            }
            f.insert(field::CLI_DEOBFUSCATED, clean.text);
        }
    }
}

/// Enumeration first, then offensive tools, then the first recognised.
fn strongest(all: &[Recognition]) -> Option<&Recognition> {
    all.iter().max_by_key(|r| {
        (
            r.enumeration,
            r.tool_category == ToolCategory::KnownOffensiveTool,
            std::cmp::Reverse(all.iter().position(|x| std::ptr::eq(x, *r)).unwrap_or(0)),
        )
    })
}
