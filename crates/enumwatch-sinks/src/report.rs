//! The incident report: alerts grouped into incidents (same actor, no more than a day between
//! alerts), a timeline, and for each alert its evidence, investigation guide, response playbook
//! and hunting queries. Rendered as one self-contained HTML file (inline CSS, no script, no
//! external resource, so it opens offline and in mail gateways) and as Markdown for tickets.

use enumwatch_alert::Alert;
use enumwatch_event::RunStats;

/// Alerts of one actor close together in time.
#[derive(Debug)]
pub struct Incident<'a> {
    pub actor: String,
    pub alerts: Vec<&'a Alert>,
}

/// Largest gap between two alerts of one incident.
const INCIDENT_GAP_SECONDS: i64 = 24 * 3600;

fn seconds(alert: &Alert) -> Option<i64> {
    alert
        .time
        .as_deref()
        .and_then(|t| t.parse::<jiff::Timestamp>().ok())
        .map(|t| t.as_second())
}

/// Group `alerts` (in time order) into incidents by actor and time.
pub fn incidents(alerts: &[Alert]) -> Vec<Incident<'_>> {
    let mut out: Vec<Incident<'_>> = Vec::new();
    for alert in alerts {
        let actor = alert
            .actor
            .clone()
            .unwrap_or_else(|| "unknown actor".to_owned());
        let open = out.iter_mut().rev().find(|i| {
            i.actor == actor
                && match (i.alerts.last().and_then(|a| seconds(a)), seconds(alert)) {
                    (Some(last), Some(now)) => now - last <= INCIDENT_GAP_SECONDS,
                    _ => true,
                }
        });
        match open {
            Some(incident) => incident.alerts.push(alert),
            None => out.push(Incident {
                actor,
                alerts: vec![alert],
            }),
        }
    }
    out.sort_by(|a, b| {
        let top = |i: &Incident<'_>| i.alerts.iter().map(|a| a.severity).max();
        top(b).cmp(&top(a)).then_with(|| a.actor.cmp(&b.actor))
    });
    out
}

fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#1d2733;max-width:72rem}\
h1{font-size:1.6rem}h2{font-size:1.25rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem;margin-top:2rem}\
h3{font-size:1.05rem;margin-bottom:.3rem}table{border-collapse:collapse;width:100%;font-size:.9rem}\
th,td{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}th{background:#f6f8fa}\
.sev{font-weight:600;padding:.05rem .4rem;border-radius:.3rem;color:#fff}.critical{background:#8b0000}.high{background:#c62828}\
.medium{background:#e08a00}.low{background:#2e7d32}.informational{background:#607d8b}\
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;font-size:.82rem}.alert{border:1px solid #d0d7de;border-radius:.4rem;padding:.6rem 1rem;margin:.8rem 0}\
.muted{color:#57606a;font-size:.85rem}";

/// The self-contained HTML report.
pub fn render_html(alerts: &[Alert], stats: &RunStats, title: &str) -> String {
    let mut h = String::new();
    h.push_str(&format!("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{STYLE}</style></head><body>\n<h1>{}</h1>\n",
        esc(title),
        esc(title)));
    h.push_str(&format!("<p class=\"muted\">{} alerts in {} incidents from {} records of {} inputs ({} skipped unparsed by the prefilter, {} malformed, {} unrecognized). MITRE ATT&amp;CK T1087.004, DET0386.</p>\n",
        alerts.len(),
        incidents(alerts).len(),
        stats.records + stats.records_prefiltered,
        stats.inputs,
        stats.records_prefiltered,
        stats.malformed_total(),
        stats.unrecognized));
    h.push_str("<h2 id=\"timeline\">Timeline</h2>\n<table><thead><tr><th>time</th><th>severity</th><th>analytic</th><th>rule</th><th>actor</th><th>platform</th><th>tool</th></tr></thead><tbody>\n");
    for a in alerts {
        h.push_str(&format!("<tr><td>{}</td><td><span class=\"sev {sev}\">{sev}</span></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
            esc(a.time.as_deref().unwrap_or("-")),
            esc(a.analytic.as_deref().unwrap_or("-")),
            esc(&a.rule.title),
            esc(a.actor.as_deref().unwrap_or("-")),
            esc(a.platform.name()),
            esc(&format!(
                "{} ({})",
                a.tool.as_deref().unwrap_or("-"),
                a.tool_category.name()
            )),
            sev = a.severity.name(),));
    }
    h.push_str("</tbody></table>\n");
    for (n, incident) in incidents(alerts).iter().enumerate() {
        h.push_str(&format!(
            "<h2 id=\"incident-{}\">Incident {}: {} ({} alerts)</h2>\n",
            n + 1,
            n + 1,
            esc(&incident.actor),
            incident.alerts.len()
        ));
        for a in &incident.alerts {
            html_alert(&mut h, a);
        }
    }
    h.push_str("</body></html>\n");
    h
}

fn html_alert(h: &mut String, a: &Alert) {
    h.push_str(&format!("<div class=\"alert\"><h3><span class=\"sev {sev}\">{sev}</span> {} <span class=\"muted\">{} · {} · confidence {}</span></h3>\n",
        esc(&a.rule.title),
        esc(a.analytic.as_deref().unwrap_or("-")),
        esc(a.time.as_deref().unwrap_or("-")),
        a.confidence.name(),
        sev = a.severity.name(),));
    h.push_str(&format!("<p>{}</p>\n", esc(&a.explanation)));
    if let Some(cmd) = a.command_line.as_deref().or(a.command.as_deref()) {
        h.push_str(&format!("<pre>{}</pre>\n", esc(cmd)));
    }
    let list = |h: &mut String, title: &str, items: &[String]| {
        if items.is_empty() {
            return;
        }
        h.push_str(&format!("<p><strong>{}</strong></p><ul>", esc(title)));
        for item in items {
            h.push_str(&format!("<li>{}</li>", esc(item)));
        }
        h.push_str("</ul>\n");
    };
    list(h, "Why this severity and confidence", &a.factors);
    let evidence: Vec<String> = a.evidence.iter().map(evidence_text).collect();
    list(h, "Evidence", &evidence);
    list(h, "Investigate", &a.investigation);
    list(h, "Respond", &a.response);
    for q in &a.hunting {
        h.push_str(&format!(
            "<p class=\"muted\">Hunt ({})</p><pre>{}</pre>\n",
            esc(q.language),
            esc(&q.query)
        ));
    }
    h.push_str("</div>\n");
}

fn evidence_text(e: &enumwatch_alert::Evidence) -> String {
    match (e.line, e.record_id) {
        (_, Some(id)) => format!("{} record #{id}", e.source),
        (Some(line), None) => format!("{}:{line} (record {})", e.source, e.record),
        (None, None) => format!("{} (record {})", e.source, e.record),
    }
}

/// The same report in Markdown.
pub fn render_markdown(alerts: &[Alert], stats: &RunStats, title: &str) -> String {
    let mut m = String::new();
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    m.push_str(&format!("# {title}\n\n"));
    m.push_str(&format!("{} alerts in {} incidents from {} records of {} inputs ({} skipped unparsed by the prefilter, {} malformed, {} unrecognized).\n\n",
        alerts.len(),
        incidents(alerts).len(),
        stats.records + stats.records_prefiltered,
        stats.inputs,
        stats.records_prefiltered,
        stats.malformed_total(),
        stats.unrecognized));
    m.push_str("## Timeline\n\n| time | severity | analytic | rule | actor | platform | tool |\n|---|---|---|---|---|---|---|\n");
    for a in alerts {
        m.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} ({}) |\n",
            cell(a.time.as_deref().unwrap_or("-")),
            a.severity.name(),
            cell(a.analytic.as_deref().unwrap_or("-")),
            cell(&a.rule.title),
            cell(a.actor.as_deref().unwrap_or("-")),
            a.platform.name(),
            cell(a.tool.as_deref().unwrap_or("-")),
            a.tool_category.name()
        ));
    }
    for (n, incident) in incidents(alerts).iter().enumerate() {
        m.push_str(&format!(
            "\n## Incident {}: {} ({} alerts)\n",
            n + 1,
            incident.actor,
            incident.alerts.len()
        ));
        for a in &incident.alerts {
            m.push_str(&format!(
                "\n### {} — {} ({}, {}, confidence {})\n\n{}\n\n",
                a.severity.name(),
                a.rule.title,
                a.analytic.as_deref().unwrap_or("-"),
                a.time.as_deref().unwrap_or("-"),
                a.confidence.name(),
                a.explanation
            ));
            for (title, items) in [
                ("Why", a.factors.as_slice()),
                ("Investigate", &a.investigation),
                ("Respond", &a.response),
            ] {
                if !items.is_empty() {
                    m.push_str(&format!("**{title}**\n\n"));
                    for item in items.iter() {
                        m.push_str(&format!("- {item}\n"));
                    }
                    m.push('\n');
                }
            }
            m.push_str("**Evidence**\n\n");
            for e in &a.evidence {
                m.push_str(&format!("- `{}`\n", evidence_text(e)));
            }
            for q in &a.hunting {
                m.push_str(&format!(
                    "\n**Hunt ({})**\n\n```\n{}\n```\n",
                    q.language, q.query
                ));
            }
        }
    }
    m
}
