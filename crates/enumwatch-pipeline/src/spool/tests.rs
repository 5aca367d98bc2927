//! Tests of the held store: exact round trips of the on-disk form, the merge order (ties by
//! input, then arrival), the all-or-nothing spill count, and a clear error for a bad directory.

use std::sync::Arc;

use enumwatch_engine::Hit;
use enumwatch_event::{Event, Location, LogSource};
use jiff::Timestamp;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::codec::record_len;
use super::held::{decode_body, decode_key, encode, estimate};
use super::*;

/// Everything about a held event, field order and float bits included.
fn fingerprint(m: &Matched) -> String {
    let fields: Vec<(String, String)> = m
        .event
        .fields
        .iter()
        .map(|(k, v)| (k.to_owned(), format!("{v:?}")))
        .collect();
    format!(
        "{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
        m.event.time,
        m.event.source,
        m.event.location,
        fields,
        format!("{:?}", m.event.raw),
        m.hits
    )
}

fn matched(source: &str, record: u64, second: Option<i64>, tag: &str) -> Matched {
    let raw = Arc::new(json!({"eventName": "ListUsers", "tag": tag, "n": -3, "f": 0.1}));
    let mut event = Event::new(
        LogSource::Cloudtrail,
        Location::new(Arc::from(source), record).with_line(record + 1),
        raw,
    );
    event.time = second.map(|s| Timestamp::from_second(1_700_000_000 + s).unwrap());
    event.fields.insert("actor.name", tag.to_owned());
    event.fields.insert("x.count", 7);
    Matched {
        event,
        hits: vec![Hit {
            rule: 2,
            matched_fields: vec![("eventName".to_owned(), "ListUsers".to_owned())],
        }],
    }
}

fn round_trip(m: &Matched) -> Matched {
    let mut buf = Vec::new();
    encode(&mut buf, 3, 9, m);
    let len = record_len(buf[..4].try_into().unwrap());
    assert_eq!(len, buf.len() - 4);
    let mut last = None;
    let (key, body) = decode_key(&buf[4..], &mut last).unwrap();
    assert_eq!((key.input, key.seq), (3, 9));
    assert_eq!(key.time, m.event.time);
    assert_eq!(key.location, m.event.location);
    decode_body(&buf[4 + body..], &key).unwrap()
}

#[test]
fn a_held_event_reads_back_exactly() {
    let mut m = matched("a.jsonl", 5, Some(-86_400 * 365 * 60), "bob");
    m.event.time = Some(Timestamp::new(-5, -250_000_000).unwrap());
    m.event.raw = Arc::new(json!({
        "z": 1, "a": [null, true, false, u64::MAX, i64::MIN, 1.0e-308, 0.30000000000000004],
        "nested": {"y": {"x": "é\u{0}"}, "b": []}, "e": {}
    }));
    m.event.location.record_id = Some(u64::MAX);
    let back = round_trip(&m);
    assert_eq!(fingerprint(&back), fingerprint(&m));
    assert_eq!(
        serde_json::to_string(&back.event.raw).unwrap(),
        serde_json::to_string(&m.event.raw).unwrap(),
        "keys keep their order"
    );
}

#[test]
fn a_damaged_record_is_an_error_not_a_panic() {
    let mut buf = Vec::new();
    encode(&mut buf, 0, 0, &matched("a", 0, Some(1), "bob"));
    for cut in 4..buf.len() {
        let mut last = None;
        if let Ok((key, body)) = decode_key(&buf[4..cut], &mut last) {
            assert!(
                decode_body(&buf[4 + body..cut], &key).is_err(),
                "cut at {cut}"
            );
        }
    }
}

fn arb_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<u64>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".{0,12}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec(("[a-z.]{1,8}", inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn any_event_round_trips(
        second in prop::option::of(-10_000_000_000i64..10_000_000_000),
        nanos in 0i32..1_000_000_000,
        record in any::<u64>(),
        line in prop::option::of(any::<u64>()),
        fields in prop::collection::vec(("[a-z]{1,3}\\.[a-z]{1,6}", arb_value()), 0..8),
        raw in arb_value(),
        hits in prop::collection::vec((0usize..1000, prop::collection::vec((".{0,6}", ".{0,6}"), 0..3)), 0..4),
    ) {
        let mut event = Event::new(
            LogSource::ALL[(record % 16) as usize],
            Location { source: Arc::from("in/put.jsonl"), record, line, record_id: None },
            Arc::new(raw),
        );
        event.time = second.map(|s| {
            let n = if s < 0 { -nanos } else { nanos };
            Timestamp::new(s, n).unwrap()
        });
        for (k, v) in fields {
            event.fields.insert(k, v);
        }
        let m = Matched {
            event,
            hits: hits.into_iter().map(|(rule, matched_fields)| Hit { rule, matched_fields }).collect(),
        };
        prop_assert_eq!(fingerprint(&round_trip(&m)), fingerprint(&m));
    }
}

