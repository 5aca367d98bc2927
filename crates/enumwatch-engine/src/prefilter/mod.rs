//! A literal prefilter on a record's raw JSON text: a record none of whose rules' required
//! literals appear in its bytes cannot match any rule, so it need not be parsed at all.
//!
//! Parsing dominates a hunt over JSON lines: a CloudTrail line costs microseconds to turn into a
//! DOM and well under one to scan for literals. So when every detection rule of the set can be
//! reduced to literals the raw text must hold, the decoder asks this filter before parsing and
//! skips (and counts) the lines it rejects. The decoder still checks that a rejected line is
//! well-formed JSON, so a malformed one is reported exactly as without the filter.
//!
//! # Soundness
//! The analysis may only weaken: a part of a rule that says nothing is dropped from a conjunction
//! and makes a disjunction say nothing; a rule that says nothing at all disables the whole
//! filter. A rule reduces to a conjunction of clauses, each a set of literals at least one of
//! which must occur in the raw text. This holds because:
//! - Values count only on fields no normalizer or enricher writes (`field::is_normalized`), and
//!   on the command lines every JSON normalizer copies unchanged (`field::is_verbatim`; records
//!   holding `"auditd"`, whose command line is joined from arguments, are always parsed). Such a
//!   field holds a JSON string of the same line, so a matching value is a substring of the
//!   line's bytes — unless JSON escaping hides it.
//! - Presence: rsigma matches an absent field only with `null` or `exists: false`. A present raw
//!   field was found through keys spelling each segment of its dotted name, so each segment is
//!   in the text; a present normalized or derived field implies one of the literals
//!   `RawFacts::field_literals` names (the `cli.*` fields: a command line or script block).
//! - Routing: `Matcher` shows a rule only the events of the log sources its `logsource` admits,
//!   and every record of a source holds its signature (`RawFacts::signature`, the keys its
//!   normalizer recognizes it by). A rule whose conditions say nothing admits those records; a
//!   rule no source is routed to admits none. A record holding no signature literal of any
//!   source is recognized by no normalizer and is admitted, so it is reported as unrecognized.
//! - Escaping: literals with `"`, `\` or control characters are refused (JSON writes those
//!   escaped); any other character can only be hidden as `\uXXXX`, or `/` as `\/`, so a line
//!   holding such an escape of a character some literal holds is always parsed. So is a line
//!   holding an XML entity or character reference of such a character (`&amp;`, `&#x41;`): the
//!   Windows event XML of a Sentinel `Event` row is decoded before its fields are read.
//! - Records held in a string (a CloudTrail event-history entry's `CloudTrailEvent`, which the
//!   decoder hands out in the entry's place): escaping a JSON text into a string changes only
//!   quotes, backslashes and control characters, which no literal holds, and doubles the
//!   backslash of each escape, which leaves the `\uXXXX` and `\/` looked for above in the text;
//!   so the entry's text holds every literal its record's does. A string that holds no record
//!   is an error of the entry, and the well-formedness check is never sure of an entry, so it
//!   is parsed and reported as without the filter.
//! - Case: rsigma folds with `str::to_lowercase`, and two non-ASCII characters fold to ASCII
//!   letters (U+0130 → `i̇`, U+212A → `k`); a line holding either is always parsed, and the
//!   literal search itself is ASCII case-insensitive.
//! - Numbers and booleans are compared as their decimal text, which a number written `1e3` does
//!   not contain; literals made only of digits, `.` and `-` are refused.
//! - A regular expression reduces to the literals its every match must contain (a literal part of
//!   a concatenation, one per branch of an alternation); a case-insensitive one does not.
//! - `not`, CIDRs, numeric comparisons, field references, keywords (which also search normalized
//!   fields) and array object scopes say nothing of values (but a field they need is present).
//!
//! Filters (`ParsedRule::Filter`) only remove matches and are ignored; correlations only see
//! detection matches, so they need no literals of their own.

