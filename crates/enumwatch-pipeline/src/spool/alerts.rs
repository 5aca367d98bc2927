//! The on-disk form of an alert awaiting its sort: exact, so an alert read back writes the same
//! bytes in every output format as the one that went out.
//!
//! The key is what the output order compares (time, first evidence, rule id) plus the input and
//! sequence that keep ties in the order the alerts were made; the body is the rest. The steps a
//! rule carries (`investigation`, `response`) are shared by its alerts in memory and written as
//! a reference to the rule's (`Steps`): written out with each alert they were most of a record,
//! and of the time a spilled hunt spent writing and reading its temporary file.

use std::collections::HashMap;
use std::sync::Arc;

use enumwatch_alert::{
    Alert, AlertRule, Confidence, Evidence, HuntingQueries, Severity, Suppression, TECHNIQUE,
    alert_order,
};
use enumwatch_event::{LogSource, Platform, ToolCategory};
use enumwatch_rules::RuleSet;
use jiff::Timestamp;

use super::codec::{Damaged, Reader, begin, end, put_opt, put_opt_str, put_str, put_uint};
use super::held::ALLOCATION;
use super::{Spilled, Stored};

/// Where an alert sits in the output order; the derived order equals `alert_order`, then input
/// and sequence.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Key {
    pub(crate) time: Option<String>,
    pub(crate) evidence: Option<Evidence>,
    pub(crate) rule: String,
    pub(crate) input: u32,
    pub(crate) seq: u64,
}

/// The step lists of every rule, by the address of the shared list its alerts point to.
pub(crate) struct Steps {
    index: HashMap<usize, u64>,
    lists: Vec<Arc<[String]>>,
}

impl Steps {
    pub(crate) fn of(rules: &RuleSet) -> Self {
        let mut steps = Steps {
            index: HashMap::new(),
            lists: Vec::new(),
        };
        for rule in rules.rules() {
            for list in [&rule.investigation, &rule.response] {
                let next = steps.lists.len() as u64;
                steps.index.entry(address(list)).or_insert_with(|| {
                    steps.lists.push(Arc::clone(list));
                    next
                });
            }
        }
        steps
    }

    fn put(&self, out: &mut Vec<u8>, list: &Arc<[String]>) {
        match self.index.get(&address(list)) {
            Some(&i) => {
                out.push(1);
                put_uint(out, i);
            }
            None => {
                out.push(0);
                put_strs(out, list.iter());
            }
        }
    }

    fn get(&self, r: &mut Reader<'_>) -> Result<Arc<[String]>, Damaged> {
        match r.byte()? {
            0 => Ok(Arc::from(strs(r)?)),
            1 => usize::try_from(r.uint()?)
                .ok()
                .and_then(|i| self.lists.get(i))
                .cloned()
                .ok_or(Damaged("rule steps")),
            _ => Err(Damaged("rule steps tag")),
        }
    }
}

fn address(list: &Arc<[String]>) -> usize {
    Arc::as_ptr(list).cast::<String>() as usize
}

impl Spilled for Alert {
    type Key = Key;
    type Context = Steps;

    fn order(a: &Stored<Self>, b: &Stored<Self>) -> std::cmp::Ordering {
        alert_order(&a.item, &b.item).then((a.input, a.seq).cmp(&(b.input, b.seq)))
    }

    fn estimate(&self) -> u64 {
        estimate(self)
    }

    fn encode(steps: &Steps, out: &mut Vec<u8>, input: u32, seq: u64, alert: &Self) {
        encode(steps, out, input, seq, alert);
    }

    fn decode_key(
        payload: &[u8],
        last_source: &mut Option<Arc<str>>,
    ) -> Result<(Key, usize), Damaged> {
        let mut r = Reader {
            bytes: payload,
            at: 0,
        };
        let time = r.opt_str()?.map(str::to_owned);
        let evidence = match r.byte()? {
            0 => None,
            1 => Some(evidence(&mut r, last_source)?),
            _ => return Err(Damaged("evidence tag")),
        };
        let rule = r.str()?.to_owned();
        let input = u32::try_from(r.uint()?).map_err(|_| Damaged("input index"))?;
        let seq = r.uint()?;
        let key = Key {
            time,
            evidence,
            rule,
            input,
            seq,
        };
        Ok((key, r.at))
    }

