//! The learned gate and the check of a record it finds a literal in, starting from that literal.
//!
//! Each rule is keyed on one of its clauses (the cheapest on the first records: rare, and with
//! few literals not already in the gate). A record that satisfies a rule holds a literal of its key, so searching for every
//! key literal finds it. Where one is found, only the rules keyed on it are checked, and only
//! their other clauses, each with a searcher of its own; when none is complete the search goes
//! on from the next byte. A record then takes one SIMD pass and a few clause searches instead of
//! the byte-by-byte overlapping pass over every literal of every rule, which most CloudTrail
//! records took because some clause of a rule is common (`s3.amazonaws.com`).
//!
//! The search reports the leftmost literal and, among those starting there, the first listed.
//! Another literal starting at the same byte is a prefix of the reported one or has it as a
//! prefix, so the literals of a chunk so related to each other are noted, and compared at the
//! byte of each match.

use std::collections::HashMap;

use memchr::memmem::Finder;

use super::Gate;

/// A search for "any of these literals" that only answers whether one occurs.
enum ClauseSearch {
    One(Box<Finder<'static>>),
    Many(Gate),
}

impl ClauseSearch {
    fn build(literals: &[String]) -> Result<ClauseSearch, aho_corasick::BuildError> {
        Ok(match literals {
            [one] => ClauseSearch::One(Box::new(Finder::new(one.as_bytes()).into_owned())),
            many => ClauseSearch::Many(Gate::build(many)?),
        })
    }

    /// The relative cost of a search: its number of literals.
    fn cost(&self) -> usize {
        match self {
            ClauseSearch::One(_) => 1,
            ClauseSearch::Many(gate) => gate.0.iter().map(|c| c.len).sum(),
        }
    }

    fn is_match(&self, text: &[u8]) -> bool {
        match self {
            ClauseSearch::One(finder) => finder.find(text).is_some(),
            ClauseSearch::Many(gate) => gate.is_match(text),
        }
    }
}

/// The gate over every rule's key clause, with what to check once one of its literals is found.
pub(super) struct KeyedGate {
    gate: Gate,
    /// The gate's literals, in its order (chunk after chunk).
    literals: Vec<String>,
    /// Per gate literal: the rules keyed on it.
    rules_of: Vec<Vec<u32>>,
    /// Per gate literal: the literals of its chunk it is a prefix of or that are its prefixes.
    related: Vec<Vec<u32>>,
    /// Per rule: its clauses other than its key (ids into `clauses`).
    rest: Vec<Vec<u32>>,
    clauses: Vec<ClauseSearch>,
}

/// What is known, during one record's check, of whether a clause occurs in it.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Seen {
    Unknown,
    Absent,
    Present,
}