use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use enumwatch_event::{LogSource, RecordPrefilter};
use enumwatch_rules::{ParsedRule, RuleKind, RuleSet};

use crate::Matcher;
use crate::matcher::admits;

mod analysis;
mod evtx_chunk;
mod keyed;
mod lowering;
mod opaque;

use analysis::{Clause, Ctx, analyze_rule, signature_of};
use evtx_chunk::ChunkGate;
use keyed::KeyedGate;
use lowering::{TextFlags, lower_case_into};

/// Characters outside ASCII whose `to_lowercase` holds an ASCII character, as UTF-8. A line
/// holding one could match an ASCII literal it does not contain, so it is always parsed.
pub(crate) const FOLDS_TO_ASCII: [&str; 2] = ["\u{130}", "\u{212a}"];

/// What normalizers and enrichers guarantee about the raw text of the records they accept. With
/// it, rules on normalized and derived fields (which no literal of theirs can stand for) still
/// narrow the filter: to the records that can hold the fields they read, and to the log sources
/// they are routed to. The engine knows no vendor, so the pipeline supplies these from
/// `enumwatch-normalize`, whose tests check them on every sample.
#[derive(Clone, Copy)]
pub struct RawFacts {
    /// Clauses (each a set of lower-case literals, one of which occurs) that the raw text of
    /// every record normalized to a log source holds; empty when nothing is known.
    pub signature: fn(LogSource) -> &'static [&'static [&'static str]],
    /// Lower-case literals one of which occurs in the raw text of any record whose event holds
    /// the normalized or derived field `name`; `None` when nothing is known.
    pub field_literals: fn(&str) -> Option<&'static [&'static str]>,
}

impl fmt::Debug for RawFacts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RawFacts")
    }
}

/// Why a rule set gets no prefilter (shown by `enumwatch hunt` in its summary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoPrefilter {
    /// The id of the first rule that does not reduce to literals (`-` when no rule is to blame).
    pub rule: String,
    /// What to tell the user: the rule's title and file, and why.
    pub reason: String,
}

impl fmt::Display for NoPrefilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.rule == "-" {
            f.write_str(&self.reason)
        } else {
            write!(f, "rule {}", self.reason)
        }
    }
}

/// The compiled literal prefilter of a rule set.
pub struct RawPrefilter {
    /// Any literal of any clause.
    any: Gate,
    /// Every literal occurrence, for rules of more than one clause.
    automaton: AhoCorasick,
    /// Per pattern: the `(rule, clause)` pairs it satisfies.
    memberships: Vec<Vec<(usize, u32)>>,
    /// Per rule: the bit mask of all its clauses.
    full: Vec<u64>,
    /// Whether every rule has one clause, so any literal admits the record.
    single_clause: bool,
    literals: usize,
    /// Learned gate for rules of several clauses (see `Learning`).
    learning: Learning,
    /// The ASCII bytes the (lower-case) literals hold.
    literal_bytes: [bool; 128],
    /// Every literal of every log source's signature (`RawFacts`). A record holding none is
    /// recognized by no normalizer; it is admitted, so that it is parsed and reported as
    /// unrecognized (or malformed) exactly as without the prefilter. `None` without facts.
    recognizable: Option<Gate>,
    /// Rules (each of one literal) added by the filter itself, not shown: the auditd key.
    hidden: usize,
    /// The same literals, searched in an EVTX chunk as stored; `None` when some literal could
    /// be made by rendering rather than stored (`evtx_chunk`).
    evtx_chunk: Option<ChunkGate>,
}

