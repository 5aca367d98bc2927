//! A literal prefilter on a record's raw JSON text: a record none of whose rules' required
//! literals appear in its bytes cannot match any rule, so it need not be parsed at all.
//!
//! Parsing dominates a hunt with a few rules over JSON lines: a CloudTrail line costs a few
//! microseconds to turn into a DOM and well under one to scan for literals. So when every
//! detection rule of the set can be reduced to literals the raw text must hold, the decoder asks
//! this filter before parsing and skips (and counts) the lines it rejects.
//!
//! # Soundness
//! The analysis may only weaken: a rule that cannot be reduced, for any reason, disables the
//! whole filter (`Analysis::open`). A rule reduces to a conjunction of clauses, each a set of
//! literals at least one of which must occur in the raw text. This holds because:
//! - Only fields no normalizer or enricher writes are accepted (`field::is_normalized`), and the
//!   command lines every JSON normalizer copies unchanged (`field::is_verbatim`; records holding
//!   `"auditd"`, whose command line is joined from arguments, are always parsed). Such a field
//!   holds a JSON string of the same line, so a matching value is a substring of the line's
//!   bytes — unless JSON escaping hides it.
//! - Escaping: literals with `"`, `\` or control characters are refused (JSON writes those
//!   escaped); any other character can only be hidden as `\uXXXX`, or `/` as `\/`, so a line
//!   holding such an escape of a character some literal holds is always parsed.
//! - Case: rsigma folds with `str::to_lowercase`, and two non-ASCII characters fold to ASCII
//!   letters (U+0130 → `i̇`, U+212A → `k`); a line holding either is always parsed, and the
//!   literal search itself is ASCII case-insensitive.
//! - Numbers and booleans are compared as their decimal text, which a number written `1e3` does
//!   not contain; literals made only of digits, `.` and `-` are refused.
//! - A regular expression reduces to the literals its every match must contain (a literal part of
//!   a concatenation, one per branch of an alternation); a case-insensitive one does not.
//! - `not`, CIDRs, numeric comparisons, field references, `exists: false`, keywords (which also
//!   search normalized fields) and array object scopes do not reduce.
//!
//! Filters (`ParsedRule::Filter`) only remove matches and are ignored; correlations only see
//! detection matches, so they need no literals of their own.

use std::fmt;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, AhoCorasickKind, MatchKind};
use enumwatch_event::{RecordPrefilter, field};
use enumwatch_rules::{ParsedRule, RuleKind, RuleSet};
use rsigma_eval::matcher::GroupMode;
use rsigma_eval::{CompiledDetection, CompiledDetectionItem, CompiledMatcher, CompiledRule};
use rsigma_parser::{ConditionExpr, Detection, Quantifier, SigmaRule};

/// Characters outside ASCII whose `to_lowercase` holds an ASCII character, as UTF-8. A line
/// holding one could match an ASCII literal it does not contain, so it is always parsed.
pub(crate) const FOLDS_TO_ASCII: [&str; 2] = ["\u{130}", "\u{212a}"];

/// At least one literal of a clause occurs in a matching record's raw text (lower-case ASCII).
type Clause = Vec<String>;

/// What a rule (or part of one) requires of the raw text: `None` when nothing can be said.
type Analysis = Option<Vec<Clause>>;

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
}

/// A cheaper gate, learned from the first records: only each rule's rarest clause.
///
/// `any` admits a record holding a literal of *any* clause, and every record it admits takes a
/// full overlapping pass. With many rules of two clauses (`eventSource` and `eventName`), some
/// clause literal is in nearly every record (`s3.amazonaws.com`), so nearly every record takes
/// that pass. A record that satisfies a rule holds each of its clauses, its rarest among them,
/// so a gate over the rarest clauses is as sound as `any`; which clause is rarest is counted on
/// the first `LEARN_RECORDS` records that take the pass. Only the gate changes, never which
/// records are admitted, so output does not depend on what was learned or when.
struct Learning {
    /// Pattern ids of each rule's clauses.
    clauses: Vec<Vec<Vec<usize>>>,
    patterns: Vec<String>,
    /// Occurrences of each pattern in the records counted so far.
    hits: Vec<AtomicU32>,
    counted: AtomicU32,
    gate: OnceLock<Gate>,
}

