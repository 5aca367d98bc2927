//! A budget on `|re` patterns. The `regex` crate never backtracks, but a pattern such as
//! `(\p{L}{1,100}){1,100}` still compiles to a program of many megabytes, paid again by every
//! engine that compiles the rule; a rule file must not be able to exhaust memory. Patterns are
//! compiled here with an explicit size limit, and an oversized one is a located rule error.

use rsigma_parser::{Detection, DetectionItem, Modifier, SigmaRule, SigmaValue};

use crate::{RuleError, RuleSource};

/// Largest compiled program one pattern may need (bytes).
pub(crate) const REGEX_SIZE_LIMIT: usize = 4 << 20;

/// Every `|re` pattern of `rule` that does not compile within the budget.
pub(crate) fn check(rule: &SigmaRule, source: &RuleSource) -> Vec<RuleError> {
    let mut errors = Vec::new();
    let mut names: Vec<&String> = rule.detection.named.keys().collect();
    names.sort();
    for name in names {
        if let Some(detection) = rule.detection.named.get(name) {
            walk(
                detection,
                &mut |item| check_item(item, name, source, &mut errors),
                0,
            );
        }
    }
    errors
}

fn walk(detection: &Detection, visit: &mut dyn FnMut(&DetectionItem), depth: usize) {
    if depth > 32 {
        return;
    }
    match detection {
        Detection::AllOf(items) => items.iter().for_each(&mut *visit),
        Detection::AnyOf(subs) | Detection::And(subs) => {
            for sub in subs {
                walk(sub, visit, depth + 1);
            }
        }
        Detection::ArrayMatch { body, .. } => walk(body, visit, depth + 1),
        Detection::Conditional { named, .. } => {
            let mut keys: Vec<&String> = named.keys().collect();
            keys.sort();
            for key in keys {
                if let Some(sub) = named.get(key) {
                    walk(sub, visit, depth + 1);
                }
            }
        }
        Detection::Keywords(_) => {}
    }
}

fn check_item(
    item: &DetectionItem,
    selection: &str,
    source: &RuleSource,
    errors: &mut Vec<RuleError>,
) {
    if !item.field.has_modifier(Modifier::Re) {
        return;
    }
    for value in &item.values {
        let SigmaValue::String(pattern) = value else {
            continue;
        };
        let built = regex::RegexBuilder::new(&pattern.original)
            .case_insensitive(item.field.has_modifier(Modifier::IgnoreCase))
            .size_limit(REGEX_SIZE_LIMIT)
            .build();
        if let Err(regex::Error::CompiledTooBig(limit)) = built {
            let field = item.field.name.as_deref().unwrap_or("keywords");
            errors.push(RuleError::at(
                source,
                &format!("detection.{selection}.{field}|re"),
                &pattern.original,
                format!(
                    "expected a regex that compiles within {} KiB, found `{}` needing more than {} KiB; shorten bounded repetitions such as {{1,100}} or split the pattern",
                    REGEX_SIZE_LIMIT / 1024,
                    pattern.original,
                    limit / 1024
                ),
            ));
        }
    }
}