/// A cheaper gate, learned from the first records: one clause of each rule, its cheapest.
///
/// `any` admits a record holding a literal of *any* clause, and every record it admits takes a
/// full overlapping pass. With many rules of two clauses (`eventSource` and `eventName`), some
/// clause literal is in nearly every record (`s3.amazonaws.com`), so nearly every record takes
/// that pass. A record that satisfies a rule holds each of its clauses, so a gate over one
/// clause of each rule is as sound as `any`. Which clause is cheapest (its occurrences, each
/// a check of the rule's other clauses, plus the literals it adds to the gate, each slowing the
/// gate's pass over every record) is counted on the first `LEARN_RECORDS` records that take the
/// pass, and `KeyedGate` checks a record from the literals it finds. Only the work changes,
/// never which records are admitted, so output does not depend on what was learned or when.
struct Learning {
    /// Pattern ids of each rule's clauses.
    clauses: Vec<Vec<Vec<usize>>>,
    patterns: Vec<String>,
    /// Occurrences of each pattern in the records counted so far.
    hits: Vec<AtomicU32>,
    counted: AtomicU32,
    gate: OnceLock<KeyedGate>,
}

/// A test for "any of these literals": automata of at most `GATE_CHUNK` literals each, because
/// aho-corasick's SIMD (Teddy) search only serves small sets; past it, one automaton walks every
/// byte, several times slower than a few SIMD passes.
struct Gate(Vec<GateChunk>);

/// One automaton of a gate: aho-corasick's packed (Teddy) searcher where the CPU has one, since
/// the general automaton picks a rare-bytes prefilter for small sets, several times slower on
/// JSON text; else the general automaton. It searches the literals `first..first + len` of the
/// gate's list.
struct GateChunk {
    search: ChunkSearch,
    first: usize,
    len: usize,
}

enum ChunkSearch {
    Packed(aho_corasick::packed::Searcher),
    General(AhoCorasick),
}

impl GateChunk {
    fn is_match(&self, text: &[u8]) -> bool {
        match &self.search {
            ChunkSearch::Packed(s) => s.find(text).is_some(),
            ChunkSearch::General(a) => a.is_match(text),
        }
    }

    /// The start and pattern (within the chunk) of the leftmost match starting at `at` or
    /// after, the first listed of those starting there.
    fn find_at(&self, text: &[u8], at: usize) -> Option<(usize, usize)> {
        if at > text.len() {
            return None;
        }
        let span = aho_corasick::Span::from(at..text.len());
        let found = match &self.search {
            ChunkSearch::Packed(s) => s.find_in(text, span),
            ChunkSearch::General(a) => a.find(aho_corasick::Input::new(text).span(span)),
        };
        found.map(|m| (m.start(), m.pattern().as_usize()))
    }
}

/// Literals per gate automaton (Teddy's limit).
const GATE_CHUNK: usize = 64;

