//! `all of` / `1 of` / `N of` selectors, read the same way by every analysis of compiled rules
//! (the prefilter's literals, the candidate index's exact values).

use rsigma_eval::{CompiledDetection, CompiledRule};
use rsigma_parser::{Quantifier, SelectorPattern};

/// What a selector requires of the detections its pattern names (in name order, so analyses
/// are deterministic): all of them (`true`) or at least one (`false`); `None` when it names none
/// or is `0 of`, which says nothing.
pub(crate) fn selected<'a>(
    rule: &'a CompiledRule,
    quantifier: &Quantifier,
    pattern: &SelectorPattern,
) -> Option<(bool, Vec<&'a CompiledDetection>)> {
    let mut named: Vec<(&String, &CompiledDetection)> = rule
        .detections
        .iter()
        .filter(|(name, _)| pattern.matches_detection_name(name))
        .collect();
    named.sort_by_key(|(name, _)| *name);
    if named.is_empty() {
        return None;
    }
    let all = match quantifier {
        Quantifier::All => true,
        Quantifier::Any => false,
        Quantifier::Count(0) => return None,
        Quantifier::Count(_) => false,
    };
    Some((all, named.into_iter().map(|(_, d)| d).collect()))
}
