//! Which rules of an engine an event can match at all, from the exact values rules require.
//!
//! rsigma's engine has an index of its own, but for a conjunction of exact fields it keys a rule
//! on the first of them, and third-party CloudTrail rules are written `eventSource: X` first and
//! `eventName: Y` second: every IAM event then evaluates every IAM rule (hundreds in Suzaku's
//! set). Here a rule is keyed on the conjunct whose field has the most distinct values among all
//! rules (so `eventName`, not `eventSource`), and an event evaluates only the rules keyed on the
//! values it holds, plus the rules no exact value gates.
//!
//! # Soundness
//! A rule's *witness* is a set of (field, value) pairs one of which holds on every event the rule
//! matches: an `Exact` matcher (or a disjunction of them) on a present field, combined through
//! `and` (any one conjunct's witness serves) and `or` (every branch must give one). `not`,
//! keywords, `null`, `exists`, array scopes and any other matcher give none, and a rule with
//! none is always evaluated. Values are compared after `str::to_lowercase`, which equal strings
//! keep equal (so case-sensitive rules are covered too). rsigma compares a number or a boolean
//! by its text and an array by each element; an event value of any other shape makes every rule
//! keyed on that field a candidate, and an absent field matches no `Exact` matcher.

use std::collections::{HashMap, HashSet};

use rsigma_eval::matcher::GroupMode;
use rsigma_eval::{CompiledDetection, CompiledDetectionItem, CompiledMatcher, CompiledRule};
use rsigma_eval::{Event, EventValue};
use rsigma_parser::ConditionExpr;

use crate::selector::selected;

/// (field, lower-cased value) pairs, one of which holds on every matching event.
type Witness = Vec<(String, String)>;

/// The candidate rules of one engine, by position in its rule list.
#[derive(Debug, Default)]
pub(crate) struct Candidates {
    /// Rules no exact value gates.
    always: Vec<usize>,
    /// Per field: the rules keyed on each of its values, and every rule keyed on it.
    fields: Vec<FieldKeys>,
}

#[derive(Debug)]
struct FieldKeys {
    field: String,
    by_value: HashMap<String, Vec<usize>>,
    all: Vec<usize>,
}

impl Candidates {
    /// `rules` split into those some exact value gates and the rest, each in the given order.
    pub(crate) fn partition(rules: Vec<CompiledRule>) -> (Vec<CompiledRule>, Vec<CompiledRule>) {
        let cardinality = field_cardinality(&rules);
        rules
            .into_iter()
            .partition(|rule| rule_witness(rule, &cardinality).is_some())
    }

    pub(crate) fn new(rules: &[CompiledRule]) -> Candidates {
        let cardinality = field_cardinality(rules);
        let mut index = Candidates::default();
        let mut fields: HashMap<String, usize> = HashMap::new();
        for (pos, rule) in rules.iter().enumerate() {
            let Some(witness) = rule_witness(rule, &cardinality) else {
                index.always.push(pos);
                continue;
            };
            for (field, value) in witness {
                let slot = *fields.entry(field.clone()).or_insert_with(|| {
                    index.fields.push(FieldKeys {
                        field,
                        by_value: HashMap::new(),
                        all: Vec::new(),
                    });
                    index.fields.len() - 1
                });
                if let Some(keys) = index.fields.get_mut(slot) {
                    let rules = keys.by_value.entry(value).or_default();
                    if rules.last() != Some(&pos) {
                        rules.push(pos);
                    }
                    if keys.all.last() != Some(&pos) {
                        keys.all.push(pos);
                    }
                }
            }
        }
        index
    }

    /// The rules `event` may match, in rule order, into `out` (cleared first).
    pub(crate) fn of(&self, event: &impl Event, out: &mut Vec<usize>) {
        out.clear();
        out.extend_from_slice(&self.always);
        let mut lowered = String::new();
        for keys in &self.fields {
            match event.get_field(&keys.field) {
                None => {}
                // The common shape, looked up without building a list of owned strings.
                Some(EventValue::Str(s)) => {
                    if let Some(rules) = keys.by_value.get(lower(&s, &mut lowered)) {
                        out.extend_from_slice(rules);
                    }
                }
                Some(value) => match keyable(&value) {
                    Some(strings) => {
                        for s in strings {
                            if let Some(rules) = keys.by_value.get(&s.to_lowercase()) {
                                out.extend_from_slice(rules);
                            }
                        }
                    }
                    None => out.extend_from_slice(&keys.all),
                },
            }
        }
        out.sort_unstable();
        out.dedup();
    }

    /// How many rules are always evaluated (for tests and diagnostics).
    #[cfg(test)]
    pub(crate) fn always(&self) -> usize {
        self.always.len()
    }
}

/// `s` as `str::to_lowercase` gives it: borrowed when it is ASCII without an upper-case letter,
/// else built in `buf`, which the caller reuses across values.
fn lower<'a>(s: &'a str, buf: &'a mut String) -> &'a str {
    if s.is_ascii() {
        if !s.bytes().any(|b| b.is_ascii_uppercase()) {
            return s;
        }
        buf.clear();
        buf.push_str(s);
        buf.make_ascii_lowercase();
    } else {
        *buf = s.to_lowercase();
    }
    buf
}

/// The strings rsigma compares an `Exact` matcher with, or `None` when the value's shape is not
/// one this index follows (then every rule keyed on the field is a candidate).
fn keyable(value: &EventValue<'_>) -> Option<Vec<String>> {
    match value {
        EventValue::Str(s) => Some(vec![s.to_string()]),
        EventValue::Int(n) => Some(vec![n.to_string()]),
        EventValue::Float(f) => Some(vec![f.to_string()]),
        EventValue::Bool(b) => Some(vec![b.to_string()]),
        EventValue::Null => Some(Vec::new()),
        EventValue::Array(items) => {
            let mut all = Vec::new();
            for item in items {
                all.extend(keyable(item)?);
            }
            Some(all)
        }
        EventValue::Map(_) => None,
    }
}