impl Gate {
    fn build<S: AsRef<str>>(literals: &[S]) -> Result<Gate, aho_corasick::BuildError> {
        // Even chunks: 72 literals as 36 + 36 (two SIMD searches), not 64 + 8 (the 8 would get
        // a weak byte prefilter).
        let n = literals.len().div_ceil(GATE_CHUNK).max(1);
        let size = literals.len().div_ceil(n).max(1);
        literals
            .chunks(size)
            .enumerate()
            .map(|(i, chunk)| {
                let packed = aho_corasick::packed::Config::new()
                    .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
                    .only_teddy(true)
                    .builder()
                    .extend(chunk.iter().map(AsRef::as_ref))
                    .build();
                let search = match packed {
                    Some(searcher) => ChunkSearch::Packed(searcher),
                    None => ChunkSearch::General(
                        AhoCorasickBuilder::new()
                            .match_kind(MatchKind::LeftmostFirst)
                            .build(chunk.iter().map(AsRef::as_ref))?,
                    ),
                };
                Ok(GateChunk {
                    search,
                    first: i * size,
                    len: chunk.len(),
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Gate)
    }

    fn is_match(&self, text: &[u8]) -> bool {
        self.0.iter().any(|c| c.is_match(text))
    }
}

/// Records whose literal occurrences are counted before the gate is chosen.
const LEARN_RECORDS: u32 = 512;

/// What one more gate literal costs, as key occurrences in `LEARN_RECORDS` records. On
/// CloudTrail (`bench/`), a Teddy pass costs about 0.01 µs a record per literal, so a literal
/// costs some 5 µs over the learning records; an occurrence costs a check of the rule's other
/// clauses, a `memmem` or small Teddy pass of about 0.2 µs. One literal is then worth an
/// occurrence in one record of twenty (the weights tried, a half and twice this, cost 3 to 13 %
/// more instructions on one of the bench's rule sets).
const KEY_LITERAL_COST: u64 = LEARN_RECORDS as u64 / 20;

impl Learning {
    fn count(&self, pattern: usize) {
        if let Some(h) = self.hits.get(pattern) {
            h.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// After a counted record: choose the gate once enough records were counted.
    fn record_counted(&self) {
        if self.counted.fetch_add(1, Ordering::Relaxed) + 1 != LEARN_RECORDS {
            return;
        }
        let hits = |c: &Vec<usize>| -> u64 {
            c.iter()
                .map(|&p| u64::from(self.hits.get(p).map_or(0, |h| h.load(Ordering::Relaxed))))
                .sum()
        };
        // The single clauses first (every record holding one is admitted anyway); then each
        // other rule is keyed on its cheapest clause, given the literals already in.
        let mut keys: Vec<&str> = Vec::new();
        let mut key: Vec<Option<usize>> = vec![None; self.clauses.len()];
        let literal = |p: &usize| self.patterns.get(*p).map(String::as_str);
        for (rule, k) in self
            .clauses
            .iter()
            .zip(&mut key)
            .filter(|(r, _)| r.len() == 1)
        {
            keys.extend(rule.iter().flatten().filter_map(literal));
            *k = Some(0);
        }
        for (rule, k) in self
            .clauses
            .iter()
            .zip(&mut key)
            .filter(|(r, _)| r.len() > 1)
        {
            // The cheapest key: each occurrence of a key literal costs a check of the rule's
            // other clauses, and each literal added to the gate slows its pass over every
            // record (`KEY_LITERAL_COST` occurrences' worth).
            let cost = |c: &Vec<usize>| {
                let added = c
                    .iter()
                    .filter_map(literal)
                    .filter(|l| !keys.contains(l))
                    .count() as u64;
                hits(c) + added * KEY_LITERAL_COST
            };
            let cheapest = (0..rule.len()).min_by_key(|&c| rule.get(c).map_or(u64::MAX, cost));
            if let Some(clause) = cheapest.and_then(|c| rule.get(c)) {
                for l in clause.iter().filter_map(literal) {
                    if !keys.contains(&l) {
                        keys.push(l);
                    }
                }
            }
            *k = cheapest;
        }
        let rules: Vec<Vec<Vec<String>>> = self
            .clauses
            .iter()
            .map(|rule| {
                rule.iter()
                    .map(|c| c.iter().filter_map(literal).map(str::to_owned).collect())
                    .collect()
            })
            .collect();
        let literal_hits = |l: &str| {
            self.patterns
                .iter()
                .position(|p| p == l)
                .and_then(|p| self.hits.get(p))
                .map_or(0, |h| u64::from(h.load(Ordering::Relaxed)))
        };
        if let Ok(gate) = KeyedGate::build(&rules, &key, &literal_hits) {
            self.gate.get_or_init(|| gate);
        }
    }
}

impl fmt::Debug for RawPrefilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawPrefilter")
            .field("rules", &self.full.len())
            .field("literals", &self.literals)
            .finish()
    }
}

impl RawPrefilter {
    /// The prefilter of `rules`' detection rules, or why there is none, knowing nothing of the
    /// normalizers: only rules on raw vendor fields reduce.
    pub fn build(rules: &RuleSet) -> Result<RawPrefilter, NoPrefilter> {
        Self::build_with(rules, None, None)
    }

    /// The prefilter of `rules`' detection rules, or why there is none. With `facts`, a rule
    /// whose conditions say nothing of the raw text still admits only the records of the log
    /// sources it is routed to, and a rule no log source is routed to admits none. The
    /// `matcher` of the same rules lends its compiled forms, so no rule is compiled twice.
    pub fn build_with(
        rules: &RuleSet,
        matcher: Option<&Matcher>,
        facts: Option<&RawFacts>,
    ) -> Result<RawPrefilter, NoPrefilter> {
        let per_rule = Self::analyze(rules, matcher, facts)?;
        if per_rule.is_empty() {
            return Err(NoPrefilter {
                rule: "-".to_owned(),
                reason: "no detection rules".to_owned(),
            });
        }
        // An auditd group's command line is joined from its arguments, so no literal stands for
        // it: every record holding the key is admitted, as by a rule of that one literal (the
        // gate's own pass finds it, where a search of its own would be one more pass). It is
        // not counted among the rules and literals shown.
        let mut per_rule = per_rule;
        per_rule.push(vec![vec![AUDITD_KEY.to_owned()]]);
        let mut prefilter = Self::from_clauses(per_rule)?;
        prefilter.recognizable = facts.and_then(recognizable);
        prefilter.hidden = 1;
        let signatures = facts.and_then(signature_literals);
        prefilter.evtx_chunk =
            ChunkGate::build(&prefilter.learning.patterns, signatures.as_deref());
        Ok(prefilter)
    }

    /// Each detection rule's clauses (rules that can never match left out).
    fn analyze(
        rules: &RuleSet,
        matcher: Option<&Matcher>,
        facts: Option<&RawFacts>,
    ) -> Result<Vec<Vec<Clause>>, NoPrefilter> {
        const UNREDUCIBLE: &str = "says nothing of the raw text: it matches only through `not`, \
                                   keywords, `null` or `exists: false`, or reads only normalized \
                                   fields of log sources whose records have no known signature";
        let ctx = Ctx { facts };
        let mut per_rule: Vec<Vec<Clause>> = Vec::new();
        for (i, (meta, parsed)) in rules.rules().iter().zip(rules.parsed()).enumerate() {
            let ParsedRule::Detection(rule) = parsed else {
                continue;
            };
            if meta.kind != RuleKind::Detection {
                continue;
            }
            let refuse = |reason: &str| NoPrefilter {
                rule: meta.id.clone(),
                reason: format!("`{}` ({}) {reason}", meta.title, meta.source),
            };
            let sources: Vec<LogSource> = LogSource::ALL
                .into_iter()
                .filter(|s| admits(meta, s.sigma()))
                .collect();
            if facts.is_some() && sources.is_empty() {
                // `Matcher` routes no event to it: it never matches.
                continue;
            }
            let compiled = rules
                .compiled()
                .get(i)
                .and_then(Option::as_deref)
                .or_else(|| matcher?.compiled(i));
            let clauses = match compiled {
                Some(compiled) => analyze_rule(compiled, ctx),
                None => analyze_rule(
                    &rsigma_eval::compile_rule(rule)
                        .map_err(|e| refuse(&format!("does not compile ({e})")))?,
                    ctx,
                ),
            };
            let clauses = clauses.or_else(|| signature_of(&sources, facts?));
            per_rule.push(clauses.ok_or_else(|| refuse(UNREDUCIBLE))?);
        }
        Ok(per_rule)
    }

    fn from_clauses(per_rule: Vec<Vec<Clause>>) -> Result<RawPrefilter, NoPrefilter> {
        let per_rule: Vec<Vec<Clause>> = per_rule
            .into_iter()
            .map(|clauses| clauses.into_iter().map(absorbed).collect())
            .collect();
        let mut patterns: Vec<String> = Vec::new();
        let mut memberships: Vec<Vec<(usize, u32)>> = Vec::new();
        let mut full = Vec::with_capacity(per_rule.len());
        let mut clause_ids_per_rule = Vec::with_capacity(per_rule.len());
        for (rule, clauses) in per_rule.iter().enumerate() {
            // Dropping clauses past 64 only weakens the filter.
            let clauses = clauses.get(..clauses.len().min(64)).unwrap_or_default();
            full.push(if clauses.len() == 64 {
                u64::MAX
            } else {
                (1u64 << clauses.len()) - 1
            });
            let mut ids = Vec::with_capacity(clauses.len());
            for (bit, clause) in (0u32..).zip(clauses) {
                let mut clause_ids = Vec::with_capacity(clause.len());
                for literal in clause {
                    let at = match patterns.iter().position(|p| p == literal) {
                        Some(i) => i,
                        None => {
                            patterns.push(literal.clone());
                            memberships.push(Vec::new());
                            patterns.len() - 1
                        }
                    };
                    if let Some(m) = memberships.get_mut(at) {
                        m.push((rule, bit));
                    }
                    clause_ids.push(at);
                }
                ids.push(clause_ids);
            }
            clause_ids_per_rule.push(ids);
        }
        let single_clause = per_rule.iter().all(|c| c.len() == 1);
        let build = |kind| {
            AhoCorasickBuilder::new()
                .match_kind(kind)
                // A DFA: the overlapping pass walks every byte of the records that hold some
                // literal, several times faster than through the default NFA.
                .kind(Some(AhoCorasickKind::DFA))
                .build(&patterns)
                .map_err(|e| NoPrefilter {
                    rule: "-".to_owned(),
                    reason: format!("the literal automaton is too large: {e}"),
                })
        };
        let any = Gate::build(&patterns).map_err(|e| NoPrefilter {
            rule: "-".to_owned(),
            reason: format!("the literal automaton is too large: {e}"),
        })?;
        let automaton = build(MatchKind::Standard)?;
        let mut literal_bytes = [false; 128];
        for b in patterns.iter().flat_map(|p| p.bytes()) {
            if let Some(slot) = literal_bytes.get_mut(usize::from(b)) {
                *slot = true;
            }
        }
        Ok(RawPrefilter {
            literal_bytes,
            recognizable: None,
            hidden: 0,
            evtx_chunk: None,
            any,
            literals: patterns.len(),
            automaton,
            memberships,
            full,
            single_clause,
            learning: Learning {
                clauses: clause_ids_per_rule,
                hits: patterns.iter().map(|_| AtomicU32::new(0)).collect(),
                patterns,
                counted: AtomicU32::new(0),
                gate: OnceLock::new(),
            },
        })
    }

    /// Distinct literals searched for.
    pub fn literals(&self) -> usize {
        self.literals - self.hidden
    }

    /// Rules the filter stands for.
    pub fn rules(&self) -> usize {
        self.full.len() - self.hidden
    }
}

/// `clause` without the literals that hold another of its literals: a text holding
/// `client.accessdenied` holds `accessdenied`, so the clause is met exactly when it was, with
/// fewer literals for every search (`errorCode` lists spell one error several ways).
fn absorbed(mut clause: Clause) -> Clause {
    clause.sort_unstable();
    clause.dedup();
    let kept: Vec<bool> = clause
        .iter()
        .map(|l| {
            !clause
                .iter()
                .any(|other| other != l && l.contains(other.as_str()))
        })
        .collect();
    let mut keep = kept.into_iter();
    clause.retain(|_| keep.next().unwrap_or(true));
    clause
}

thread_local! {
    /// The lower-cased copy of the text being searched, reused across records.
    static LOWERED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl RawPrefilter {
    /// Whether the literals of some rule's every clause occur in `lowered`.
    fn literals_admit(&self, lowered: &[u8]) -> bool {
        if self.single_clause {
            return self.any.is_match(lowered);
        }
        if let Some(gate) = self.learning.gate.get() {
            return gate.admits(lowered);
        }
        if !self.any.is_match(lowered) {
            return false;
        }
        // One pass counts every occurrence on this record (no early exit) to learn from it, and
        // gives the verdict.
        let complete = self.overlapping_pass(lowered, true);
        self.learning.record_counted();
        complete
    }

    /// Whether every clause of some rule has a literal in `lowered` (no gate, no learning).
    #[cfg(test)]
    fn some_rule_complete(&self, lowered: &[u8]) -> bool {
        self.overlapping_pass(lowered, false)
    }

    /// Whether every clause of some rule has a literal in `lowered`, from every literal
    /// occurrence; with `count`, each occurrence is counted for the learned gate and the pass
    /// goes on to the end.
    fn overlapping_pass(&self, lowered: &[u8], count: bool) -> bool {
        let mut seen = vec![0u64; self.full.len()];
        let mut complete = false;
        for hit in self.automaton.find_overlapping_iter(lowered) {
            let pattern = hit.pattern().as_usize();
            if count {
                self.learning.count(pattern);
            }
            if complete {
                continue;
            }
            let memberships = self.memberships.get(pattern);
            for &(rule, bit) in memberships.map_or(&[][..], Vec::as_slice) {
                if let (Some(s), Some(&full)) = (seen.get_mut(rule), self.full.get(rule)) {
                    *s |= 1 << bit;
                    complete |= *s == full;
                }
            }
            if complete && !count {
                return true;
            }
        }
        complete
    }
}

/// The one record shape whose command line is not a verbatim vendor string (`field::is_verbatim`),
/// as the lower-cased text holds it.
const AUDITD_KEY: &str = "\"auditd\"";

impl RawPrefilter {
    /// Whether `text` holds an escape or a character that could hide a literal from a byte
    /// search. (An auditd group is admitted by the gate, through its key.)
    ///
    /// Only escapes that can stand for a literal's character count: `\uXXXX` of an ASCII
    /// character some literal holds (in either case), or of one of the characters that fold to
    /// ASCII; `\/` when some literal holds `/`. Writers that escape every non-ASCII character
    /// (Python's `json.dumps`: `Microsoft\u00ae Windows`) then still get their records skipped.
    #[cfg(test)]
    fn forces_parse(&self, text: &[u8]) -> bool {
        let (_, flags) = lower_case_into(text, &mut Vec::new());
        self.forces_parse_given(text, flags)
    }

    /// `forces_parse`, told what bytes `text` holds (found in the pass that lower-cased it, so
    /// that most records take no further pass here).
    fn forces_parse_given(&self, text: &[u8], flags: TextFlags) -> bool {
        // Base64 needs no backslash.
        if opaque::is_pubsub_message(text) {
            return true;
        }
        if flags.backslash {
            // Always holding a backslash: its message's line breaks, or the paths and
            // `DOMAIN\user` among the properties of the process events it stands for; and
            // the escaped line breaks of classic event text.
            if opaque::is_event_log_record(text) || opaque::is_splunk_classic_event(text) {
                return true;
            }
            if self.in_literals(b'/') && memchr::memmem::find(text, b"\\/").is_some() {
                return true;
            }
            for at in memchr::memmem::find_iter(text, b"\\u") {
                let code = text
                    .get(at + 2..at + 6)
                    .and_then(|h| std::str::from_utf8(h).ok())
                    .and_then(|h| u32::from_str_radix(h, 16).ok());
                match code {
                    Some(c)
                        if c < 0x80
                            && u8::try_from(c)
                                .is_ok_and(|b| self.in_literals(b.to_ascii_lowercase())) =>
                    {
                        return true;
                    }
                    Some(0x130 | 0x212a) => return true,
                    // Not a valid escape (the record will not parse), or a character no
                    // literal holds.
                    _ => {}
                }
            }
        }
        // Event XML held in a JSON text (a Sentinel `Event` row's `EventData`, a Splunk
        // result's `_raw`, an Elasticsearch hit's `event.original`) is decoded before its fields
        // are read, so a reference may hide a literal. The events the analytics read hold a
        // backslash in that text: the quotes of `<Data Name=\"…\">`, or, single-quoted as Splunk
        // writes it, the paths of a process event and the line breaks of a script block.
        (flags.backslash && self.xml_reference_hides_literal(text))
            || (flags.non_ascii
                && FOLDS_TO_ASCII
                    .iter()
                    .any(|c| memchr::memmem::find(text, c.as_bytes()).is_some()))
    }

    /// Whether `text` holds an XML entity or character reference (`&amp;`, `&#x41;`) of an
    /// ASCII character some literal holds, or of a character that folds to ASCII: the Windows
    /// event XML of a Sentinel `Event` row is decoded before its fields are read, so such a
    /// reference could hide a literal from the byte search.
    fn xml_reference_hides_literal(&self, text: &[u8]) -> bool {
        memchr::memchr_iter(b'&', text).any(|at| {
            let rest = text.get(at + 1..).unwrap_or_default();
            let Some(end) = rest.iter().take(10).position(|&b| b == b';') else {
                return false;
            };
            let name = rest.get(..end).unwrap_or_default();
            let parse = |digits: &[u8], radix| {
                std::str::from_utf8(digits)
                    .ok()
                    .and_then(|d| u32::from_str_radix(d, radix).ok())
            };
            let code = match name {
                b"amp" => Some(u32::from(b'&')),
                b"lt" => Some(u32::from(b'<')),
                b"gt" => Some(u32::from(b'>')),
                b"apos" => Some(u32::from(b'\'')),
                b"quot" => Some(u32::from(b'"')),
                [b'#', b'x' | b'X', hex @ ..] => parse(hex, 16),
                [b'#', decimal @ ..] => parse(decimal, 10),
                _ => None,
            };
            match code {
                Some(c) if c < 0x80 => {
                    u8::try_from(c).is_ok_and(|b| self.in_literals(b.to_ascii_lowercase()))
                }
                Some(0x130 | 0x212a) => true,
                _ => false,
            }
        })
    }

    /// Whether some literal holds the (lower-case) ASCII byte `b`.
    fn in_literals(&self, b: u8) -> bool {
        self.literal_bytes
            .get(usize::from(b))
            .copied()
            .unwrap_or(false)
    }
}

impl RecordPrefilter for RawPrefilter {
    fn admits(&self, text: &[u8]) -> bool {
        // Lower-casing a copy lets the automaton search case-sensitively, which keeps its SIMD
        // prefilter: an ASCII-case-insensitive automaton over these literals scans byte by byte.
        LOWERED.with(|cell| {
            let mut buffer = cell.borrow_mut();
            let (lowered, flags) = lower_case_into(text, &mut buffer);
            self.literals_admit(lowered)
                || self.forces_parse_given(text, flags)
                || self
                    .recognizable
                    .as_ref()
                    .is_some_and(|g| !g.is_match(lowered))
        })
    }

    fn admits_evtx_chunk(&self, chunk: &[u8]) -> bool {
        self.evtx_chunk
            .as_ref()
            .is_none_or(|gate| LOWERED.with(|cell| gate.admits(chunk, &mut cell.borrow_mut())))
    }
}

/// The gate of every signature literal, or `None` when some log source has no signature (then a
/// record without any literal may still be recognized).
fn recognizable(facts: &RawFacts) -> Option<Gate> {
    Gate::build(&signature_literals(facts)?).ok()
}

/// Every signature literal, or `None` when some log source has no signature.
fn signature_literals(facts: &RawFacts) -> Option<Vec<&'static str>> {
    let mut literals: Vec<&str> = Vec::new();
    for source in LogSource::ALL {
        let signature = (facts.signature)(source);
        if signature.is_empty() {
            return None;
        }
        literals.extend(signature.iter().flat_map(|c| c.iter().copied()));
    }
    literals.sort_unstable();
    literals.dedup();
    Some(literals)
}

#[cfg(test)]
mod tests;
