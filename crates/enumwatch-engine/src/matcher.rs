//! Stateless detection: compiled rsigma engines per log source. A rule some exact value gates
//! is evaluated only on the events holding that value (`candidates`); the others go through
//! rsigma's engine and its own index.

use std::collections::HashMap;
use std::sync::Arc;

use enumwatch_event::{Event, LogSource, SigmaLogSource};
use enumwatch_rules::{ParsedRule, RuleKind, RuleMeta, RuleSet};
use rsigma_eval::{CompiledRule, Engine, EvaluationResult};

use crate::EngineError;
use crate::candidates::Candidates;
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
    engines: Vec<(LogSource, Routed)>,
    index: HashMap<String, usize>,
    /// Each rule's compiled form, where some log source is routed to it (for the prefilter).
    compiled: Vec<Option<Arc<CompiledRule>>>,
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
        // Each rule is compiled at most once (or not at all when loading already did), however
        // many log sources admit it; every engine gets its own copy of the compiled form.
        let mut compiled: Vec<Option<Arc<CompiledRule>>> = rules.compiled().to_vec();
        for source in LogSource::ALL {
            let mut routed: Vec<CompiledRule> = Vec::new();
            for (i, (meta, parsed)) in rules.rules().iter().zip(rules.parsed()).enumerate() {
                if let ParsedRule::Detection(rule) = parsed
                    && meta.kind == RuleKind::Detection
                    && admits(meta, source.sigma())
                {
                    let rule = compiled_once(&mut compiled, i, rule, meta)?;
                    routed.push(CompiledRule::clone(&rule));
                }
            }
            if routed.is_empty() {
                continue;
            }
            let (gated, open) = Candidates::partition(routed);
            let with_filters = |part: Vec<CompiledRule>| -> Result<Option<Engine>, EngineError> {
                if part.is_empty() {
                    return Ok(None);
                }
                let mut engine = Engine::new();
                engine.extend_compiled_rules(part);
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
                Ok(Some(engine))
            };
            let gated = with_filters(gated)?.map(|engine| {
                let candidates = Candidates::new(engine.rules());
                (engine, candidates)
            });
            let open = with_filters(open)?;
            engines.push((source, Routed { gated, open }));
        }
        Ok(Matcher {
            engines,
            index,
            compiled,
        })
    }

    /// Rule `i`'s compiled form, if some log source is routed to it.
    pub(crate) fn compiled(&self, i: usize) -> Option<&CompiledRule> {
        self.compiled.get(i).and_then(Option::as_deref)
    }

    /// Append a `Hit` for every detection rule `event` matches.
    pub fn matches(&self, event: &Event, out: &mut Vec<Hit>) {
        let Some((_, routed)) = self.engines.iter().find(|(s, _)| *s == event.source) else {
            return;
        };
        let view = SigmaView(event);
        let start = out.len();
        if let Some((engine, candidates)) = &routed.gated {
            CANDIDATES.with(|cell| {
                let mut positions = cell.borrow_mut();
                candidates.of(&view, &mut positions);
                for &pos in positions.iter() {
                    if let Some(result) = engine
                        .rules()
                        .get(pos)
                        .and_then(|rule| rsigma_eval::evaluate_rule(rule, &view))
                    {
                        self.push_hit(&result, out);
                    }
                }
            });
        }
        if let Some(engine) = &routed.open {
            for result in engine.evaluate(&view) {
                self.push_hit(&result, out);
            }
        }
        // Rule order, whatever order rsigma evaluated in; earlier hits in `out` stay put.
        if let Some(new) = out.get_mut(start..) {
            new.sort_by_key(|h| h.rule);
        }
    }

    fn push_hit(&self, result: &EvaluationResult, out: &mut Vec<Hit>) {
        let Some(detection) = result.as_detection() else {
            return;
        };
        let Some(&rule) = result
            .header
            .rule_id
            .as_ref()
            .and_then(|id| self.index.get(id))
        else {
            return;
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
}

/// One log source's rules: those an exact value gates, evaluated only where `Candidates` says
/// they may match, and the rest, through rsigma's engine (and its index).
struct Routed {
    gated: Option<(Engine, Candidates)>,
    open: Option<Engine>,
}

thread_local! {
    /// Candidate rule positions of the event being matched, reused across events.
    static CANDIDATES: std::cell::RefCell<Vec<usize>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Rule `i`'s compiled form: the one loading kept, or compiled now (once) and remembered.
/// `Engine::add_rule` would compile the same way (no pipelines), so the engines are identical.
fn compiled_once(
    compiled: &mut Vec<Option<Arc<CompiledRule>>>,
    i: usize,
    rule: &rsigma_parser::SigmaRule,
    meta: &RuleMeta,
) -> Result<Arc<CompiledRule>, EngineError> {
    if compiled.len() <= i {
        compiled.resize(i + 1, None);
    }
    if let Some(Some(done)) = compiled.get(i) {
        return Ok(Arc::clone(done));
    }
    let fresh = Arc::new(
        rsigma_eval::compile_rule(rule).map_err(|e| EngineError::Compile {
            rule: meta.id.clone(),
            message: e.to_string(),
        })?,
    );
    if let Some(slot) = compiled.get_mut(i) {
        *slot = Some(Arc::clone(&fresh));
    }
    Ok(fresh)
}