    fn position(key: &Key) -> (u32, u64) {
        (key.input, key.seq)
    }

    fn decode_body(steps: &Steps, body: &[u8], key: &Key) -> Result<Self, Damaged> {
        decode_body(steps, body, key)
    }
}

fn put_evidence(out: &mut Vec<u8>, e: &Evidence) {
    put_str(out, &e.source);
    put_uint(out, e.record);
    put_opt(out, e.line);
    put_opt(out, e.record_id);
}

fn evidence(r: &mut Reader<'_>, last_source: &mut Option<Arc<str>>) -> Result<Evidence, Damaged> {
    Ok(Evidence {
        source: r.source(last_source)?,
        record: r.uint()?,
        line: r.opt()?,
        record_id: r.opt()?,
    })
}

fn put_strs<'a>(out: &mut Vec<u8>, items: impl ExactSizeIterator<Item = &'a String>) {
    put_uint(out, items.len() as u64);
    for s in items {
        put_str(out, s);
    }
}

fn strs(r: &mut Reader<'_>) -> Result<Vec<String>, Damaged> {
    let n = r.len()?;
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        out.push(r.str()?.to_owned());
    }
    Ok(out)
}

fn put_source(out: &mut Vec<u8>, source: LogSource) {
    let index = LogSource::ALL
        .iter()
        .position(|s| *s == source)
        .unwrap_or(usize::MAX);
    put_uint(out, index as u64);
}

fn source(r: &mut Reader<'_>) -> Result<LogSource, Damaged> {
    usize::try_from(r.uint()?)
        .ok()
        .and_then(|i| LogSource::ALL.get(i).copied())
        .ok_or(Damaged("log source"))
}

/// The optional texts of an alert's body, in their order on disk (`decode_body` reads them so).
fn optional_texts(a: &Alert) -> [&Option<String>; 7] {
    [
        &a.actor,
        &a.actor_id,
        &a.host,
        &a.process,
        &a.command_line,
        &a.tool,
        &a.command,
    ]
}

/// Append one record (length, key, body) to `out`.
pub(crate) fn encode(steps: &Steps, out: &mut Vec<u8>, input: u32, seq: u64, a: &Alert) {
    let start = begin(out);
    put_opt_str(out, a.time.as_deref());
    let mut evidence = a.evidence.iter();
    match evidence.next() {
        None => out.push(0),
        Some(first) => {
            out.push(1);
            put_evidence(out, first);
        }
    }
    put_str(out, &a.rule.id);
    put_uint(out, u64::from(input));
    put_uint(out, seq);
    // Body.
    put_str(out, &a.id);
    put_str(out, &a.rule.title);
    put_str(out, &a.rule.level);
    put_opt_str(out, a.analytic.as_deref());
    put_str(out, a.technique);
    put_str(out, a.platform.name());
    put_str(out, a.tool_category.name());
    put_str(out, a.severity.name());
    put_str(out, a.confidence.name());
    put_strs(out, a.factors.iter());
    put_source(out, a.log_source);
    for text in optional_texts(a) {
        put_opt_str(out, text.as_deref());
    }
    put_str(out, &a.explanation);
    put_uint(out, evidence.len() as u64);
    for e in evidence {
        put_evidence(out, e);
    }
    steps.put(out, &a.investigation);
    steps.put(out, &a.response);
    match a.hunting.parts() {
        None => out.push(0),
        Some((source, actor, at)) => {
            out.push(1);
            put_source(out, source);
            put_str(out, actor);
            out.extend_from_slice(&at.as_second().to_le_bytes());
            out.extend_from_slice(&at.subsec_nanosecond().to_le_bytes());
        }
    }
    match &a.suppressed_by {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            put_str(out, &s.entry);
            put_str(out, &s.owner);
            put_str(out, &s.reason);
        }
    }
    end(out, start);
}

fn opt_owned(r: &mut Reader<'_>) -> Result<Option<String>, Damaged> {
    Ok(r.opt_str()?.map(str::to_owned))
}

