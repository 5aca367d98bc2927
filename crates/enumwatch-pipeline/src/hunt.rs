//! `Hunter`: compiled rules plus the stages, run over a list of inputs.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use enumwatch_alert::{Alert, AlertBuilder, alert_order};
use enumwatch_decode::{
    DecodeLimits, Format, LineBatch, LineBatches, LineDecoder, LineOutcome, SeekRead,
    decode_seekable,
};
use enumwatch_engine::{EngineError, Hit, Matcher, NoPrefilter, RawFacts, RawPrefilter};

use crate::correlate;
use crate::correlate::{FoldNotes, Folds};
use crate::ordered::Ordered;
use crate::spool::{
    DEFAULT_MAX_ALERT_BYTES, DEFAULT_MAX_HELD_BYTES, HeldBuffer, HeldStore, Item, Purpose,
    SpillError, Spool, SpoolBuffer, Steps,
};
use crate::tuning::{Tuner, TuningView, VIEW_FIELDS};
use enumwatch_config::Config;
use enumwatch_enrich::{CloudEnricher, CommandLineEnricher};
use enumwatch_event::{Event, RunStats};
use enumwatch_ingest::{Input, Limits, open};
use enumwatch_normalize::{Disposition, Normalizer};
use enumwatch_rules::{RuleKind, RuleSet};
use rayon::prelude::*;
use thiserror::Error;

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PipelineError {
    #[error("cannot compile the rules: {0}")]
    Engine(#[from] EngineError),
    #[error("GeoContext (saas.geo_context.geoip_database): {0}")]
    Geo(#[from] enumwatch_geo::GeoError),
    #[error("rule {rule}: {message}")]
    Tunable { rule: String, message: String },
    #[error("cannot start {threads} worker threads: {message}")]
    Threads { threads: usize, message: String },
    #[error(transparent)]
    Spill(#[from] SpillError),
}

/// Knobs of a hunt.
#[derive(Debug, Clone, Default)]
pub struct HuntOptions {
    /// Worker threads; 0 = one per core.
    pub threads: usize,
    pub limits: Limits,
    pub decode_limits: DecodeLimits,
    /// Raw bytes consumed so far, for a progress display.
    pub progress: Option<Arc<AtomicU64>>,
    /// The tunables (`enumwatch.toml`).
    pub config: Config,
    /// Today's date (`YYYY-MM-DD` as a triple) for tuning-entry expiry; `None` applies every
    /// entry. The caller reads the clock; the pipeline never does.
    pub today: Option<(i16, i8, i8)>,
    /// First-seen baseline (`enumwatch baseline`) to mark `ctx.new_*` on events.
    pub baseline: Option<Arc<crate::Baseline>>,
    /// Skip JSON records holding none of the rules' literals, when every detection rule of the
    /// set reduces to literals of the raw text (`RawPrefilter`); otherwise every record is parsed.
    pub prefilter: bool,
    /// Estimated bytes of the events held for the correlation pass kept in memory; past it they
    /// go to sorted runs in a temporary file. `None`: `DEFAULT_MAX_HELD_BYTES`.
    pub max_held_bytes: Option<u64>,
    /// Estimated bytes of detection alerts kept in memory until they are sorted; past it they go
    /// to sorted runs in a temporary file. `None`: `DEFAULT_MAX_ALERT_BYTES`.
    pub max_alert_bytes: Option<u64>,
    /// Where those runs go; `None`: the system's temporary directory (`TMPDIR`).
    pub spill_dir: Option<std::path::PathBuf>,
}

/// What a hunt found.
#[derive(Debug, Clone, Default)]
pub struct HuntOutput {
    /// Sorted by event time, input, record, rule.
    pub alerts: Vec<Alert>,
    /// Alerts a tuning entry suppressed, marked with it, in the same order.
    pub suppressed: Vec<Alert>,
    pub stats: RunStats,
}

/// A matched event and the rules it matched.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Matched {
    pub(crate) event: Event,
    pub(crate) hits: Vec<Hit>,
}

/// One input's share of the work, merged in input order. Only what the whole-hunt stages need
/// outlives the input: an event is dropped once its alerts are built (they go to the alert
/// spool), unless a correlation rule aggregates one of its hits.
#[derive(Default)]
struct InputOutcome {
    stats: RunStats,
}

/// One item a decoder yields.
type DecodedItem = Result<enumwatch_event::RawRecord, enumwatch_decode::DecodeError>;

/// Records per batch handed from a pipelined input's decoding thread to its consumer.
const PIPELINE_BATCH: usize = 256;
/// Batches in flight between them (bounds the memory of a pipelined input).
const PIPELINE_DEPTH: usize = 8;

/// What one input's consumer accumulates.
struct InputState<'h> {
    stats: RunStats,
    out: InputOutcome,
    noted_unrecognized: bool,
    /// Events with a hit of a rule some correlation aggregates (the correlation pass
    /// re-evaluates them and builds evidence from them), pruned to the raw paths rules read.
    held: HeldBuffer<'h>,
    /// Alerts of the detection rules that alert by themselves, in the order their events were
    /// matched and, per event, of its hits.
    alerts: SpoolBuffer<'h, Alert>,
}

/// Bytes of JSON lines read per batch when an input's lines are decoded in parallel: enough
/// to share among threads, little enough to keep two batches in memory.
const LINE_BATCH_BYTES: usize = 1 << 20;

/// Each line of `batch` decoded, on as many threads as are free.
fn decode_batch(decoder: &LineDecoder, batch: LineBatch) -> (LineBatch, Vec<LineOutcome>) {
    let outcomes = (0..batch.len())
        .into_par_iter()
        .with_min_len(64)
        .map(|i| decoder.outcome(&batch, i))
        .collect();
    (batch, outcomes)
}

/// What normalizing and matching one input's records carries from one record to the next.
#[derive(Default)]
struct Consumer {
    reported: u64,
    seen: usize,
    normalizer: Normalizer,
    events: Vec<Event>,
    hits: Vec<Hit>,
}

impl Consumer {
    /// Normalize, enrich and match `items`; false once an error ends the input.
    fn feed(
        &mut self,
        hunter: &Hunter,
        items: impl Iterator<Item = DecodedItem>,
        bytes_read: &Arc<AtomicU64>,
        state: &mut InputState<'_>,
    ) -> bool {
        let stats = &mut state.stats;
        for item in items {
            let n = self.seen;
            self.seen += 1;
            match item {
                Ok(record) => {
                    stats.records += 1;
                    let location = record.location.clone();
                    match self.normalizer.push(record, &mut self.events) {
                        Disposition::Emitted(_) | Disposition::Held => {}
                        Disposition::Ignored { source, reason } => {
                            *stats
                                .ignored
                                .entry(format!("{source}: {reason}"))
                                .or_default() += 1;
                        }
                        Disposition::NoEvent { reason } => {
                            *stats.ignored.entry(reason.to_owned()).or_default() += 1;
                        }
                        Disposition::Unrecognized => {
                            stats.unrecognized += 1;
                            // One located example per input; the rest are counted.
                            if !state.noted_unrecognized {
                                state.noted_unrecognized = true;
                                stats.note_problem(
                                    location.to_string(),
                                    "unrecognized",
                                    "no normalizer recognizes this record's shape (later \
                                     unrecognized records of this input are only counted); see \
                                     `enumwatch --help` for the supported logs"
                                        .to_owned(),
                                );
                            }
                        }
                    }
                    hunter.match_events(
                        &mut self.events,
                        &mut self.hits,
                        &mut state.held,
                        &mut state.alerts,
                        stats,
                    );
                }
                Err(err) => {
                    stats.malformed_record(&err.location, err.reason(), err.to_string());
                    if !err.can_continue() {
                        return false;
                    }
                }
            }
            if n.is_multiple_of(1024) {
                report_progress(&hunter.options.progress, bytes_read, &mut self.reported);
            }
        }
        true
    }

    /// The records the normalizer still holds, matched.
    fn finish(mut self, hunter: &Hunter, bytes_read: &Arc<AtomicU64>, state: &mut InputState<'_>) {
        self.normalizer.finish(&mut self.events);
        hunter.match_events(
            &mut self.events,
            &mut self.hits,
            &mut state.held,
            &mut state.alerts,
            &mut state.stats,
        );
        report_progress(&hunter.options.progress, bytes_read, &mut self.reported);
    }
}

/// The compiled rule set and the stages that run it.
pub struct Hunter {
    rules: RuleSet,
    matcher: Matcher,
    correlation_rules: bool,
    /// Detection rules that only feed correlations and never alert by themselves.
    building_blocks: HashSet<usize>,
    /// Rules some correlation aggregates: their events are kept for the correlation pass.
    correlated: HashSet<usize>,
    /// The tuning entries live on the hunt's date: alerts are judged as they are built.
    tuner: Tuner,
    enricher: CommandLineEnricher,
    cloud: CloudEnricher,
    builder: AlertBuilder,
    options: HuntOptions,
    /// The literal prefilter in use, or why there is none.
    prefilter: Result<Arc<RawPrefilter>, NoPrefilter>,
    /// The raw paths the rules can read: events held for the correlation pass keep only these
    /// (`None`: the rules may read any, so held events keep their whole record).
    raw_paths: Option<Arc<[String]>>,
}

/// What the normalizers guarantee about raw text, for the prefilter.
const RAW_FACTS: RawFacts = RawFacts {
    signature: enumwatch_normalize::raw_facts::signature,
    field_literals: enumwatch_normalize::raw_facts::field_literals,
};

impl Hunter {
    pub fn new(mut rules: RuleSet, options: HuntOptions) -> Result<Self, PipelineError> {
        tune_correlations(&mut rules, &options.config)?;
        let matcher = Matcher::new(&rules)?;
        let correlation_rules = rules
            .rules()
            .iter()
            .any(|r| matches!(r.kind, RuleKind::Correlation));
        let mut options = options;
        let prefilter = if options.prefilter {
            RawPrefilter::build_with(&rules, Some(&matcher), Some(&RAW_FACTS)).map(Arc::new)
        } else {
            Err(NoPrefilter {
                rule: "-".to_owned(),
                reason: "--no-prefilter was given".to_owned(),
            })
        };
        if let Ok(p) = &prefilter {
            let shared: Arc<dyn enumwatch_event::RecordPrefilter> = Arc::clone(p) as _;
            options.decode_limits.prefilter = Some(shared);
        }
        let tuner = Tuner::new(&options.config.tuning, options.today);
        // Held events become correlation alerts, judged by tuning: they keep the raw paths
        // alerts and tuning read too, so they say what the events said when matched.
        let raw_paths = enumwatch_engine::raw_fields(&rules).map(|mut paths| {
            for name in enumwatch_alert::RAW_FIELDS_READ.iter().chain(&VIEW_FIELDS) {
                if !paths.iter().any(|p| p == name) {
                    paths.push((*name).to_owned());
                }
            }
            Arc::from(paths)
        });
        Ok(Self {
            prefilter,
            raw_paths,
            building_blocks: correlate::building_blocks(&rules),
            correlated: correlate::members(&rules),
            tuner,
            rules,
            matcher,
            correlation_rules,
            enricher: CommandLineEnricher::new(),
            cloud: cloud_enricher(&options.config)?,
            builder: AlertBuilder::new(),
            options,
        })
    }

    pub fn rules(&self) -> &RuleSet {
        &self.rules
    }

    /// The prefilter line of the summary: shown when it runs, or when the user's own rules keep
    /// it off (the built-in analytics alone always let it run).
    fn prefilter_status(&self) -> String {
        let own_rules = self
            .rules
            .rules()
            .iter()
            .any(|r| !r.source.starts_with("builtin:"));
        match &self.prefilter {
            Ok(p) => format!(
                "on: JSON records holding none of {} literal(s) of {} rule(s) are skipped unparsed",
                p.literals(),
                p.rules()
            ),
            Err(why) if own_rules => format!("off, every record is parsed: {why}"),
            Err(_) => String::new(),
        }
    }

    /// The literal prefilter JSON records go through, or why every record is parsed.
    pub fn prefilter(&self) -> Result<&RawPrefilter, &NoPrefilter> {
        self.prefilter.as_deref()
    }

    /// Hunt through `inputs`; unreadable inputs and malformed records are counted in the stats
    /// with their locations, and everything readable is still processed. Every alert is kept in
    /// memory: `hunt_each` hands them over one by one instead.
    pub fn hunt(&self, inputs: &[Input]) -> Result<HuntOutput, PipelineError> {
        let (mut alerts, mut suppressed) = (Vec::new(), Vec::new());
        let stats = self.hunt_each(inputs, true, &mut |alert: &Alert| {
            match alert.suppressed_by {
                Some(_) => suppressed.push(alert.clone()),
                None => alerts.push(alert.clone()),
            }
            true
        })?;
        Ok(HuntOutput {
            alerts,
            suppressed,
            stats,
        })
    }

    /// Hunt through `inputs` and hand each alert to `emit` in output order (event time,
    /// evidence, rule), with those tuning suppressed too when `show_suppressed` (marked, each
    /// after the shown alerts it ties with). `emit` returns false to stop (the caller keeps its
    /// error); the stats are still returned. Detection alerts wait for their sort in memory up
    /// to `max_alert_bytes` and past it in sorted runs on disk, so memory stays bounded however
    /// many alerts a hunt raises.
    pub fn hunt_each(
        &self,
        inputs: &[Input],
        show_suppressed: bool,
        emit: &mut dyn FnMut(&Alert) -> bool,
    ) -> Result<RunStats, PipelineError> {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(self.options.threads)
            .build()
            .map_err(|e| PipelineError::Threads {
                threads: self.options.threads,
                message: e.to_string(),
            })?;
        // Fewer inputs than threads would leave threads idle: then a JSON-lines input's lines are
        // decoded in parallel batches, and any other input's decoding (read, prefilter, parse)
        // but EVTX's (whose chunks render in parallel on the pool anyway) runs on a thread of its
        // own, ahead of the rest of its pipeline.
        let pipelined = pool.current_num_threads() > inputs.len();
        let spill_dir = || {
            self.options
                .spill_dir
                .clone()
                .unwrap_or_else(std::env::temp_dir)
        };
        let held = HeldStore::new(
            self.options
                .max_held_bytes
                .unwrap_or(DEFAULT_MAX_HELD_BYTES),
            spill_dir(),
            Purpose::Correlation,
            (),
        );
        let alerts = Spool::<Alert>::new(
            self.options
                .max_alert_bytes
                .unwrap_or(DEFAULT_MAX_ALERT_BYTES),
            spill_dir(),
            Purpose::Alerts,
            Steps::of(&self.rules),
        );
        let outcomes: Vec<InputOutcome> = pool.install(|| {
            inputs
                .par_iter()
                .enumerate()
                .map(|(n, i)| self.hunt_input(i, n, pipelined, &held, &alerts))
                .collect()
        });

        let mut stats = RunStats::default();
        for outcome in outcomes {
            stats.merge(outcome.stats);
        }
        let held = held.finish()?;
        let mut correlated = Vec::new();
        if self.correlation_rules {
            correlated =
                correlate::correlate(&self.rules, &self.builder, &self.tuner, &held, &mut stats)?;
        }
        drop(held);
        let detections = alerts.finish()?;
        stats.alerts_spilled = detections.spilled();
        // The fold's index is of the correlation alerts' evidence: built only when some
        // detection alert could fold (a correlation rule selected alone raises none).
        let folds = if detections.is_empty() {
            Folds::new(&[])
        } else {
            Folds::new(&correlated)
        };
        if !correlated.is_empty() && !detections.is_empty() {
            let mut notes = FoldNotes::default();
            detections.scan(|item| {
                let alert = item.get()?;
                if let Some(host) = folds.host(&correlated, &alert) {
                    notes.add(host, item.position(), &alert);
                }
                Ok(())
            })?;
            notes.apply(&mut correlated);
        }
        stats.prefilter = self.prefilter_status();
        stats
            .tuning_expired
            .extend(self.tuner.expired().iter().cloned());
        let mut out = Ordered::new(show_suppressed, emit, &mut stats);
        // Correlation alerts in output order; they follow the detections they tie with, as
        // they followed every detection before the sort.
        let mut order: Vec<usize> = (0..correlated.len()).collect();
        order.sort_by(|&i, &j| alert_order(&correlated[i], &correlated[j]).then(i.cmp(&j)));
        let mut next = order.iter().map(|&i| &correlated[i]).peekable();
        detections.scan(|item: Item<'_, Alert>| {
            if out.stopped() {
                return Ok(());
            }
            let alert = item.get()?;
            if folds.host(&correlated, &alert).is_some() {
                return Ok(());
            }
            while let Some(c) = next.next_if(|c| alert_order(c, &alert).is_lt()) {
                out.put(c);
            }
            out.put(&alert);
            Ok(())
        })?;
        for c in next {
            out.put(c);
        }
        out.finish();
        Ok(stats)
    }

    fn hunt_input(
        &self,
        input: &Input,
        number: usize,
        pipelined: bool,
        held: &HeldStore,
        alerts: &Spool<Alert>,
    ) -> InputOutcome {
        let mut state = InputState {
            stats: RunStats {
                inputs: 1,
                ..RunStats::default()
            },
            out: InputOutcome::default(),
            noted_unrecognized: false,
            held: held.buffer(number),
            alerts: alerts.buffer(number),
        };
        let opened = match open(input, &self.options.limits) {
            Ok(opened) => opened,
            Err(err) => {
                state.stats.inputs_unreadable += 1;
                state.stats.note_problem(
                    input.name.to_string(),
                    "unreadable_input",
                    err.to_string(),
                );
                state.held.finish();
                state.alerts.finish();
                state.out.stats = state.stats;
                return state.out;
            }
        };
        let bytes_read = Arc::clone(&opened.bytes_read);
        let decoder = decode_seekable(
            Arc::clone(&input.name),
            opened.reader,
            opened.seekable.map(|s| Box::new(s) as Box<dyn SeekRead>),
            &self.options.decode_limits,
        );
        let decoder = if pipelined {
            match decoder.into_line_batches() {
                Ok(batches) => {
                    let (prefiltered, format) =
                        self.consume_batches(batches, &bytes_read, &mut state);
                    return self.close_input(state, &bytes_read, prefiltered, format);
                }
                Err(decoder) => decoder,
            }
        } else {
            decoder
        };
        // An EVTX log's chunks are rendered in parallel on the pool's workers (`evtx_records`),
        // which this thread is one of; a decoding thread of its own would render them one at a
        // time and hand every record's allocations to another thread to free. Syslog's event
        // XML, built into many small allocations, gains nothing the same way: over one 256 MiB
        // syslog a decoding thread of its own took 2.33–2.74 s and 2.9–3.6 s of CPU, decoding
        // on the consuming thread 2.31–2.42 s and 2.3 s.
        let pipelined =
            pipelined && !matches!(decoder.format(), Some(Format::Evtx | Format::Syslog));
        let (prefiltered, format) = if pipelined {
            std::thread::scope(|scope| {
                let (tx, rx) = std::sync::mpsc::sync_channel::<Vec<DecodedItem>>(PIPELINE_DEPTH);
                let producer = scope.spawn(move || {
                    let mut decoder = decoder;
                    let mut batch = Vec::with_capacity(PIPELINE_BATCH);
                    for item in &mut decoder {
                        batch.push(item);
                        if batch.len() == PIPELINE_BATCH {
                            // A closed channel means the consumer stopped (a fatal input error).
                            if tx.send(std::mem::take(&mut batch)).is_err() {
                                break;
                            }
                            batch.reserve(PIPELINE_BATCH);
                        }
                    }
                    if !batch.is_empty() {
                        tx.send(batch).ok();
                    }
                    (decoder.prefiltered(), decoder.format())
                });
                self.consume(rx.into_iter().flatten(), &bytes_read, &mut state);
                producer
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
        } else {
            let mut decoder = decoder;
            self.consume(&mut decoder, &bytes_read, &mut state);
            (decoder.prefiltered(), decoder.format())
        };
        self.close_input(state, &bytes_read, prefiltered, format)
    }

    /// One input's outcome, once all its records went through.
    fn close_input(
        &self,
        state: InputState<'_>,
        bytes_read: &Arc<AtomicU64>,
        prefiltered: u64,
        format: Option<Format>,
    ) -> InputOutcome {
        let InputState {
            mut stats,
            mut out,
            held,
            alerts,
            ..
        } = state;
        held.finish();
        alerts.finish();
        stats.bytes = bytes_read.load(Ordering::Relaxed);
        stats.records_prefiltered = prefiltered;
        match format {
            Some(format) => {
                *stats.formats.entry(format.name().to_owned()).or_default() += 1;
            }
            None if stats.records == 0 && stats.malformed_total() == 0 => stats.inputs_empty += 1,
            None => {}
        }
        out.stats = stats;
        out
    }

    /// Normalize, enrich and match one input's records, in input order.
    fn consume(
        &self,
        items: impl Iterator<Item = DecodedItem>,
        bytes_read: &Arc<AtomicU64>,
        state: &mut InputState<'_>,
    ) {
        let mut consumer = Consumer::default();
        consumer.feed(self, items, bytes_read, state);
        consumer.finish(self, bytes_read, state);
    }

    /// `consume` for a JSON-lines input, whose lines are decoded in parallel, in three
    /// overlapping stages: while batch k is normalized and matched, batch k + 1 is decoded (on
    /// every thread of the pool that is free) and batch k + 2 is read. Records are numbered in
    /// input order, so the result is the sequential one.
    fn consume_batches(
        &self,
        mut batches: LineBatches,
        bytes_read: &Arc<AtomicU64>,
        state: &mut InputState<'_>,
    ) -> (u64, Option<Format>) {
        let mut consumer = Consumer::default();
        let (framer, decoder, numbering) = batches.parts();
        let mut read = framer.read(LINE_BATCH_BYTES);
        let mut decoded: Option<Vec<DecodedItem>> = None;
        loop {
            let (current, to_decode) = (decoded.take(), read.take());
            if current.is_none() && to_decode.is_none() {
                break;
            }
            let (next_read, (outcomes, going)) = rayon::join(
                || framer.read(LINE_BATCH_BYTES),
                || {
                    rayon::join(
                        || to_decode.map(|batch| decode_batch(decoder, batch)),
                        || match current {
                            Some(items) => {
                                consumer.feed(self, items.into_iter(), bytes_read, state)
                            }
                            None => true,
                        },
                    )
                },
            );
            if !going {
                break;
            }
            decoded = outcomes.map(|(batch, outcomes)| numbering.number(batch, outcomes, decoder));
            read = next_read;
        }
        consumer.finish(self, bytes_read, state);
        (batches.prefiltered(), Some(batches.format()))
    }

    fn match_events(
        &self,
        events: &mut Vec<Event>,
        hits: &mut Vec<Hit>,
        held: &mut HeldBuffer<'_>,
        alerts: &mut SpoolBuffer<'_, Alert>,
        stats: &mut RunStats,
    ) {
        for mut event in events.drain(..) {
            let source = event.source.name();
            match stats.events.get_mut(source) {
                Some(count) => *count += 1,
                None => {
                    stats.events.insert(source.to_owned(), 1);
                }
            }
            self.enricher.enrich(&mut event);
            if let Some(reason) = self.cloud.enrich(&mut event) {
                *stats.expected.entry(reason).or_default() += 1;
            }
            if let Some(baseline) = &self.options.baseline {
                baseline.mark(&mut event);
            }
            hits.clear();
            self.matcher.matches(&event, hits);
            if hits.is_empty() {
                continue;
            }
            stats.hits += hits.len() as u64;
            let view = self.tuner.is_live().then(|| [TuningView::of(&event)]);
            for hit in hits.iter() {
                if let Some(rule) = self.rules.rules().get(hit.rule)
                    && matches!(rule.kind, RuleKind::Detection)
                    && !self.building_blocks.contains(&hit.rule)
                {
                    let mut alert = self.builder.from_hit(rule, hit, &event);
                    if let Some(view) = &view {
                        self.tuner.judge(&mut alert, view);
                    }
                    alerts.push(alert);
                }
            }
            drop(view);
            if hits.iter().any(|h| self.correlated.contains(&h.rule)) {
                if let Some(paths) = &self.raw_paths {
                    event.raw = Arc::new(enumwatch_engine::prune(&event.raw, paths));
                }
                held.push(Matched {
                    event,
                    hits: std::mem::take(hits),
                });
            }
        }
    }
}

/// Countries from the user's MaxMind-format database.
struct Geo(enumwatch_geo::GeoDb);

impl enumwatch_enrich::cloud::CountryLookup for Geo {
    fn country(&self, ip: std::net::IpAddr) -> Option<String> {
        self.0.country(ip).map(|c| c.iso_code)
    }
}

fn cloud_enricher(config: &Config) -> Result<CloudEnricher, PipelineError> {
    let enricher = CloudEnricher::new(config.clone());
    Ok(match &config.saas.geo_context.geoip_database {
        Some(path) => enricher.with_geo(Box::new(Geo(enumwatch_geo::GeoDb::open(path)?))),
        None => enricher,
    })
}

/// Apply the configuration's thresholds and windows to the correlation rules that name them.
fn tune_correlations(rules: &mut RuleSet, config: &Config) -> Result<(), PipelineError> {
    let wanted: Vec<(usize, String, Option<String>, Option<String>)> = rules
        .rules()
        .iter()
        .enumerate()
        .filter(|(_, m)| m.threshold_key.is_some() || m.timespan_key.is_some())
        .map(|(i, m)| {
            (
                i,
                m.id.clone(),
                m.threshold_key.clone(),
                m.timespan_key.clone(),
            )
        })
        .collect();
    for (index, rule, threshold_key, timespan_key) in wanted {
        let unknown = |key: &str, known: &[&str]| PipelineError::Tunable {
            rule: rule.clone(),
            message: format!(
                "`enumwatch.threshold`/`timespan` names `{key}`, which is not a configuration key of that kind; expected one of {}",
                known.join(", ")
            ),
        };
        let threshold = match &threshold_key {
            Some(key) => Some(
                config
                    .number(key)
                    .ok_or_else(|| unknown(key, Config::number_keys()))?,
            ),
            None => None,
        };
        let timespan = match &timespan_key {
            Some(key) => Some(
                config
                    .window(key)
                    .ok_or_else(|| unknown(key, Config::window_keys()))?
                    .to_string(),
            ),
            None => None,
        };
        rules
            .tune_correlation(index, threshold, timespan.as_deref())
            .map_err(|message| PipelineError::Tunable {
                rule: rule.clone(),
                message,
            })?;
    }
    Ok(())
}

fn report_progress(progress: &Option<Arc<AtomicU64>>, bytes_read: &AtomicU64, reported: &mut u64) {
    if let Some(progress) = progress {
        let now = bytes_read.load(Ordering::Relaxed);
        progress.fetch_add(now.saturating_sub(*reported), Ordering::Relaxed);
        *reported = now;
    }
}
