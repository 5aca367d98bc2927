//! Reducing a compiled rule to the literals its matching records' raw text must hold.
//!
//! `Analysis` is `None` when nothing can be said (the part may hold on any text), so a
//! conjunction drops it and a disjunction with it is `None` too: the analysis only ever weakens.

use enumwatch_event::{LogSource, field};
use rsigma_eval::matcher::GroupMode;
use rsigma_eval::{CompiledDetection, CompiledDetectionItem, CompiledMatcher, CompiledRule};
use rsigma_parser::ConditionExpr;

use super::RawFacts;
use crate::selector::selected;

/// At least one literal of a clause occurs in a matching record's raw text (lower-case ASCII).
pub(super) type Clause = Vec<String>;

/// What a rule (or part of one) requires of the raw text: `None` when nothing can be said.
pub(super) type Analysis = Option<Vec<Clause>>;

/// What the analysis may assume about normalizers and enrichers (`None`: nothing, so rules on
/// normalized or derived fields say nothing).
#[derive(Clone, Copy)]
pub(super) struct Ctx<'a> {
    pub(super) facts: Option<&'a RawFacts>,
}

pub(super) fn analyze_rule(rule: &CompiledRule, ctx: Ctx<'_>) -> Analysis {
    or_all(
        rule.conditions
            .iter()
            .map(|c| analyze_condition(c, rule, ctx))
            .collect(),
    )
}

fn analyze_condition(expr: &ConditionExpr, rule: &CompiledRule, ctx: Ctx<'_>) -> Analysis {
    match expr {
        ConditionExpr::And(parts) => and_all(parts.iter().map(|p| analyze_condition(p, rule, ctx))),
        ConditionExpr::Or(parts) => or_all(
            parts
                .iter()
                .map(|p| analyze_condition(p, rule, ctx))
                .collect(),
        ),
        ConditionExpr::Not(_) => None,
        ConditionExpr::Identifier(name) => analyze_detection(rule.detections.get(name)?, ctx),
        ConditionExpr::Selector {
            quantifier,
            pattern,
        } => {
            let (all, named) = selected(rule, quantifier, pattern)?;
            let parts = named.into_iter().map(|d| analyze_detection(d, ctx));
            if all {
                and_all(parts)
            } else {
                or_all(parts.collect())
            }
        }
    }
}

fn analyze_detection(detection: &CompiledDetection, ctx: Ctx<'_>) -> Analysis {
    match detection {
        CompiledDetection::AllOf(items) => and_all(items.iter().map(|i| analyze_item(i, ctx))),
        CompiledDetection::And(parts) => and_all(parts.iter().map(|d| analyze_detection(d, ctx))),
        CompiledDetection::AnyOf(parts) => {
            or_all(parts.iter().map(|d| analyze_detection(d, ctx)).collect())
        }
        CompiledDetection::Keywords(_)
        | CompiledDetection::ArrayMatch { .. }
        | CompiledDetection::Conditional { .. } => None,
    }
}

fn analyze_item(item: &CompiledDetectionItem, ctx: Ctx<'_>) -> Analysis {
    let name = item.field.as_deref()?;
    if item.exists == Some(false) {
        return None;
    }
    let derived = field::is_normalized(name) && !field::is_verbatim(name);
    let values = if derived {
        None
    } else {
        analyze_matcher(&item.matcher)
    };
    values.or_else(|| presence(name, item, ctx))
}

/// What the text holds when the item can only match a present field: the rsigma evaluator
/// matches an absent field only with a `null` matcher or `exists: false`.
///
/// An event's field is its normalized value, else the raw record's dotted path (`Event::get`).
/// A raw path resolves only through keys that together spell every segment, so each segment is
/// in the text. A normalized or derived field is present only when the record holds one of the
/// literals `RawFacts::field_literals` gives for it. Hence one clause per segment: that segment
/// or one of those literals.
fn presence(name: &str, item: &CompiledDetectionItem, ctx: Ctx<'_>) -> Analysis {
    let required =
        item.exists == Some(true) || (item.exists.is_none() && requires_value(&item.matcher));
    if !required {
        return None;
    }
    let normalized: Vec<String> = if field::is_normalized(name) {
        let literals = (ctx.facts?.field_literals)(name)?;
        literals.iter().map(|l| literal(l)).collect::<Option<_>>()?
    } else {
        Vec::new()
    };
    let clauses: Vec<Clause> = name
        .split('.')
        .filter_map(literal)
        .map(|segment| {
            let mut clause = normalized.clone();
            clause.push(segment);
            clause.sort();
            clause.dedup();
            clause
        })
        .collect();
    (!clauses.is_empty()).then_some(clauses)
}

/// Whether `matcher` fails on a missing value. It is only asked of present fields, except
/// `Null`, which is what matches an absent one; a `not` may match anything.
fn requires_value(matcher: &CompiledMatcher) -> bool {
    match matcher {
        CompiledMatcher::Null | CompiledMatcher::Not(_) | CompiledMatcher::Exists(false) => false,
        CompiledMatcher::AnyOf(children) => children.iter().all(requires_value),
        CompiledMatcher::AllOf(children) => children.iter().any(requires_value),
        CompiledMatcher::CaseInsensitiveGroup { children, mode } => match mode {
            GroupMode::Any => children.iter().all(requires_value),
            GroupMode::All => children.iter().any(requires_value),
        },
        _ => true,
    }
}

