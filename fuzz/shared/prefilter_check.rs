//! The `prefilter` fuzz property, shared by the fuzz target and the corpus replay test: for any
//! input, if a record decoded from it matches a rule once normalized, the raw-text prefilter
//! built from the same rules admits the input's text. Checked for two rule sets: plain Sigma
//! over raw vendor fields, and the built-in analytics (normalized and derived fields, routed by
//! log source) with what the normalizers guarantee (`raw_facts`) and the enrichers applied.
//! An EVTX input's records are asked about inside the decoder (as the JSON text the `evtx`
//! crate renders): there the hits with the prefilter must be those without it.

use std::io::Cursor;
use std::sync::{Arc, OnceLock};

use enumwatch_engine::{Matcher, RawFacts, RawPrefilter};
use enumwatch_enrich::{CloudEnricher, CommandLineEnricher};
use enumwatch_event::RecordPrefilter;
use enumwatch_rules::{RuleSet, RuleSource, load};

struct Compiled {
    matcher: Matcher,
    prefilter: RawPrefilter,
}

/// The built-in analytics, every rule (the opt-in ones too), as a hunt runs them.
struct Pack {
    compiled: Compiled,
    enricher: CommandLineEnricher,
    cloud: CloudEnricher,
}

fn pack() -> &'static Pack {
    static PACK: OnceLock<Pack> = OnceLock::new();
    PACK.get_or_init(|| {
        let (rules, errors) = load(&enumwatch_analytics::builtin_rule_sources());
        assert!(errors.is_empty(), "{errors:?}");
        let rules = rules.select(&["attack.t1087.004".to_owned()]);
        let matcher = Matcher::new(&rules).expect("the built-in rules compile");
        let facts = RawFacts {
            signature: enumwatch_normalize::raw_facts::signature,
            field_literals: enumwatch_normalize::raw_facts::field_literals,
        };
        let prefilter = RawPrefilter::build_with(&rules, Some(&matcher), Some(&facts))
            .expect("the built-in rules narrow to literals with the normalizers' facts");
        Pack {
            compiled: Compiled { matcher, prefilter },
            enricher: CommandLineEnricher::new(),
            cloud: CloudEnricher::new(enumwatch_config::Config::default()),
        }
    })
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
    !hits_of(data, compiled(), None, None, true).is_empty()
}

/// Whether a record decoded from `data`, an EVTX input, matches one of the fuzz rules.
#[allow(dead_code, reason = "used by the replay test, not by the fuzz target")]
pub(crate) fn evtx_matches_some_rule(data: &[u8]) -> bool {
    !evtx_hits(data, compiled(), None, None, true).is_empty()
}

/// Whether a record decoded from `data` matches one of the built-in rules.
#[allow(dead_code, reason = "used by the replay test, not by the fuzz target")]
pub(crate) fn matches_some_builtin_rule(data: &[u8]) -> bool {
    let pack = pack();
    !hits_of(data, &pack.compiled, Some(pack), None, true).is_empty()
}

/// Panics when a record of `data` matches a rule but the prefilter rejects `data`, or when the
/// well-formedness check the prefilter's skips rely on says yes to a text serde_json rejects.
pub(crate) fn check(data: &[u8]) {
    if enumwatch_decode::certainly_well_formed(data) {
        assert!(
            serde_json::from_slice::<serde_json::Value>(data).is_ok(),
            "certainly_well_formed accepts a text serde_json rejects"
        );
    }
    let pack = pack();
    for (set, compiled, enrich) in [
        ("fuzz", compiled(), None),
        ("built-in", &pack.compiled, Some(pack)),
    ] {
        if let Some(hit) = hits_of(data, compiled, enrich, None, true).first() {
            assert!(
                compiled.prefilter.admits(data),
                "the prefilter rejects a text whose record matches {set} rule {}",
                hit.rule
            );
        }
        let lent: Arc<dyn RecordPrefilter> = Arc::new(Lent(&compiled.prefilter));
        let without = evtx_hits(data, compiled, enrich, None, true);
        assert_eq!(
            evtx_hits(data, compiled, enrich, Some(Arc::clone(&lent)), true),
            without,
            "with the prefilter, EVTX records match {set} rules differently"
        );
        // Unchecked (`--trust-json`), the chunk prefilter decides alone, damaged chunks too:
        // a mutated chunk's rendered text must still come from what it stores.
        assert_eq!(
            evtx_hits(data, compiled, enrich, Some(lent), false),
            without,
            "with the prefilter, unchecked, EVTX records match {set} rules differently"
        );
    }
}

/// A prefilter of the rule sets here, lent to a decoder.
#[derive(Debug)]
struct Lent(&'static RawPrefilter);

impl RecordPrefilter for Lent {
    fn admits(&self, text: &[u8]) -> bool {
        self.0.admits(text)
    }

    fn admits_evtx_chunk(&self, chunk: &[u8]) -> bool {
        self.0.admits_evtx_chunk(chunk)
    }
}

/// The rules and fields each record of an EVTX input matches, decoded with `prefilter`, what it
/// skips checked (chunk checksums) or not.
fn evtx_hits(
    data: &[u8],
    compiled: &Compiled,
    enrich: Option<&Pack>,
    prefilter: Option<Arc<dyn RecordPrefilter>>,
    check: bool,
) -> Vec<(usize, Vec<(String, String)>)> {
    hits_of(data, compiled, enrich, Some(prefilter), check)
        .into_iter()
        .map(|hit| (hit.rule, hit.matched_fields))
        .collect()
}

/// The hits of the records decoded from `data`: with `evtx` unset, when it is JSON or JSON
/// lines (whose text the prefilter is asked about whole; auditd text and CSV never are); with
/// it set, when it is EVTX, decoded with the prefilter it holds.
fn hits_of(
    data: &[u8],
    compiled: &Compiled,
    enrich: Option<&Pack>,
    evtx: Option<Option<Arc<dyn RecordPrefilter>>>,
    check: bool,
) -> Vec<enumwatch_engine::Hit> {
    let decoder = enumwatch_decode::decode(
        Arc::from("fuzz"),
        Box::new(Cursor::new(data.to_vec())),
        &enumwatch_decode::DecodeLimits {
            prefilter: evtx.clone().flatten(),
            check_skipped: check,
            ..enumwatch_decode::DecodeLimits::default()
        },
    );
    let wanted = match evtx {
        Some(_) => matches!(decoder.format(), Some(enumwatch_decode::Format::Evtx)),
        None => matches!(
            decoder.format(),
            Some(enumwatch_decode::Format::Json | enumwatch_decode::Format::JsonLines)
        ),
    };
    if !wanted {
        return Vec::new();
    }
    let mut normalizer = enumwatch_normalize::Normalizer::new();
    let mut events = Vec::new();
    for record in decoder.flatten() {
        normalizer.push(record, &mut events);
    }
    normalizer.finish(&mut events);
    let mut hits = Vec::new();
    for event in &mut events {
        if let Some(pack) = enrich {
            pack.enricher.enrich(event);
            pack.cloud.enrich(event);
        }
        compiled.matcher.matches(event, &mut hits);
    }
    hits
}
