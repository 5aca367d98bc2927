//! `enumwatch tune`: over a period of real logs, what each tuning entry silences, which
//! principals dominate the alert volume, and proposed `[[tuning]]` entries for them — never for
//! an offensive tool, and always with an owner and a reason left for a human to fill in.

use std::collections::BTreeMap;
use std::process::ExitCode;

use anyhow::Result;
use enumwatch_alert::Alert;
use enumwatch_event::ToolCategory;

use crate::cli::TuneArgs;
use crate::commands::hunt;

/// Alerts of one principal.
#[derive(Default)]
struct Volume<'a> {
    alerts: Vec<&'a Alert>,
}

pub(crate) fn run(args: &TuneArgs) -> Result<ExitCode> {
    let (output, stats) = hunt::execute(&args.hunt)?;
    let mut text = String::new();
    text.push_str("# Tuning entries and what they silenced\n");
    if output.suppressed.is_empty() && stats.tuning_expired.is_empty() {
        text.push_str("# (no entry suppressed anything)\n");
    }
    let mut by_entry: BTreeMap<&str, BTreeMap<&str, u64>> = BTreeMap::new();
    for a in &output.suppressed {
        if let Some(s) = &a.suppressed_by {
            *by_entry
                .entry(s.entry.as_str())
                .or_default()
                .entry(a.rule.title.as_str())
                .or_default() += 1;
        }
    }
    for (entry, rules) in &by_entry {
        let total: u64 = rules.values().sum();
        text.push_str(&format!("# {entry}: {total} alert(s)\n"));
        for (rule, n) in rules {
            text.push_str(&format!("#   {n} × {rule}\n"));
        }
    }
    for expired in &stats.tuning_expired {
        text.push_str(&format!("# expired, not applied: {expired}\n"));
    }

    let mut volume: BTreeMap<&str, Volume<'_>> = BTreeMap::new();
    for a in &output.alerts {
        volume
            .entry(a.actor.as_deref().unwrap_or("unknown actor"))
            .or_default()
            .alerts
            .push(a);
    }
    let mut ranked: Vec<(&str, Volume<'_>)> = volume.into_iter().collect();
    ranked.sort_by(|a, b| b.1.alerts.len().cmp(&a.1.alerts.len()).then(a.0.cmp(b.0)));
    text.push_str(&format!(
        "\n# Principals by alert volume ({} alerts shown)\n",
        output.alerts.len()
    ));
    for (actor, v) in ranked.iter().take(args.top) {
        text.push_str(&format!("# {:>5}  {actor}\n", v.alerts.len()));
    }
    text.push_str(
        "\n# Proposed entries: review each, fill in owner and reason, keep the expiry.\n",
    );
    let expires = proposed_expiry(args.hunt.today.as_deref());
    let mut proposed = 0;
    for (actor, v) in ranked.iter().take(args.top) {
        if v.alerts.len() < args.min_alerts || *actor == "unknown actor" {
            continue;
        }
        let offensive = v
            .alerts
            .iter()
            .any(|a| a.tool_category == ToolCategory::KnownOffensiveTool);
        if offensive {
            text.push_str(&format!(
                "# not proposed: {actor} — its alerts carry an offensive tool signature\n"
            ));
            continue;
        }
        let mut analytics: Vec<&str> = v
            .alerts
            .iter()
            .filter_map(|a| a.analytic.as_deref())
            .collect();
        analytics.sort_unstable();
        analytics.dedup();
        let mut principals: Vec<String> = vec![toml_string(actor)];
        for a in &v.alerts {
            if let Some(id) = a.actor_id.as_deref().map(toml_string)
                && !principals.contains(&id)
            {
                principals.push(id);
            }
        }
        let mut rules: Vec<&str> = v.alerts.iter().map(|a| a.rule.title.as_str()).collect();
        rules.sort_unstable();
        rules.dedup();
        proposed += 1;
        text.push_str(&format!(
            "\n[[tuning]]\nname = \"proposed-{proposed}\"\nowner = \"CHANGE-ME\"\nreason = \"CHANGE-ME: {} alert(s): {}\"\nexpires = \"{expires}\"\nanalytics = [{}]\nprincipals = [{}]\n",
            v.alerts.len(),
            rules.join("; ").replace('"', "'"),
            analytics
                .iter()
                .map(|a| format!("\"{a}\""))
                .collect::<Vec<_>>()
                .join(", "),
            principals.join(", "),
        ));
    }
    if proposed == 0 {
        text.push_str("# (nothing to propose)\n");
    }
    print!("{text}");
    hunt::finish(&args.hunt, &stats)
}

fn toml_string(value: &str) -> String {
    format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Ninety days after `today` (or after the real date): proposals must not live forever.
fn proposed_expiry(today: Option<&str>) -> String {
    let date = today
        .and_then(|t| t.parse::<jiff::civil::Date>().ok())
        .unwrap_or_else(|| {
            jiff::Timestamp::now()
                .to_zoned(jiff::tz::TimeZone::UTC)
                .date()
        });
    date.checked_add(jiff::Span::new().days(90))
        .unwrap_or(date)
        .to_string()
}
