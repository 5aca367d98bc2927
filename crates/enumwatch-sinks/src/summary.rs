//! The run summary as text (stderr): what was read, what could not be, and what was found.
//! The same numbers go to `--stats-json` as JSON.

use enumwatch_event::RunStats;

/// Problems listed on the terminal; `--stats-json` keeps more.
const MAX_LISTED: usize = 10;

/// Render the summary; every count that is non-zero gets a line, problems are listed with their
/// locations.
pub fn render_summary(stats: &RunStats) -> String {
    let mut out = String::new();
    let formats = join_counts(&stats.formats);
    line(
        &mut out,
        format!(
            "read {} input(s), {} bytes{}",
            stats.inputs,
            stats.bytes,
            if formats.is_empty() {
                String::new()
            } else {
                format!(" ({formats})")
            }
        ),
    );
    line(
        &mut out,
        format!(
            "records: {} decoded, {} malformed, {} unrecognized",
            stats.records,
            stats.malformed_total(),
            stats.unrecognized
        ),
    );
    if !stats.prefilter.is_empty() {
        line(&mut out, format!("prefilter: {}", stats.prefilter));
    }
    if stats.records_prefiltered > 0 {
        line(
            &mut out,
            format!(
                "prefilter: {} record(s) skipped unparsed, holding none of the selected rules' \
                 literals (--no-prefilter parses and checks every record)",
                stats.records_prefiltered
            ),
        );
    }
    if !stats.events.is_empty() {
        line(&mut out, format!("events: {}", join_counts(&stats.events)));
    }
    if !stats.ignored.is_empty() {
        line(
            &mut out,
            format!(
                "ignored (not used by any analytic): {}",
                join_counts(&stats.ignored)
            ),
        );
    }
    if !stats.expected.is_empty() {
        line(
            &mut out,
            format!(
                "expected per enumwatch.toml (left out by the rules): {}",
                join_counts(&stats.expected)
            ),
        );
    }
    if !stats.suppressed.is_empty() {
        line(
            &mut out,
            format!(
                "suppressed by tuning entries (see --show-suppressed): {}",
                join_counts(&stats.suppressed)
            ),
        );
    }
    for expired in &stats.tuning_expired {
        line(
            &mut out,
            format!("tuning entry {expired} is expired and was not applied"),
        );
    }
    if stats.inputs_empty > 0 {
        line(&mut out, format!("empty inputs: {}", stats.inputs_empty));
    }
    if stats.inputs_unreadable > 0 {
        line(
            &mut out,
            format!("unreadable inputs: {}", stats.inputs_unreadable),
        );
    }
    if !stats.malformed.is_empty() {
        line(
            &mut out,
            format!("malformed by reason: {}", join_counts(&stats.malformed)),
        );
    }
    line(
        &mut out,
        format!("rule hits: {}, alerts: {}", stats.hits, stats.alerts),
    );
    if stats.correlation_state_evictions > 0 {
        line(
            &mut out,
            format!(
                "correlation state cap reached: the {} least recently seen correlation groups were dropped (high-cardinality input; correlation counts may be low)",
                stats.correlation_state_evictions
            ),
        );
    }
    if stats.correlation_events_spilled > 0 {
        line(
            &mut out,
            format!(
                "correlation pass: the {} held event(s) went past the in-memory budget (--max-held-mib) and were sorted through a temporary file (same alerts, more time)",
                stats.correlation_events_spilled
            ),
        );
    }
    if stats.alerts_spilled > 0 {
        line(
            &mut out,
            format!(
                "alerts: the {} detection alert(s) went past the in-memory budget (--max-alerts-mib) and were sorted through a temporary file (same output, bounded memory)",
                stats.alerts_spilled
            ),
        );
    }
    for problem in stats.problems.iter().take(MAX_LISTED) {
        line(
            &mut out,
            format!(
                "  {}: {}: {}",
                problem.location, problem.reason, problem.message
            ),
        );
    }
    let not_listed =
        stats.problems_not_listed + stats.problems.len().saturating_sub(MAX_LISTED) as u64;
    if not_listed > 0 {
        line(
            &mut out,
            format!(
                "  … and {not_listed} more problem(s); --stats-json lists the first 50 with their locations"
            ),
        );
    }
    out
}

fn join_counts(map: &std::collections::BTreeMap<String, u64>) -> String {
    map.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn line(out: &mut String, text: String) {
    out.push_str(&text);
    out.push('\n');
}