/// A test for "any of these literals": automata of at most `GATE_CHUNK` literals each, because
/// aho-corasick's SIMD (Teddy) search only serves small sets; past it, one automaton walks every
/// byte, several times slower than a few SIMD passes.
struct Gate(Vec<AhoCorasick>);

/// Literals per gate automaton (Teddy's limit).
const GATE_CHUNK: usize = 64;

impl Gate {
    fn build<S: AsRef<str>>(literals: &[S]) -> Result<Gate, aho_corasick::BuildError> {
        // Even chunks: 72 literals as 36 + 36 (two SIMD searches), not 64 + 8 (the 8 would get
        // a weak byte prefilter).
        let n = literals.len().div_ceil(GATE_CHUNK).max(1);
        literals
            .chunks(literals.len().div_ceil(n).max(1))
            .map(|chunk| {
                AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(chunk.iter().map(AsRef::as_ref))
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Gate)
    }

    fn is_match(&self, text: &[u8]) -> bool {
        self.0.iter().any(|a| a.is_match(text))
    }
}

/// Records whose literal occurrences are counted before the gate is chosen.
const LEARN_RECORDS: u32 = 2048;

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
        let mut keys: Vec<&str> = self
            .clauses
            .iter()
            .filter_map(|rule| rule.iter().min_by_key(|c| hits(c)))
            .flatten()
            .filter_map(|&p| self.patterns.get(p).map(String::as_str))
            .collect();
        keys.sort_unstable();
        keys.dedup();
        if let Ok(gate) = Gate::build(&keys) {
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
    /// The prefilter of `rules`' detection rules, or why there is none.
    pub fn build(rules: &RuleSet) -> Result<RawPrefilter, NoPrefilter> {
        let mut per_rule: Vec<Vec<Clause>> = Vec::new();
        const UNREDUCIBLE: &str = "reads a normalized field or uses a condition no literal can \
                                   stand for (not, regex, cidr, numbers, keywords)";
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
            // Most rule sets that do not reduce say so in their field names: no need to compile.
            if reads_derived_fields(rule) {
                return Err(refuse(UNREDUCIBLE));
            }
            let clauses = match rules.compiled().get(i).and_then(Option::as_ref) {
                Some(compiled) => analyze_rule(compiled),
                None => analyze_rule(
                    &rsigma_eval::compile_rule(rule)
                        .map_err(|e| refuse(&format!("does not compile ({e})")))?,
                ),
            };
            per_rule.push(clauses.ok_or_else(|| refuse(UNREDUCIBLE))?);
        }
        if per_rule.is_empty() {
            return Err(NoPrefilter {
                rule: "-".to_owned(),
                reason: "no detection rules".to_owned(),
            });
        }
        Self::from_clauses(per_rule)
    }

    fn from_clauses(per_rule: Vec<Vec<Clause>>) -> Result<RawPrefilter, NoPrefilter> {
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
        self.literals
    }

    /// Rules the filter stands for.
    pub fn rules(&self) -> usize {
        self.full.len()
    }
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
        let learned = self.learning.gate.get();
        if !learned.unwrap_or(&self.any).is_match(lowered) {
            return false;
        }
        if learned.is_none() {
            // Count every occurrence on this record (no early exit) to learn from it.
            for hit in self.automaton.find_overlapping_iter(lowered) {
                self.learning.count(hit.pattern().as_usize());
            }
            self.learning.record_counted();
        }
        self.some_rule_complete(lowered)
    }

    /// Whether every clause of some rule has a literal in `lowered` (no gate, no learning).
    fn some_rule_complete(&self, lowered: &[u8]) -> bool {
        let mut seen = vec![0u64; self.full.len()];
        for hit in self.automaton.find_overlapping_iter(lowered) {
            let memberships = self.memberships.get(hit.pattern().as_usize());
            for &(rule, bit) in memberships.map_or(&[][..], Vec::as_slice) {
                if let (Some(s), Some(&full)) = (seen.get_mut(rule), self.full.get(rule)) {
                    *s |= 1 << bit;
                    if *s == full {
                        return true;
                    }
                }
            }
        }
        false
    }
}

/// The one record shape whose command line is not a verbatim vendor string (`field::is_verbatim`).
const AUDITD_KEY: &[u8] = b"\"auditd\"";

