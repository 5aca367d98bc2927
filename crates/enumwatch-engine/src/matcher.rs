//! Stateless detection: one compiled rsigma engine per log source.

use std::collections::HashMap;

use enumwatch_event::{Event, LogSource, SigmaLogSource};
use enumwatch_rules::{ParsedRule, RuleKind, RuleMeta, RuleSet};
use rsigma_eval::Engine;

use crate::EngineError;
use crate::view::SigmaView;

/// A detection rule matched an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    /// Index into `RuleSet::rules()`.
    pub rule: usize,
    /// Fields and values that matched, for explanations.
    pub matched_fields: Vec<(String, String)>,
}

/// Compiled detection rules, routed by log source.
pub struct Matcher {
    engines: Vec<(LogSource, Engine)>,
    index: HashMap<String, usize>,
}

/// A rule's logsource admits a source when each part the rule sets equals the source's. A
/// source without a product (Defender: any OS) admits every product; a source without a category
/// or service has none, so rules that require one do not see it.
pub(crate) fn admits(meta: &RuleMeta, source: SigmaLogSource) -> bool {
    let part = |rule: &Option<String>, src: Option<&str>, open: bool| match (rule.as_deref(), src) {
        (None, _) => true,
        (Some(_), None) => open,
        (Some(r), Some(s)) => r.eq_ignore_ascii_case(s),
    };
    part(&meta.product, source.product, true)
        && part(&meta.category, source.category, false)
        && part(&meta.service, source.service, false)
}

impl Matcher {
    pub fn new(rules: &RuleSet) -> Result<Matcher, EngineError> {
        let mut engines = Vec::new();
        let mut index = HashMap::new();
        for (i, meta) in rules.rules().iter().enumerate() {
            index.insert(meta.id.clone(), i);
        }
        for source in LogSource::ALL {
            let mut engine = Engine::new();
            let mut n_rules = 0;
            for (meta, parsed) in rules.rules().iter().zip(rules.parsed()) {
                if let ParsedRule::Detection(rule) = parsed
                    && meta.kind == RuleKind::Detection
                    && admits(meta, source.sigma())
                {
                    engine.add_rule(rule).map_err(|e| EngineError::Compile {
                        rule: meta.id.clone(),
                        message: e.to_string(),
                    })?;
                    n_rules += 1;
                }
            }
            for (meta, parsed) in rules.rules().iter().zip(rules.parsed()) {
                if let ParsedRule::Filter(filter) = parsed {
                    engine
                        .apply_filter(filter)
                        .map_err(|e| EngineError::Compile {
                            rule: meta.id.clone(),
                            message: e.to_string(),
                        })?;
                }
            }
            if n_rules > 0 {
                engines.push((source, engine));
            }
        }
        Ok(Matcher { engines, index })
    }

    /// Append a `Hit` for every detection rule `event` matches.
    pub fn matches(&self, event: &Event, out: &mut Vec<Hit>) {
        let Some((_, engine)) = self.engines.iter().find(|(s, _)| *s == event.source) else {
            return;
        };
        let start = out.len();
        for result in engine.evaluate(&SigmaView(event)) {
            let Some(detection) = result.as_detection() else {
                continue;
            };
            let Some(&rule) = result
                .header
                .rule_id
                .as_ref()
                .and_then(|id| self.index.get(id))
            else {
                continue;
            };
            let matched_fields = detection
                .matched_fields
                .iter()
                .map(|m| {
                    let value = match &m.value {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    };
                    (m.field.clone(), value)
                })
                .collect();
            out.push(Hit {
                rule,
                matched_fields,
            });
        }
        // Rule order, whatever order rsigma evaluated in; earlier hits in `out` stay put.
        if let Some(new) = out.get_mut(start..) {
            new.sort_by_key(|h| h.rule);
        }
    }
}
