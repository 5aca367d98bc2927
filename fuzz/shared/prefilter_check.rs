//! The `prefilter` fuzz property, shared by the fuzz target and the corpus replay test: for any
//! input, decoded with the raw-text prefilter built from a rule set (the records it rejects
//! skipped, checked or not), the records give the rule hits they give without it. Checked for
//! two rule sets: plain Sigma over raw vendor fields, and the built-in analytics (normalized and
//! derived fields, routed by log source) with what the normalizers guarantee (`raw_facts`) and
//! the enrichers applied. The decoder asks about each JSON line, array element and top-level
//! value, and about each EVTX chunk and record (as the JSON text the `evtx` crate renders); for
//! a JSON input that is one record, the prefilter must also admit its whole text.

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
        let lent: Arc<dyn RecordPrefilter> = Arc::new(Lent(&compiled.prefilter));
        let (json, records) = json_hits(data, compiled, enrich, None, true);
        if records == 1
            && let Some(hit) = json.first()
        {
            assert!(
                compiled.prefilter.admits(data),
                "the prefilter rejects a text whose record matches {set} rule {}",
                hit.0
            );
        }
        for check in [true, false] {
            assert_eq!(
                json_hits(data, compiled, enrich, Some(Arc::clone(&lent)), check).0,
                json,
                "with the prefilter (checked: {check}), JSON records match {set} rules differently"
            );
        }
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
) -> RuleHits {
    hits_of(data, compiled, enrich, Some(prefilter), check)
        .into_iter()
        .map(|hit| (hit.rule, hit.matched_fields))
        .collect()
}

/// Per hit, the rule's index and the fields it matched.
type RuleHits = Vec<(usize, Vec<(String, String)>)>;

/// The rules and fields each record of a JSON or JSON-lines input matches, decoded with
/// `prefilter`, what it skips checked or not; and how many records were decoded.
fn json_hits(
    data: &[u8],
    compiled: &Compiled,
    enrich: Option<&Pack>,
    prefilter: Option<Arc<dyn RecordPrefilter>>,
    check: bool,
) -> (RuleHits, usize) {
    let mut records = 0;
    let hits = hits_counted(
        data,
        compiled,
        enrich,
        Formats::Json(prefilter),
        check,
        &mut records,
    )
    .into_iter()
    .map(|hit| (hit.rule, hit.matched_fields))
    .collect();
    (hits, records)
}

/// Which inputs `hits_counted` decodes, with the prefilter their decoder is lent.
enum Formats {
    Json(Option<Arc<dyn RecordPrefilter>>),
    Evtx(Option<Arc<dyn RecordPrefilter>>),
}

/// The hits of the records decoded from `data`: with `evtx` unset, when it is JSON or JSON
/// lines, decoded without a prefilter (auditd text and CSV never have one); with it set, when
/// it is EVTX, decoded with the prefilter it holds.
fn hits_of(
    data: &[u8],
    compiled: &Compiled,
    enrich: Option<&Pack>,
    evtx: Option<Option<Arc<dyn RecordPrefilter>>>,
    check: bool,
) -> Vec<enumwatch_engine::Hit> {
    let formats = match evtx {
        Some(prefilter) => Formats::Evtx(prefilter),
        None => Formats::Json(None),
    };
    hits_counted(data, compiled, enrich, formats, check, &mut 0)
}

/// `hits_of`, over the `formats` asked for, counting the records decoded into `records`.
fn hits_counted(
    data: &[u8],
    compiled: &Compiled,
    enrich: Option<&Pack>,
    formats: Formats,
    check: bool,
    records: &mut usize,
) -> Vec<enumwatch_engine::Hit> {
    let prefilter = match &formats {
        Formats::Json(p) | Formats::Evtx(p) => p.clone(),
    };
    let decoder = enumwatch_decode::decode(
        Arc::from("fuzz"),
        Box::new(Cursor::new(data.to_vec())),
        &enumwatch_decode::DecodeLimits {
            prefilter,
            check_skipped: check,
            ..enumwatch_decode::DecodeLimits::default()
        },
    );
    let wanted = match formats {
        Formats::Evtx(_) => matches!(decoder.format(), Some(enumwatch_decode::Format::Evtx)),
        Formats::Json(_) => matches!(
            decoder.format(),
            Some(enumwatch_decode::Format::Json | enumwatch_decode::Format::JsonLines)
        ),
    };
    if !wanted {
        return Vec::new();
    }
    let mut normalizer = enumwatch_normalize::Normalizer::new();
    let mut events = Vec::new();
    for record in decoder {
        *records += 1;
        if let Ok(record) = record {
            normalizer.push(record, &mut events);
        }
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
