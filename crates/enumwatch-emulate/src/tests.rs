//! Every emulation's files decode and normalize cleanly (no malformed, no unrecognized
//! record), normalize to the log source the file claims, and are byte-for-byte deterministic.

use std::io::Cursor;
use std::sync::Arc;

use enumwatch_decode::{DecodeLimits, decode};
use enumwatch_normalize::{Disposition, Normalizer};

use crate::{EXPECTATIONS, tests};

#[test]
fn every_emulation_decodes_with_no_malformed_or_unrecognized_record() {
    for test in tests() {
        for file in test.files() {
            let where_ = format!("{} / {}", test.name, file.name);
            let reader = Box::new(Cursor::new(file.contents.clone().into_bytes()));
            let mut normalizer = Normalizer::new();
            let mut events = Vec::new();
            let (mut records, mut ignored) = (0, 0);
            for item in decode(
                Arc::from(file.name.as_str()),
                reader,
                &DecodeLimits::default(),
            ) {
                let record = item.unwrap_or_else(|e| panic!("{where_}: malformed record: {e}"));
                records += 1;
                match normalizer.push(record, &mut events) {
                    Disposition::Unrecognized => panic!("{where_}: unrecognized record {records}"),
                    Disposition::Ignored { .. } | Disposition::NoEvent { .. } => ignored += 1,
                    Disposition::Emitted(_) | Disposition::Held => {}
                }
            }
            normalizer.finish(&mut events);
            assert!(records > 0, "{where_}: no record");
            assert_eq!(
                events.len() + ignored,
                records,
                "{where_}: every record is an event or ignored"
            );
            assert!(
                events.iter().all(|e| e.source == file.source),
                "{where_}: events of another source than {}",
                file.source
            );
        }
    }
}

#[test]
fn emulations_are_deterministic_and_named_uniquely() {
    let mut names: Vec<&str> = tests().iter().map(|t| t.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), tests().len());
    for test in tests() {
        assert_eq!(test.files(), test.files(), "{}", test.name);
        if let Some(attack) = test.twin_of {
            assert!(
                names.contains(&attack),
                "{} twins an unknown test",
                test.name
            );
            assert_eq!(test.name, format!("{attack}-benign"));
        }
        if let Some(config) = test.config {
            enumwatch_config::Config::parse(config, test.name)
                .unwrap_or_else(|e| panic!("{}: shipped config: {e}", test.name));
        }
        assert!(
            EXPECTATIONS.iter().any(|e| e.test == test.name),
            "{} has no row in the expected outcome table",
            test.name
        );
    }
}

/// Every emulation, hunted with the default rules and with every built-in rule (the opt-in ones
/// too, whose wider literals could hide a gap in the default ones), each with its own
/// configuration, gives the same alerts, suppressed alerts and problems with the raw-text
/// prefilter as without it, and the prefilter skips some records.
#[test]
fn the_prefilter_changes_no_outcome_of_any_emulation() {
    use crate::validate::{hunter_with, run};
    let (rules, errors) =
        enumwatch_rules::load_prechecked(&enumwatch_analytics::builtin_rule_sources(), &[]);
    assert!(errors.is_empty(), "{errors:?}");
    for rules in [
        rules.select(&[]),
        rules.select(&["attack.t1087.004".to_owned()]),
    ] {
        let default = [true, false]
            .map(|p| hunter_with(&rules, enumwatch_config::Config::default(), p).unwrap());
        let mut skipped = 0;
        for test in tests() {
            let dir = tempfile::tempdir().unwrap();
            let mut paths = Vec::new();
            for file in test.files() {
                let path = dir.path().join(&file.name);
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, file.contents.as_bytes()).unwrap();
                paths.push(path);
            }
            let own = test.config.map(|text| {
                let config = enumwatch_config::Config::parse(text, test.name).unwrap();
                [true, false].map(|p| hunter_with(&rules, config.clone(), p).unwrap())
            });
            let [fast, all] = own.as_ref().unwrap_or(&default);
            let (fast, all) = (run(fast, &paths).unwrap(), run(all, &paths).unwrap());
            let n = rules.rules().len();
            assert_eq!(
                format!("{:?}", fast.alerts),
                format!("{:?}", all.alerts),
                "{} ({n} rules)",
                test.name
            );
            assert_eq!(
                format!("{:?}", fast.suppressed),
                format!("{:?}", all.suppressed),
                "{} ({n} rules)",
                test.name
            );
            assert_eq!(fast.stats.malformed_total(), all.stats.malformed_total());
            assert_eq!(all.stats.records_prefiltered, 0);
            skipped += fast.stats.records_prefiltered;
        }
        assert!(skipped > 0, "the prefilter skipped nothing");
    }
}