impl KeyedGate {
    /// `rules[r]` holds rule r's clauses (each its literals) and `key[r]` the index of its key
    /// clause, or `None` for a rule that can never be complete (it then admits nothing, as in
    /// the overlapping pass).
    pub(super) fn build(
        rules: &[Vec<Vec<String>>],
        key: &[Option<usize>],
        hits: &dyn Fn(&str) -> u64,
    ) -> Result<KeyedGate, aho_corasick::BuildError> {
        let mut literals: Vec<String> = rules
            .iter()
            .zip(key)
            .filter_map(|(clauses, k)| clauses.get((*k)?))
            .flatten()
            .cloned()
            .collect();
        literals.sort_unstable();
        literals.dedup();
        // Past one searcher, the most frequent literals are searched first: a record holding
        // one is then mostly admitted by the first pass, without the others.
        if literals.len() > super::GATE_CHUNK {
            literals.sort_by_cached_key(|l| std::cmp::Reverse(hits(l)));
        }
        let gate = Gate::build(&literals)?;
        let id: HashMap<&str, usize> = literals
            .iter()
            .enumerate()
            .map(|(i, l)| (l.as_str(), i))
            .collect();
        let mut rules_of = vec![Vec::new(); literals.len()];
        let mut interned: HashMap<&[String], u32> = HashMap::new();
        let mut clauses = Vec::new();
        let mut rest = Vec::with_capacity(rules.len());
        for ((rule, k), r) in rules.iter().zip(key).zip(0u32..) {
            let mut others = Vec::new();
            if let Some(k) = *k {
                for literal in rule.get(k).into_iter().flatten() {
                    if let Some(slot) = id.get(literal.as_str()).and_then(|&i| rules_of.get_mut(i))
                    {
                        slot.push(r);
                    }
                }
                for clause in rule
                    .iter()
                    .enumerate()
                    .filter(|&(c, _)| c != k)
                    .map(|(_, c)| c)
                {
                    let next = u32::try_from(clauses.len()).unwrap_or(u32::MAX);
                    let at = match interned.get(clause.as_slice()) {
                        Some(&at) => at,
                        None => {
                            clauses.push(ClauseSearch::build(clause)?);
                            interned.insert(clause.as_slice(), next);
                            next
                        }
                    };
                    others.push(at);
                }
            }
            rest.push(others);
        }
        // Where a literal keys several rules, the rules whose other clauses are cheapest to
        // search come first: a record one of them admits skips the others' searches.
        let search_cost = |r: &u32| -> usize {
            rest.get(*r as usize).map_or(0, |cs: &Vec<u32>| {
                cs.iter()
                    .map(|&c| clauses.get(c as usize).map_or(0, ClauseSearch::cost))
                    .sum()
            })
        };
        for list in &mut rules_of {
            list.sort_by_key(|r| (search_cost(r), *r));
        }
        let mut related = vec![Vec::new(); literals.len()];
        for chunk in &gate.0 {
            let span = chunk.first..chunk.first + chunk.len;
            for i in span.clone() {
                for j in span.clone().filter(|&j| j != i) {
                    let (Some(a), Some(b)) = (literals.get(i), literals.get(j)) else {
                        continue;
                    };
                    if (a.starts_with(b.as_str()) || b.starts_with(a.as_str()))
                        && let Some(list) = related.get_mut(i)
                    {
                        list.push(u32::try_from(j).unwrap_or(u32::MAX));
                    }
                }
            }
        }
        Ok(KeyedGate {
            gate,
            literals,
            rules_of,
            related,
            rest,
            clauses,
        })
    }

    /// The literals searched for first.
    #[cfg(test)]
    pub(super) fn literals(&self) -> &[String] {
        &self.literals
    }

    /// Whether some rule has a literal of its every clause in `lowered`: exactly the verdict of
    /// the overlapping pass over all literals, for the rules keyed here.
    pub(super) fn admits(&self, lowered: &[u8]) -> bool {
        let mut seen: Vec<Seen> = Vec::new();
        for chunk in &self.gate.0 {
            let mut at = 0;
            while let Some((start, pattern)) = chunk.find_at(lowered, at) {
                let found = chunk.first + pattern;
                let also = self.related.get(found).map_or(&[][..], Vec::as_slice);
                let here = lowered.get(start..).unwrap_or_default();
                let starting_here =
                    std::iter::once(found).chain(also.iter().map(|&j| j as usize).filter(|&j| {
                        self.literals
                            .get(j)
                            .is_some_and(|l| here.starts_with(l.as_bytes()))
                    }));
                for literal in starting_here {
                    let rules = self.rules_of.get(literal).map_or(&[][..], Vec::as_slice);
                    if rules.iter().any(|&r| self.complete(r, lowered, &mut seen)) {
                        return true;
                    }
                }
                at = start + 1;
            }
        }
        false
    }

    /// Whether rule `r`'s clauses other than its key all occur in `lowered`.
    fn complete(&self, r: u32, lowered: &[u8], seen: &mut Vec<Seen>) -> bool {
        if seen.is_empty() {
            seen.resize(self.clauses.len(), Seen::Unknown);
        }
        let rest = self.rest.get(r as usize).map_or(&[][..], Vec::as_slice);
        rest.iter().all(|&c| {
            let c = c as usize;
            match seen.get(c).copied() {
                Some(Seen::Present) => true,
                Some(Seen::Absent) | None => false,
                Some(Seen::Unknown) => {
                    let present = self.clauses.get(c).is_some_and(|s| s.is_match(lowered));
                    if let Some(slot) = seen.get_mut(c) {
                        *slot = if present { Seen::Present } else { Seen::Absent };
                    }
                    present
                }
            }
        })
    }
}
