//! Which raw vendor paths a rule set can read, so that events held for the correlation pass keep
//! only those (`prune`) instead of the whole record DOM — about half of a held CloudTrail
//! event's memory.
//!
//! Rules read an event through `Event::get`: a normalized field by name, else the raw record's
//! dotted path. The paths here are every field a detection item names that no normalizer writes
//! (`field::is_normalized`), and every group-by, value and alias field of a correlation. Any form
//! that reads fields not named in the rule — keywords (every string), field references,
//! `%field%` expansion, array object scopes, filters — makes the set unknown (`None`): then
//! nothing is pruned.

use std::sync::Arc;

use enumwatch_event::{field, lookup_path};
use enumwatch_rules::{ParsedRule, RuleKind, RuleSet};
use rsigma_eval::{CompiledDetection, CompiledMatcher};
use rsigma_parser::CorrelationCondition;
use serde_json::{Map, Value};

/// The raw paths `rules` can read, sorted; `None` when that cannot be known.
pub fn raw_fields(rules: &RuleSet) -> Option<Vec<String>> {
    let mut paths = Vec::new();
    let mut add = |name: &str| {
        if !field::is_normalized(name) {
            paths.push(name.to_owned());
        }
    };
    for (i, (meta, parsed)) in rules.rules().iter().zip(rules.parsed()).enumerate() {
        match parsed {
            ParsedRule::Detection(rule) if meta.kind == RuleKind::Detection => {
                let compiled = match rules.compiled().get(i).and_then(Option::as_ref) {
                    Some(c) => Arc::clone(c),
                    None => Arc::new(rsigma_eval::compile_rule(rule).ok()?),
                };
                // Sorted, although the result does not depend on the order (it is sorted too).
                let mut names: Vec<&String> = compiled.detections.keys().collect();
                names.sort();
                for name in names {
                    detection_fields(compiled.detections.get(name)?, &mut add)?;
                }
            }
            ParsedRule::Detection(_) => {}
            ParsedRule::Correlation(corr) => {
                corr.group_by.iter().for_each(|g| add(g));
                if let CorrelationCondition::Threshold {
                    field: Some(fields),
                    ..
                } = &corr.condition
                {
                    fields.iter().for_each(|f| add(f));
                }
                for alias in &corr.aliases {
                    add(&alias.alias);
                    alias.mapping.values().for_each(|f| add(f));
                }
            }
            ParsedRule::Filter(_) => return None,
        }
    }
    paths.sort();
    paths.dedup();
    Some(paths)
}

fn detection_fields(detection: &CompiledDetection, add: &mut dyn FnMut(&str)) -> Option<()> {
    match detection {
        CompiledDetection::AllOf(items) => {
            for item in items {
                add(item.field.as_deref()?);
                if reads_other_fields(&item.matcher) {
                    return None;
                }
            }
            Some(())
        }
        CompiledDetection::AnyOf(parts) | CompiledDetection::And(parts) => {
            parts.iter().try_for_each(|p| detection_fields(p, add))
        }
        CompiledDetection::Keywords(_)
        | CompiledDetection::ArrayMatch { .. }
        | CompiledDetection::Conditional { .. } => None,
    }
}

/// Whether a matcher reads a field besides its item's own (`fieldref`, `%field%` expansion).
fn reads_other_fields(matcher: &CompiledMatcher) -> bool {
    match matcher {
        CompiledMatcher::FieldRef { .. } | CompiledMatcher::Expand { .. } => true,
        CompiledMatcher::Not(inner) | CompiledMatcher::TimestampPart { inner, .. } => {
            reads_other_fields(inner)
        }
        CompiledMatcher::AnyOf(children)
        | CompiledMatcher::AllOf(children)
        | CompiledMatcher::CaseInsensitiveGroup { children, .. } => {
            children.iter().any(reads_other_fields)
        }
        _ => false,
    }
}

/// A record holding only `paths`, each under its full dotted path as one key, so that
/// `lookup_path(&prune(raw, paths), p) == lookup_path(raw, p)` for every `p` in `paths`
/// (`lookup_path` tries the whole path as a key first).
pub fn prune(raw: &Value, paths: &[String]) -> Value {
    let mut kept = Map::new();
    for path in paths {
        if let Some(value) = lookup_path(raw, path) {
            kept.insert(path.clone(), value.clone());
        }
    }
    Value::Object(kept)
}

#[cfg(test)]
mod tests {
    use enumwatch_rules::{RuleSource, load};
    use serde_json::json;

    use super::*;

    fn set(yaml: &str) -> RuleSet {
        let (rules, errors) = load(&[RuleSource {
            name: "r.yml".into(),
            text: yaml.into(),
        }]);
        assert!(errors.is_empty(), "{errors:?}");
        rules
    }

    const DETECTION: &str = "title: d\nid: 00000000-0000-4000-8000-0000000000d1\nname: d\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  selection:\n    eventName: ListUsers\n    requestParameters.userName|exists: false\n    actor.name|contains: bob\n  condition: selection\nlevel: low\n";

    #[test]
    fn named_raw_paths_and_correlation_fields_are_collected() {
        let rules = set(&format!(
            "{DETECTION}---\ntitle: c\nid: 00000000-0000-4000-8000-0000000000c1\ncorrelation:\n  type: value_count\n  rules:\n    - d\n  group-by:\n    - userIdentity.arn\n    - actor.name\n  timespan: 5m\n  condition:\n    gte: 3\n    field: eventSource\nlevel: high\n"
        ));
        assert_eq!(
            raw_fields(&rules).unwrap(),
            [
                "eventName",
                "eventSource",
                "requestParameters.userName",
                "userIdentity.arn"
            ]
        );
    }

    #[test]
    fn keywords_and_field_references_make_the_set_unknown() {
        let keywords = DETECTION.replace(
            "  condition: selection\n",
            "  words:\n    - ListUsers\n  condition: selection or words\n",
        );
        assert_eq!(raw_fields(&set(&keywords)), None);
        let fieldref = DETECTION.replace(
            "    actor.name|contains: bob\n",
            "    userIdentity.userName|fieldref: requestParameters.userName\n",
        );
        assert_eq!(raw_fields(&set(&fieldref)), None);
    }

    #[test]
    fn pruned_records_answer_every_kept_path_alike() {
        let raw = json!({
            "eventName": "ListUsers",
            "requestParameters": {"userName": "a", "other": [1, 2]},
            "userIdentity": {"arn": "arn:x", "type": "IAMUser"},
            "flat.key": 7,
            "big": {"x": "y"}
        });
        let paths: Vec<String> = [
            "eventName",
            "requestParameters",
            "requestParameters.userName",
            "requestParameters.missing",
            "userIdentity.arn",
            "flat.key",
            "absent",
        ]
        .map(String::from)
        .to_vec();
        let pruned = prune(&raw, &paths);
        for p in &paths {
            assert_eq!(lookup_path(&pruned, p), lookup_path(&raw, p), "{p}");
        }
        assert!(
            lookup_path(&pruned, "big").is_none(),
            "unread paths are gone"
        );
    }
}