/// Push `inputs` (each a list of events) through a store of `budget` bytes, the inputs' pushes
/// interleaved and the inputs finished last to first; return what a scan visits.
fn through_store(inputs: &[Vec<Matched>], budget: u64) -> (Vec<String>, u64) {
    let dir = tempfile::tempdir().unwrap();
    let store = HeldStore::new(budget, dir.path().to_owned(), Purpose::Correlation, ());
    let mut buffers: Vec<HeldBuffer<'_>> = (0..inputs.len()).map(|i| store.buffer(i)).collect();
    let longest = inputs.iter().map(Vec::len).max().unwrap_or(0);
    for n in 0..longest {
        for (i, events) in inputs.iter().enumerate() {
            if let Some(m) = events.get(n) {
                buffers[i].push(m.clone());
            }
        }
    }
    while let Some(b) = buffers.pop() {
        b.finish();
    }
    let held = store.finish().unwrap();
    let mut seen = Vec::new();
    held.scan(|item| {
        let m = item.matched()?;
        assert_eq!(item.time(), m.event.time);
        seen.push(fingerprint(&m));
        Ok(())
    })
    .unwrap();
    // Every pass sees the same sequence.
    let mut again = Vec::new();
    held.scan(|item| {
        again.push(fingerprint(&*item.matched()?));
        Ok(())
    })
    .unwrap();
    assert_eq!(seen, again);
    (seen, held.spilled())
}

/// What the correlation pass saw before there was a store: the events in input order, sorted
/// stably by (time, location).
fn stable_sorted(inputs: &[Vec<Matched>]) -> Vec<String> {
    let mut all: Vec<&Matched> = inputs.iter().flatten().collect();
    all.sort_by(|a, b| (a.event.time, &a.event.location).cmp(&(b.event.time, &b.event.location)));
    all.into_iter().map(fingerprint).collect()
}

#[test]
fn spilled_runs_merge_into_the_stable_order_ties_by_input_then_arrival() {
    // Equal (time, location) across inputs (the same file named twice) and within one input
    // (several events of one record), timeless events, and times out of order.
    let inputs: Vec<Vec<Matched>> = (0..3)
        .map(|i| {
            let mut v = Vec::new();
            for r in 0..40u64 {
                let second = if r % 7 == 0 {
                    None
                } else {
                    Some((r as i64 * 13) % 5)
                };
                v.push(matched(
                    "same.jsonl",
                    r % 4,
                    second,
                    &format!("in{i}-r{r}-a"),
                ));
                v.push(matched(
                    "same.jsonl",
                    r % 4,
                    second,
                    &format!("in{i}-r{r}-b"),
                ));
            }
            v
        })
        .collect();
    let expected = stable_sorted(&inputs);
    let (memory, spilled) = through_store(&inputs, u64::MAX);
    assert_eq!(spilled, 0);
    assert_eq!(memory, expected);
    // Budget 0: every push writes a run of one event; 240 runs need merging in two rounds.
    let (disk, spilled) = through_store(&inputs, 0);
    assert_eq!(spilled, 240, "every held event is counted once");
    assert_eq!(disk, expected);
    // A budget of a few events: runs of several events, some left in memory at the end.
    let few = 5 * estimate(&inputs[0][0]);
    let (some, spilled) = through_store(&inputs, few);
    assert_eq!(spilled, 240, "once over the budget, all of them go to disk");
    assert_eq!(some, expected);
}

#[test]
fn spilling_is_all_or_nothing_and_decided_by_the_total() {
    let inputs = vec![
        (0..10)
            .map(|r| matched("a", r, Some(1), "x"))
            .collect::<Vec<_>>(),
    ];
    let total: u64 = inputs[0].iter().map(estimate).sum();
    assert_eq!(through_store(&inputs, total).1, 0);
    assert_eq!(through_store(&inputs, total - 1).1, 10);
}

#[test]
fn an_unwritable_spill_directory_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_dir = dir.path().join("file");
    std::fs::write(&not_a_dir, "x").unwrap();
    let spill_dir = not_a_dir.join("spill");
    let store = HeldStore::new(0, spill_dir.clone(), Purpose::Correlation, ());
    let mut buffer = store.buffer(0);
    buffer.push(matched("a", 0, Some(1), "x"));
    buffer.push(matched("a", 1, Some(2), "x"));
    buffer.finish();
    let Err(err) = store.finish() else {
        panic!("the spill directory is not a directory");
    };
    let text = err.to_string();
    assert!(matches!(err, SpillError::Create { .. }), "{text}");
    assert!(text.contains(&spill_dir.display().to_string()), "{text}");
    assert!(text.contains("TMPDIR"), "{text}");
}
