//! Sigma rules as enumwatch sees them: loaded from YAML by `rsigma-parser`, checked, described by
//! `RuleMeta` (with enumwatch's own `enumwatch:` mapping: analytic, default, classifier,
//! confidence, investigation and response steps), and selected by id, name, title or tag.
//!
//! Nothing here executes a rule; `enumwatch-engine` does. Errors name the file, the YAML path and
//! the line, and say what was expected.

mod error;
mod locate;
mod meta;
mod regex_budget;

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use rsigma_eval::CompiledRule;
use rsigma_parser::{CorrelationRule, FilterRule, SigmaRule, parse_sigma_yaml};

pub use error::RuleError;
pub use meta::{Level, RuleKind, RuleMeta};

/// One rule file's text and the name errors should use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSource {
    /// A path as given, or `builtin:<area>/<file>` for rules shipped in the binary.
    pub name: String,
    pub text: String,
}

/// The parsed rule behind a `RuleMeta` (same index).
#[derive(Debug, Clone)]
#[doc(hidden)]
pub enum ParsedRule {
    Detection(Box<SigmaRule>),
    Correlation(Box<CorrelationRule>),
    Filter(Box<FilterRule>),
}

/// Rules in load order, with their metadata.
#[derive(Debug, Clone, Default)]
pub struct RuleSet {
    metas: Vec<RuleMeta>,
    parsed: Vec<ParsedRule>,
    /// A detection rule's rsigma form when loading already compiled it to check it (same
    /// index), so that the engine does not compile it again; `None` for prechecked sources
    /// (compiled only if selected) and for correlations and filters.
    compiled: Vec<Option<Arc<CompiledRule>>>,
}

impl RuleSet {
    pub fn rules(&self) -> &[RuleMeta] {
        &self.metas
    }

    /// The parsed rsigma rules, index-aligned with `rules()` (for `enumwatch-engine`).
    #[doc(hidden)]
    pub fn parsed(&self) -> &[ParsedRule] {
        &self.parsed
    }

    /// Every rule id or name some correlation rule of the set refers to.
    pub fn named_by_correlations(&self) -> HashSet<&str> {
        self.parsed
            .iter()
            .filter_map(|p| match p {
                ParsedRule::Correlation(c) => Some(c.rules.iter().map(String::as_str)),
                _ => None,
            })
            .flatten()
            .collect()
    }

    /// The compiled detection rules loading produced, index-aligned with `rules()`; `None`
    /// where the engine still has to compile the parsed rule (for `enumwatch-engine`).
    #[doc(hidden)]
    pub fn compiled(&self) -> &[Option<Arc<CompiledRule>>] {
        &self.compiled
    }

    pub fn get(&self, id: &str) -> Option<&RuleMeta> {
        self.metas.iter().find(|m| m.id == id)
    }

    /// The rules a user asked for: by id, name, title (case-insensitive) or tag; an enumwatch
    /// area tag such as `enumwatch.endpoint` is also selected by its bare name (`endpoint`). No
    /// selectors means the rules enabled by default. Correlation rules bring the rules they
    /// correlate.
    pub fn select(&self, selectors: &[String]) -> RuleSet {
        let wanted = |m: &RuleMeta| {
            if selectors.is_empty() {
                return m.default_enabled;
            }
            selectors.iter().any(|s| {
                let s = s.trim();
                m.id.eq_ignore_ascii_case(s)
                    || m.name.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(s))
                    || m.title.eq_ignore_ascii_case(s)
                    || m.tags.iter().any(|t| {
                        t.eq_ignore_ascii_case(s)
                            || t.strip_prefix("enumwatch.")
                                .is_some_and(|area| area.eq_ignore_ascii_case(s))
                    })
            })
        };
        let mut keep: BTreeSet<usize> = (0..self.metas.len())
            .filter(|&i| wanted(&self.metas[i]))
            .collect();
        for i in keep.clone() {
            if let Some(ParsedRule::Correlation(c)) = self.parsed.get(i) {
                for reference in &c.rules {
                    for (j, m) in self.metas.iter().enumerate() {
                        if &m.id == reference || m.name.as_ref() == Some(reference) {
                            keep.insert(j);
                        }
                    }
                }
            }
        }
        RuleSet {
            metas: keep
                .iter()
                .filter_map(|&i| self.metas.get(i).cloned())
                .collect(),
            parsed: keep
                .iter()
                .filter_map(|&i| self.parsed.get(i).cloned())
                .collect(),
            compiled: keep
                .iter()
                .filter_map(|&i| self.compiled.get(i).cloned())
                .collect(),
        }
    }

    /// Replace a correlation rule's threshold (every predicate's bound) and timespan, as the
    /// configuration asks. Errors name what is wrong; the rule is unchanged on error.
    pub fn tune_correlation(
        &mut self,
        index: usize,
        threshold: Option<u64>,
        timespan: Option<&str>,
    ) -> Result<(), String> {
        let Some(ParsedRule::Correlation(rule)) = self.parsed.get_mut(index) else {
            return Err("only correlation rules have a threshold and a timespan".to_owned());
        };
        if let Some(text) = timespan {
            rule.timespan = rsigma_parser::Timespan::parse(text)
                .map_err(|e| format!("timespan `{text}`: {e}"))?;
        }
        if let Some(n) = threshold {
            match &mut rule.condition {
                rsigma_parser::CorrelationCondition::Threshold { predicates, .. } => {
                    for (_, bound) in predicates.iter_mut() {
                        *bound = n;
                    }
                }
                _ => {
                    return Err(
                        "a threshold applies to event_count and value_count rules only".to_owned(),
                    );
                }
            }
        }
        Ok(())
    }

    /// Every loaded rule, default-enabled or not.
    pub fn all(&self) -> RuleSet {
        self.clone()
    }
}