/// Decode a record's body into the alert it was made from.
pub(crate) fn decode_body(steps: &Steps, body: &[u8], key: &Key) -> Result<Alert, Damaged> {
    let mut r = Reader { bytes: body, at: 0 };
    let id = r.str()?.to_owned();
    let title = r.str()?.to_owned();
    let level = r.str()?.to_owned();
    let analytic = opt_owned(&mut r)?;
    if r.str()? != TECHNIQUE {
        return Err(Damaged("technique"));
    }
    let platform = Platform::from_name(r.str()?).ok_or(Damaged("platform"))?;
    let tool_category = ToolCategory::from_name(r.str()?).ok_or(Damaged("tool category"))?;
    let severity = Severity::from_name(r.str()?).ok_or(Damaged("severity"))?;
    let confidence = Confidence::from_name(r.str()?).ok_or(Damaged("confidence"))?;
    let factors = strs(&mut r)?;
    let log_source = source(&mut r)?;
    let actor = opt_owned(&mut r)?;
    let actor_id = opt_owned(&mut r)?;
    let host = opt_owned(&mut r)?;
    let process = opt_owned(&mut r)?;
    let command_line = opt_owned(&mut r)?;
    let tool = opt_owned(&mut r)?;
    let command = opt_owned(&mut r)?;
    let explanation = r.str()?.to_owned();
    let more = r.len()?;
    let mut evidence_list = Vec::with_capacity(more + 1);
    let mut last_source = None;
    if let Some(first) = &key.evidence {
        last_source = Some(Arc::clone(&first.source));
        evidence_list.push(first.clone());
    } else if more > 0 {
        return Err(Damaged("evidence without a first"));
    }
    for _ in 0..more {
        evidence_list.push(evidence(&mut r, &mut last_source)?);
    }
    let investigation = steps.get(&mut r)?;
    let response = steps.get(&mut r)?;
    let hunting = match r.byte()? {
        0 => HuntingQueries::default(),
        1 => {
            let source = source(&mut r)?;
            let actor = r.str()?;
            let secs = i64::from_le_bytes(r.array()?);
            let nanos = i32::from_le_bytes(r.array()?);
            let at = Timestamp::new(secs, nanos).map_err(|_| Damaged("pivot time"))?;
            let hunting = HuntingQueries::at(source, Some(actor), Some(at));
            if hunting.parts() != Some((source, actor, at)) {
                return Err(Damaged("pivot"));
            }
            hunting
        }
        _ => return Err(Damaged("pivot tag")),
    };
    let suppressed_by = match r.byte()? {
        0 => None,
        1 => Some(Suppression {
            entry: r.str()?.to_owned(),
            owner: r.str()?.to_owned(),
            reason: r.str()?.to_owned(),
        }),
        _ => return Err(Damaged("suppression tag")),
    };
    if r.at != body.len() {
        return Err(Damaged("trailing bytes"));
    }
    Ok(Alert {
        id,
        time: key.time.clone(),
        rule: AlertRule {
            id: key.rule.clone(),
            title,
            level,
        },
        analytic,
        technique: TECHNIQUE,
        platform,
        tool_category,
        severity,
        confidence,
        factors,
        log_source,
        actor,
        actor_id,
        host,
        process,
        command_line,
        tool,
        command,
        explanation,
        evidence: evidence_list,
        investigation,
        response,
        hunting,
        suppressed_by,
    })
}

/// Estimated heap bytes of an alert in the spool, from lengths only; the rule's steps are
/// shared by its alerts and not counted. Like held events', the lengths are scaled by 4/3 for
/// allocation size classes and spare capacity.
pub(crate) fn estimate(a: &Alert) -> u64 {
    let text = |s: &str| ALLOCATION + s.len() as u64;
    let opt = |s: &Option<String>| s.as_deref().map_or(0, text);
    let mut bytes = size_of::<Stored<Alert>>() as u64;
    bytes += text(&a.id) + opt(&a.time) + text(&a.rule.id) + text(&a.rule.title);
    bytes += text(&a.rule.level) + opt(&a.analytic) + text(&a.explanation);
    for s in optional_texts(a) {
        bytes += opt(s);
    }
    bytes += ALLOCATION + a.factors.len() as u64 * size_of::<String>() as u64;
    bytes += a.factors.iter().map(|f| text(f)).sum::<u64>();
    bytes += ALLOCATION + a.evidence.len() as u64 * size_of::<Evidence>() as u64;
    bytes += a.hunting.parts().map_or(0, |(_, actor, _)| text(actor));
    bytes * 4 / 3
}
