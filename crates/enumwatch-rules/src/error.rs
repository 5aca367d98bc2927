//! `RuleError`: file, YAML path, line, and what was expected.

use std::fmt;

use crate::RuleSource;
use crate::locate::locate;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub file: String,
    /// Dotted path of the offending key, e.g. `detection.selection.CommandLine|containz`.
    pub yaml_path: String,
    pub line: Option<u64>,
    pub message: String,
}

impl RuleError {
    /// An error about `needle` (a key or value written in the file) under `fallback_path`.
    pub(crate) fn at(
        source: &RuleSource,
        fallback_path: &str,
        needle: &str,
        message: String,
    ) -> Self {
        let (yaml_path, line) = locate(&source.text, needle)
            .map_or((fallback_path.to_owned(), None), |(p, l)| (p, Some(l)));
        Self {
            file: source.name.clone(),
            yaml_path,
            line,
            message,
        }
    }

    /// An error from the Sigma parser or compiler; the offending key is found from the message.
    pub(crate) fn from_message(source: &RuleSource, message: &str) -> Self {
        if let Some(field) = message
            .strip_prefix("Missing required field '")
            .and_then(|rest| rest.strip_suffix('\''))
        {
            return Self::missing(source, field);
        }
        // Parser messages quote the offending token in backticks or single quotes.
        let quoted: Vec<&str> = message
            .split(['`', '\''])
            .enumerate()
            .filter(|(i, s)| i % 2 == 1 && !s.is_empty())
            .map(|(_, s)| s)
            .collect();
        for needle in &quoted {
            if let Some((yaml_path, line)) = locate(&source.text, needle) {
                return Self {
                    file: source.name.clone(),
                    yaml_path,
                    line: Some(line),
                    message: explain(message),
                };
            }
        }
        // Regex errors carry the pattern on their second line; locate by the pattern.
        if message.contains("regex") {
            let pattern = message.lines().nth(1).map(str::trim).unwrap_or_default();
            let detail = message
                .lines()
                .last()
                .unwrap_or(message)
                .trim_start_matches("error: ");
            if let Some((yaml_path, line)) = locate(&source.text, pattern) {
                return Self {
                    file: source.name.clone(),
                    yaml_path,
                    line: Some(line),
                    message: explain(&format!("invalid regex `{pattern}`: {detail}")),
                };
            }
        }
        let fallback = if message.contains("condition") || message.contains("identifier") {
            "detection.condition"
        } else if message.contains("detection") {
            "detection"
        } else {
            "(document)"
        };
        let located = locate(
            &source.text,
            fallback.rsplit('.').next().unwrap_or(fallback),
        );
        Self {
            file: source.name.clone(),
            yaml_path: located
                .as_ref()
                .map_or(fallback.to_owned(), |(p, _)| p.clone()),
            line: located.map(|(_, l)| l),
            message: explain(message),
        }
    }
}

impl RuleError {
    /// A required top-level key is absent: point at the start of the rule document.
    fn missing(source: &RuleSource, field: &str) -> Self {
        let what = match field {
            "detection" => "a `detection` mapping with at least one selection and a `condition`",
            "logsource" => "a `logsource` mapping with product, category or service",
            "title" => "a `title` (a short name shown in alerts)",
            "condition" => "a `condition` naming the selections to combine",
            _ => "it",
        };
        Self::at_document(
            source,
            field,
            format!("missing required field `{field}`; expected {what} in this rule"),
        )
    }

    /// An error about something absent from the rule: located at the rule's first line.
    pub(crate) fn at_document(source: &RuleSource, yaml_path: &str, message: String) -> Self {
        let line = source
            .text
            .lines()
            .position(|l| {
                let t = l.trim();
                !t.is_empty() && !t.starts_with('#') && t != "---"
            })
            .map(|i| i as u64 + 1);
        Self {
            file: source.name.clone(),
            yaml_path: yaml_path.to_owned(),
            line,
            message,
        }
    }
}

/// Add the next step to parser messages that only say what is wrong; messages start lowercase.
fn explain(message: &str) -> String {
    let mut chars = message.chars();
    let message = match chars.next() {
        Some(first) => format!("{}{}", first.to_lowercase(), chars.as_str()),
        None => String::new(),
    };
    let message = message.as_str();
    for (field, expected) in [
        ("level", "informational, low, medium, high or critical"),
        (
            "status",
            "stable, test, experimental, deprecated or unsupported",
        ),
    ] {
        if let Some(found) = message
            .strip_prefix(&format!("invalid {field}: '"))
            .and_then(|rest| rest.strip_suffix('\''))
        {
            return format!("expected {expected}, found `{found}`; fix the rule's `{field}` value");
        }
    }
    let lower = message.to_ascii_lowercase();
    let hint = if lower.contains("modifier") {
        "; expected one of contains, startswith, endswith, all, re, cidr, base64, base64offset, windash, wide, utf16le, utf16be, exists, cased, fieldref, gt, gte, lt, lte, expand (see the Sigma specification)"
    } else if lower.contains("condition") || lower.contains("identifier") {
        "; the condition may only name selections defined under `detection`"
    } else if lower.contains("regex") {
        "; write the pattern in the syntax of the Rust `regex` crate (no look-around, no backreferences)"
    } else {
        ""
    };
    format!("{}{hint}", message.trim_end_matches('.'))
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        write!(f, ": at `{}`: {}", self.yaml_path, self.message)
    }
}

impl std::error::Error for RuleError {}