/// Parse and check every source; good rules load even when others fail.
pub fn load(sources: &[RuleSource]) -> (RuleSet, Vec<RuleError>) {
    load_prechecked(&[], sources)
}

/// Like `load` for `sources`, after `prechecked` sources that are only parsed and described:
/// their regex budget and rsigma compilation are taken as already checked, so a rule that is
/// never selected costs no regex compilation at startup. For the built-in rules, which
/// `enumwatch-analytics`' tests lint one by one; `enumwatch-engine` compiles the selected ones.
pub fn load_prechecked(
    prechecked: &[RuleSource],
    sources: &[RuleSource],
) -> (RuleSet, Vec<RuleError>) {
    let mut set = RuleSet::default();
    let mut errors = Vec::new();
    let all = prechecked
        .iter()
        .map(|s| (s, Check::Prechecked))
        .chain(sources.iter().map(|s| (s, Check::Compile)));
    for (source, check) in all {
        let (loaded, errs) = load_one(source, check);
        errors.extend(errs);
        for (meta, rule, compiled) in loaded {
            if let Some(existing) = set.metas.iter().find(|m| m.id == meta.id) {
                errors.push(RuleError::at(
                    source,
                    "id",
                    &meta.id,
                    format!(
                        "duplicate rule id `{}`, already used by {}; give every rule its own id",
                        meta.id, existing.source
                    ),
                ));
                continue;
            }
            set.metas.push(meta);
            set.parsed.push(rule);
            set.compiled.push(compiled);
        }
    }
    (set, errors)
}

/// Check one rule file without keeping it.
pub fn lint(source: &RuleSource) -> Vec<RuleError> {
    let (loaded, mut errors) = load_one(source, Check::Compile);
    for (meta, _, _) in &loaded {
        if meta.kind == RuleKind::Detection
            && meta.product.is_none()
            && meta.category.is_none()
            && meta.service.is_none()
        {
            errors.push(RuleError::at(
                source,
                "logsource",
                "logsource:",
                "expected at least one of product, category or service; without one the rule runs against every log".to_owned(),
            ));
            if let Some(last) = errors.last_mut()
                && last.line.is_none()
            {
                *last = RuleError::at_document(source, "logsource", last.message.clone());
            }
        }
    }
    errors
}

/// How much of a detection rule `load_one` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    /// The regex budget and an rsigma compilation, whose result is kept.
    Compile,
    /// Parse and metadata only; the source is known to pass `Compile`.
    Prechecked,
}

/// A loaded rule: metadata, parsed rule and, when checked by compiling, its compiled form.
type Loaded = (RuleMeta, ParsedRule, Option<Arc<CompiledRule>>);

fn load_one(source: &RuleSource, check: Check) -> (Vec<Loaded>, Vec<RuleError>) {
    let mut loaded = Vec::new();
    let mut errors = Vec::new();
    let collection = match parse_sigma_yaml(&source.text) {
        Ok(collection) => collection,
        Err(err) => {
            errors.push(RuleError::from_message(source, &err.to_string()));
            return (loaded, errors);
        }
    };
    for message in &collection.errors {
        errors.push(RuleError::from_message(source, message));
    }
    for rule in collection.rules {
        let compiled = match check {
            Check::Prechecked => None,
            Check::Compile => {
                // The budget first: rsigma's own limit is larger and its error carries no
                // location.
                let too_big = regex_budget::check(&rule, source);
                if !too_big.is_empty() {
                    errors.extend(too_big);
                    continue;
                }
                match rsigma_eval::compile_rule(&rule) {
                    Ok(compiled) => Some(Arc::new(compiled)),
                    Err(err) => {
                        errors.push(RuleError::from_message(source, &err.to_string()));
                        continue;
                    }
                }
            }
        };
        match meta::of_detection(&rule, source) {
            Ok(m) => loaded.push((m, ParsedRule::Detection(Box::new(rule)), compiled)),
            Err(e) => errors.push(e),
        }
    }
    for rule in collection.correlations {
        match meta::of_correlation(&rule, source) {
            Ok(m) => loaded.push((m, ParsedRule::Correlation(Box::new(rule)), None)),
            Err(e) => errors.push(e),
        }
    }
    for rule in collection.filters {
        match meta::of_filter(&rule, source) {
            Ok(m) => loaded.push((m, ParsedRule::Filter(Box::new(rule)), None)),
            Err(e) => errors.push(e),
        }
    }
    (loaded, errors)
}

#[cfg(test)]
mod tests;