/// The clauses every record of one of `sources` holds (their signatures joined), or `None` when
/// some source has none.
pub(super) fn signature_of(sources: &[LogSource], facts: &RawFacts) -> Analysis {
    or_all(
        sources
            .iter()
            .map(|&s| {
                let clauses: Vec<Clause> = (facts.signature)(s)
                    .iter()
                    .map(|c| c.iter().map(|l| literal(l)).collect::<Option<Clause>>())
                    .collect::<Option<_>>()?;
                (!clauses.is_empty()).then_some(clauses)
            })
            .collect(),
    )
}

fn analyze_matcher(matcher: &CompiledMatcher) -> Analysis {
    match matcher {
        CompiledMatcher::Exact { value, .. }
        | CompiledMatcher::Contains { value, .. }
        | CompiledMatcher::StartsWith { value, .. }
        | CompiledMatcher::EndsWith { value, .. } => Some(vec![vec![literal(value)?]]),
        CompiledMatcher::AhoCorasickSet { needles, .. } => {
            let clause: Option<Clause> = needles.iter().map(|n| literal(n)).collect();
            Some(vec![clause?])
        }
        CompiledMatcher::Regex(re) => Some(vec![regex_clause(re.as_str())?]),
        CompiledMatcher::RegexSetMatch { set, mode } => {
            let parts = set
                .patterns()
                .iter()
                .map(|p| regex_clause(p).map(|c| vec![c]));
            match mode {
                GroupMode::Any => or_all(parts.collect()),
                GroupMode::All => and_all(parts),
            }
        }
        CompiledMatcher::AnyOf(children) => or_all(children.iter().map(analyze_matcher).collect()),
        CompiledMatcher::AllOf(children) => and_all(children.iter().map(analyze_matcher)),
        CompiledMatcher::CaseInsensitiveGroup { children, mode } => match mode {
            GroupMode::Any => or_all(children.iter().map(analyze_matcher).collect()),
            GroupMode::All => and_all(children.iter().map(analyze_matcher)),
        },
        _ => None,
    }
}

/// Literals one of which any text a regular expression matches must hold: a literal part of a
/// concatenation (or of a repetition of at least one), or one per branch of an alternation. A
/// case-insensitive part is a class, not a literal, and yields none.
fn regex_clause(pattern: &str) -> Option<Clause> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .ok()?;
    hir_clause(&hir)
}

fn hir_clause(hir: &regex_syntax::hir::Hir) -> Option<Clause> {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Literal(lit) => Some(vec![literal(std::str::from_utf8(&lit.0).ok()?)?]),
        HirKind::Capture(cap) => hir_clause(&cap.sub),
        HirKind::Repetition(rep) if rep.min >= 1 => hir_clause(&rep.sub),
        HirKind::Concat(parts) => parts.iter().filter_map(hir_clause).max_by_key(clause_rank),
        HirKind::Alternation(branches) => {
            let mut joined: Clause = Vec::new();
            for branch in branches {
                joined.extend(hir_clause(branch)?);
            }
            Some(joined)
        }
        _ => None,
    }
}

/// How selective a clause is: the longer its shortest literal, then the fewer its literals.
fn clause_rank(c: &Clause) -> (usize, usize) {
    (
        c.iter().map(String::len).min().unwrap_or(0),
        usize::MAX - c.len(),
    )
}

/// A rule value as a literal of the raw text, if it can stand for one (see the module doc).
pub(super) fn literal(value: &str) -> Option<String> {
    let usable = !value.is_empty()
        && value.is_ascii()
        && !value
            .bytes()
            .any(|b| matches!(b, b'"' | b'\\') || b.is_ascii_control())
        && !value
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
    usable.then(|| value.to_ascii_lowercase())
}

/// All parts hold: their clauses together; open only when every part is open.
fn and_all(parts: impl Iterator<Item = Analysis>) -> Analysis {
    let clauses: Vec<Clause> = parts.flatten().flatten().collect();
    (!clauses.is_empty()).then_some(clauses)
}

/// Clauses a disjunction is reduced to, at most.
const MAX_JOINED: usize = 4;

/// One part holds: open when any part is; else joined clauses, the k-th joining each part's
/// k-th most selective clause (its most selective when it has fewer). Each joined clause is
/// held by whichever part holds, so all of them are, and `(iam ∧ ListUsers) ∨ (organizations ∧
/// ListAccounts)` keeps both `iam ∨ organizations` and `ListUsers ∨ ListAccounts`, where one
/// clause would have kept only the first.
fn or_all(mut parts: Vec<Analysis>) -> Analysis {
    if parts.len() <= 1 {
        return parts.pop().flatten();
    }
    let ranked: Vec<Vec<Clause>> = parts
        .into_iter()
        .map(|part| {
            let mut clauses = part?;
            clauses.sort_by_key(|c| std::cmp::Reverse(clause_rank(c)));
            (!clauses.is_empty()).then_some(clauses)
        })
        .collect::<Option<_>>()?;
    let width = ranked.iter().map(Vec::len).max()?.min(MAX_JOINED);
    let mut joined: Vec<Clause> = (0..width)
        .map(|k| {
            let mut clause: Clause = ranked
                .iter()
                .filter_map(|clauses| clauses.get(k).or(clauses.first()))
                .flatten()
                .cloned()
                .collect();
            clause.sort();
            clause.dedup();
            clause
        })
        .collect();
    joined.sort();
    joined.dedup();
    Some(joined)
}
