//! The `prefilter` fuzz property, shared by the fuzz target and the corpus replay test: for any
//! input, if a record decoded from it matches a rule once normalized, the raw-text prefilter
//! built from the same rules admits the input's text.

use std::io::Cursor;
use std::sync::{Arc, OnceLock};

use enumwatch_engine::{Matcher, RawPrefilter};
use enumwatch_event::RecordPrefilter;
use enumwatch_rules::{RuleSet, RuleSource, load};

struct Compiled {
    matcher: Matcher,
    prefilter: RawPrefilter,
}

fn compiled() -> &'static Compiled {
    static COMPILED: OnceLock<Compiled> = OnceLock::new();
    COMPILED.get_or_init(|| {
        let (rules, errors): (RuleSet, _) = load(&[RuleSource {
            name: "prefilter_rules.yml".into(),
            text: include_str!("prefilter_rules.yml").into(),
        }]);
        assert!(errors.is_empty(), "{errors:?}");
        Compiled {
            matcher: Matcher::new(&rules).expect("the fuzz rules compile"),
            prefilter: RawPrefilter::build(&rules).expect("every fuzz rule reduces to literals"),
        }
    })
}

/// Whether a record decoded from `data` matches one of the fuzz rules.
#[allow(dead_code, reason = "used by the replay test, not by the fuzz target")]
pub(crate) fn matches_some_rule(data: &[u8]) -> bool {
    !hits_of(data).is_empty()
}

/// Panics when a record of `data` matches a rule but the prefilter rejects `data`.
pub(crate) fn check(data: &[u8]) {
    let hits = hits_of(data);
    if let Some(hit) = hits.first() {
        assert!(
            compiled().prefilter.admits(data),
            "the prefilter rejects a text whose record matches rule {}",
            hit.rule
        );
    }
}

fn hits_of(data: &[u8]) -> Vec<enumwatch_engine::Hit> {
    let compiled = compiled();
    let decoder = enumwatch_decode::decode(
        Arc::from("fuzz"),
        Box::new(Cursor::new(data.to_vec())),
        &enumwatch_decode::DecodeLimits::default(),
    );
    let mut normalizer = enumwatch_normalize::Normalizer::new();
    let mut events = Vec::new();
    for record in decoder.flatten() {
        normalizer.push(record, &mut events);
    }
    normalizer.finish(&mut events);
    let mut hits = Vec::new();
    for event in &events {
        compiled.matcher.matches(event, &mut hits);
    }
    hits
}
