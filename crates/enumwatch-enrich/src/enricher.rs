//! `CommandLineEnricher`: writes the `cli.*` fields on process and script-block events. A single
//! Aho-Corasick pass over the text decides whether parsing is worth it, so the common case (a
//! process that has nothing to do with cloud CLIs) costs one automaton scan.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use enumwatch_event::{Event, LogSource, ToolCategory, field};
use serde_json::Value;

use crate::{Deobfuscated, Recognition, deobfuscate, recognize, recognize_script};

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
                let clean = crate::deobfuscate_script(text);
                let changed = (clean != text).then(|| Deobfuscated {
                    text: clean,
                    techniques: vec!["backtick"],
                });
                (recognize_script(text), changed)
            }
            LogSource::Sysmon
            | LogSource::SysmonLinux
            | LogSource::Security4688
            | LogSource::DefenderProcess
            | LogSource::Auditd => {
                // auditd may give only the argument vector; its joined form stands in.
                let joined;
                let cmd = match event.fields.get_str(field::COMMAND_LINE) {
                    Some(cmd) => cmd,
                    None => {
                        joined = event
                            .fields
                            .get(field::ARGV)
                            .and_then(Value::as_array)
                            .map(|a| {
                                a.iter()
                                    .filter_map(Value::as_str)
                                    .collect::<Vec<_>>()
                                    .join(" ")
                            });
                        match joined.as_deref() {
                            Some(j) => j,
                            None => return,
                        }
                    }
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
                let changed = (clean.text != cmd).then_some(clean);
                (
                    recognize(event.fields.get_str(field::IMAGE), cmd, argv.as_deref()),
                    changed,
                )
            }
            _ => return,
        };
        let (recognitions, mut clean) = found;
        let Some(best) = strongest(&recognitions) else {
            return;
        };
        let typed = clean.as_ref().map_or_else(
            || {
                event
                    .fields
                    .get_str(field::COMMAND_LINE)
                    .or_else(|| event.fields.get_str(field::SCRIPT_BLOCK_TEXT))
                    .unwrap_or_default()
                    .to_owned()
            },
            |c| c.text.clone(),
        );
        if odd_case(&typed, &best.command) {
            match clean.as_mut() {
                Some(c) => c.techniques.push("case"),
                None => {
                    clean = Some(Deobfuscated {
                        text: typed,
                        techniques: vec!["case"],
                    });
                }
            }
        }
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
            let original = f
                .get_str(field::COMMAND_LINE)
                .or_else(|| f.get_str(field::SCRIPT_BLOCK_TEXT));
            if original != Some(clean.text.as_str()) {
                f.insert(field::CLI_DEOBFUSCATED, clean.text);
            }
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

/// Case changes between adjacent letters (`gEt` has two, `Get` one).
fn case_flips(word: &str) -> usize {
    let letters: Vec<bool> = word
        .chars()
        .filter(char::is_ascii_alphabetic)
        .map(|c| c.is_ascii_uppercase())
        .collect();
    letters.windows(2).filter(|w| w[0] != w[1]).count()
}

/// Whether a word of the recognised command was typed in odd mixed case (`gEt-MsOlUsEr`,
/// `aWs`): more case changes than its canonical spelling plus one. All-lower and all-upper
/// spellings, and ordinary capitalisation, are normal.
fn odd_case(typed: &str, command: &str) -> bool {
    let lower = typed.to_ascii_lowercase();
    command
        .split(' ')
        .take_while(|w| !w.starts_with('-'))
        .filter(|w| w.len() >= 2)
        .any(|canonical| {
            let needle = canonical.to_ascii_lowercase();
            let limit = case_flips(canonical) + 1;
            // ASCII lowercasing keeps byte offsets, so ranges found in `lower` index `typed`.
            lower
                .match_indices(&needle)
                .filter_map(|(at, m)| typed.get(at..at + m.len()))
                .any(|seen| case_flips(seen) > limit)
        })
}