impl RawPrefilter {
    /// Whether `text` holds an escape or a character that could hide a literal from a byte
    /// search, or is an auditd group, whose command line is joined from its arguments.
    ///
    /// Only escapes that can stand for a literal's character count: `\uXXXX` of an ASCII
    /// character some literal holds (in either case), or of one of the characters that fold to
    /// ASCII; `\/` when some literal holds `/`. Writers that escape every non-ASCII character
    /// (Python's `json.dumps`: `Microsoft\u00ae Windows`) then still get their records skipped.
    fn forces_parse(&self, text: &[u8]) -> bool {
        if memchr::memmem::find(text, AUDITD_KEY).is_some() {
            return true;
        }
        if memchr::memchr(b'\\', text).is_some() {
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
        !text.is_ascii()
            && FOLDS_TO_ASCII
                .iter()
                .any(|c| memchr::memmem::find(text, c.as_bytes()).is_some())
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
        let literal = LOWERED.with(|cell| {
            let mut lowered = cell.borrow_mut();
            lowered.clear();
            lowered.extend_from_slice(text);
            lowered.make_ascii_lowercase();
            self.literals_admit(&lowered)
        });
        literal || self.forces_parse(text)
    }
}

/// Whether a detection of `rule` names a field that is derived (not a verbatim vendor string) or
/// holds keywords. A shortcut only: `analyze_rule` refuses the same rules, after compiling them.
fn reads_derived_fields(rule: &SigmaRule) -> bool {
    fn walk(detection: &Detection) -> bool {
        match detection {
            Detection::AllOf(items) => items.iter().any(|item| {
                item.field
                    .name
                    .as_deref()
                    .is_some_and(|n| field::is_normalized(n) && !field::is_verbatim(n))
            }),
            Detection::AnyOf(parts) => parts.iter().any(walk),
            Detection::Keywords(_) => true,
            _ => false,
        }
    }
    rule.detection.named.values().any(walk)
}

fn analyze_rule(rule: &CompiledRule) -> Analysis {
    or_all(
        rule.conditions
            .iter()
            .map(|c| analyze_condition(c, rule))
            .collect(),
    )
}

fn analyze_condition(expr: &ConditionExpr, rule: &CompiledRule) -> Analysis {
    match expr {
        ConditionExpr::And(parts) => and_all(parts.iter().map(|p| analyze_condition(p, rule))),
        ConditionExpr::Or(parts) => {
            or_all(parts.iter().map(|p| analyze_condition(p, rule)).collect())
        }
        ConditionExpr::Not(_) => None,
        ConditionExpr::Identifier(name) => analyze_detection(rule.detections.get(name)?),
        ConditionExpr::Selector {
            quantifier,
            pattern,
        } => {
            let mut names: Vec<&String> = rule
                .detections
                .keys()
                .filter(|n| pattern.matches_detection_name(n))
                .collect();
            names.sort();
            if names.is_empty() {
                return None;
            }
            let parts = names
                .iter()
                .map(|n| rule.detections.get(*n).and_then(analyze_detection));
            match quantifier {
                Quantifier::All => and_all(parts),
                Quantifier::Any => or_all(parts.collect()),
                Quantifier::Count(0) => None,
                Quantifier::Count(_) => or_all(parts.collect()),
            }
        }
    }
}

fn analyze_detection(detection: &CompiledDetection) -> Analysis {
    match detection {
        CompiledDetection::AllOf(items) => and_all(items.iter().map(analyze_item)),
        CompiledDetection::And(parts) => and_all(parts.iter().map(analyze_detection)),
        CompiledDetection::AnyOf(parts) => or_all(parts.iter().map(analyze_detection).collect()),
        CompiledDetection::Keywords(_)
        | CompiledDetection::ArrayMatch { .. }
        | CompiledDetection::Conditional { .. } => None,
    }
}

fn analyze_item(item: &CompiledDetectionItem) -> Analysis {
    let name = item.field.as_deref()?;
    if (field::is_normalized(name) && !field::is_verbatim(name)) || item.exists == Some(false) {
        return None;
    }
    analyze_matcher(&item.matcher)
}

fn analyze_matcher(matcher: &CompiledMatcher) -> Analysis {
    match matcher {
        CompiledMatcher::Exact { value, .. }
        | CompiledMatcher::Contains { value, .. }
        | CompiledMatcher::StartsWith { value, .. }
        | CompiledMatcher::EndsWith { value, .. } => Some(vec![vec![literal(value)?]]),
        CompiledMatcher::AhoCorasickSet { needles, .. } => {
            let clause: Option<Clause> = needles.iter().map(|n| literal(n)).collect();
            Some(vec![clause?])
        }
        CompiledMatcher::Regex(re) => Some(vec![regex_clause(re.as_str())?]),
        CompiledMatcher::RegexSetMatch { set, mode } => {
            let parts = set
                .patterns()
                .iter()
                .map(|p| regex_clause(p).map(|c| vec![c]));
            match mode {
                GroupMode::Any => or_all(parts.collect()),
                GroupMode::All => and_all(parts),
            }
        }
        CompiledMatcher::AnyOf(children) => or_all(children.iter().map(analyze_matcher).collect()),
        CompiledMatcher::AllOf(children) => and_all(children.iter().map(analyze_matcher)),
        CompiledMatcher::CaseInsensitiveGroup { children, mode } => match mode {
            GroupMode::Any => or_all(children.iter().map(analyze_matcher).collect()),
            GroupMode::All => and_all(children.iter().map(analyze_matcher)),
        },
        _ => None,
    }
}

/// Literals one of which any text a regular expression matches must hold: a literal part of a
/// concatenation (or of a repetition of at least one), or one per branch of an alternation. A
/// case-insensitive part is a class, not a literal, and yields none.
fn regex_clause(pattern: &str) -> Option<Clause> {
    let hir = regex_syntax::ParserBuilder::new()
        .build()
        .parse(pattern)
        .ok()?;
    hir_clause(&hir)
}

fn hir_clause(hir: &regex_syntax::hir::Hir) -> Option<Clause> {
    use regex_syntax::hir::HirKind;
    match hir.kind() {
        HirKind::Literal(lit) => Some(vec![literal(std::str::from_utf8(&lit.0).ok()?)?]),
        HirKind::Capture(cap) => hir_clause(&cap.sub),
        HirKind::Repetition(rep) if rep.min >= 1 => hir_clause(&rep.sub),
        HirKind::Concat(parts) => parts.iter().filter_map(hir_clause).max_by_key(clause_rank),
        HirKind::Alternation(branches) => {
            let mut joined: Clause = Vec::new();
            for branch in branches {
                joined.extend(hir_clause(branch)?);
            }
            Some(joined)
        }
        _ => None,
    }
}

/// How selective a clause is: the longer its shortest literal, then the fewer its literals.
fn clause_rank(c: &Clause) -> (usize, usize) {
    (
        c.iter().map(String::len).min().unwrap_or(0),
        usize::MAX - c.len(),
    )
}

/// A rule value as a literal of the raw text, if it can stand for one (see the module doc).
fn literal(value: &str) -> Option<String> {
    let usable = !value.is_empty()
        && value.is_ascii()
        && !value
            .bytes()
            .any(|b| matches!(b, b'"' | b'\\') || b.is_ascii_control())
        && !value
            .bytes()
            .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-');
    usable.then(|| value.to_ascii_lowercase())
}

/// All parts hold: their clauses together; open only when every part is open.
fn and_all(parts: impl Iterator<Item = Analysis>) -> Analysis {
    let clauses: Vec<Clause> = parts.flatten().flatten().collect();
    (!clauses.is_empty()).then_some(clauses)
}

/// One part holds: one clause joining each part's most selective clause; open when any is.
fn or_all(mut parts: Vec<Analysis>) -> Analysis {
    if parts.len() <= 1 {
        return parts.pop().flatten();
    }
    let mut joined: Clause = Vec::new();
    for part in parts {
        let best = part?.into_iter().max_by_key(|c| {
            (
                c.iter().map(String::len).min().unwrap_or(0),
                usize::MAX - c.len(),
            )
        })?;
        joined.extend(best);
    }
    joined.sort();
    joined.dedup();
    Some(vec![joined])
}

#[cfg(test)]
#[path = "prefilter_tests.rs"]
mod tests;