/// Distinct exact values per field over all rules: the more a field has, the fewer rules share
/// each of its values.
fn field_cardinality(rules: &[CompiledRule]) -> HashMap<String, usize> {
    let mut values: HashMap<String, HashSet<String>> = HashMap::new();
    let mut visit = |item: &CompiledDetectionItem| {
        if let (Some(field), Some(vals)) = (item.field.as_deref(), exact_values(&item.matcher)) {
            values.entry(field.to_owned()).or_default().extend(vals);
        }
    };
    for rule in rules {
        #[allow(
            clippy::iter_over_hash_type,
            reason = "a union of sets, the same in any order"
        )]
        for detection in rule.detections.values() {
            visit_items(detection, &mut visit);
        }
    }
    values.into_iter().map(|(f, v)| (f, v.len())).collect()
}

fn visit_items(detection: &CompiledDetection, visit: &mut dyn FnMut(&CompiledDetectionItem)) {
    match detection {
        CompiledDetection::AllOf(items) => {
            for item in items {
                visit(item);
            }
        }
        CompiledDetection::And(parts) | CompiledDetection::AnyOf(parts) => {
            parts.iter().for_each(|d| visit_items(d, visit));
        }
        CompiledDetection::Keywords(_)
        | CompiledDetection::ArrayMatch { .. }
        | CompiledDetection::Conditional { .. } => {}
    }
}

/// The lower-cased values an `Exact` matcher (or a disjunction of them) accepts.
fn exact_values(matcher: &CompiledMatcher) -> Option<Vec<String>> {
    match matcher {
        CompiledMatcher::Exact { value, .. } => Some(vec![value.to_lowercase()]),
        CompiledMatcher::AnyOf(children)
        | CompiledMatcher::CaseInsensitiveGroup {
            children,
            mode: GroupMode::Any,
        } => {
            let mut all = Vec::new();
            for child in children {
                all.extend(exact_values(child)?);
            }
            Some(all)
        }
        _ => None,
    }
}

struct Ctx<'a> {
    rule: &'a CompiledRule,
    cardinality: &'a HashMap<String, usize>,
}

fn rule_witness(rule: &CompiledRule, cardinality: &HashMap<String, usize>) -> Option<Witness> {
    let ctx = Ctx { rule, cardinality };
    any_of(rule.conditions.iter().map(|c| condition(c, &ctx)).collect())
}

fn condition(expr: &ConditionExpr, ctx: &Ctx<'_>) -> Option<Witness> {
    match expr {
        ConditionExpr::And(parts) => best_of(parts.iter().map(|p| condition(p, ctx)), ctx),
        ConditionExpr::Or(parts) => any_of(parts.iter().map(|p| condition(p, ctx)).collect()),
        ConditionExpr::Not(_) => None,
        ConditionExpr::Identifier(name) => detection(ctx.rule.detections.get(name)?, ctx),
        ConditionExpr::Selector {
            quantifier,
            pattern,
        } => {
            let (all, named) = selected(ctx.rule, quantifier, pattern)?;
            let parts = named.into_iter().map(|d| detection(d, ctx));
            if all {
                best_of(parts, ctx)
            } else {
                any_of(parts.collect())
            }
        }
    }
}

fn detection(detection: &CompiledDetection, ctx: &Ctx<'_>) -> Option<Witness> {
    match detection {
        CompiledDetection::AllOf(items) => best_of(items.iter().map(item), ctx),
        CompiledDetection::And(parts) => {
            best_of(parts.iter().map(|d| self::detection(d, ctx)), ctx)
        }
        CompiledDetection::AnyOf(parts) => {
            any_of(parts.iter().map(|d| self::detection(d, ctx)).collect())
        }
        CompiledDetection::Keywords(_)
        | CompiledDetection::ArrayMatch { .. }
        | CompiledDetection::Conditional { .. } => None,
    }
}

fn item(item: &CompiledDetectionItem) -> Option<Witness> {
    if item.exists.is_some() {
        return None;
    }
    let field = item.field.as_deref()?;
    let values = match &item.matcher {
        CompiledMatcher::AllOf(children) => children.iter().find_map(exact_values)?,
        other => exact_values(other)?,
    };
    Some(values.into_iter().map(|v| (field.to_owned(), v)).collect())
}

/// All parts hold: any one part's witness serves; the most selective is kept (its rarest field
/// has the most distinct values, then it has the fewest pairs).
fn best_of(parts: impl Iterator<Item = Option<Witness>>, ctx: &Ctx<'_>) -> Option<Witness> {
    let score = |w: &Witness| {
        let rarest = w
            .iter()
            .map(|(f, _)| ctx.cardinality.get(f).copied().unwrap_or(0))
            .min()
            .unwrap_or(0);
        (rarest, std::cmp::Reverse(w.len()))
    };
    parts.flatten().max_by_key(score)
}

/// One part holds: each must give a witness, and their union is one.
fn any_of(parts: Vec<Option<Witness>>) -> Option<Witness> {
    let mut union: Witness = Vec::new();
    for part in parts {
        union.extend(part?);
    }
    union.sort();
    union.dedup();
    (!union.is_empty()).then_some(union)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn lower_is_to_lowercase(s in "\\PC{0,12}|[A-Za-z0-9.:_-]{0,16}|ΣΑΣ|İx") {
            let mut buf = String::from("stale");
            prop_assert_eq!(super::lower(&s, &mut buf), s.to_lowercase());
        }
    }
}
