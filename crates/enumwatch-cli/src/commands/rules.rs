//! `enumwatch rules list|show|lint`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Result, bail};
use enumwatch_pipeline::read_rule_dir;
use enumwatch_rules::{RuleKind, lint as lint_source};

use crate::cli::{LintArgs, ListArgs, ShowArgs};
use crate::commands::load_rules;

pub(crate) fn list(args: &ListArgs) -> Result<ExitCode> {
    let rules = load_rules(&args.rule_args)?;
    let mut rows: Vec<_> = rules.rules().iter().collect();
    rows.sort_by(|a, b| (!a.default_enabled, &a.id).cmp(&(!b.default_enabled, &b.id)));
    println!(
        "   {:<36}  {:<8}  {:<11}  {:<6}  title",
        "id", "level", "kind", "analytic"
    );
    for rule in rows {
        println!(
            "{}  {:<36}  {:<8}  {:<11}  {:<6}  {}",
            if rule.default_enabled { "*" } else { " " },
            rule.id,
            format!("{:?}", rule.level).to_ascii_lowercase(),
            kind_name(&rule.kind),
            rule.analytic.as_deref().unwrap_or("event"),
            rule.title
        );
    }
    println!("* enabled by default; select others with `enumwatch hunt --rule ID_OR_TAG`");
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn show(args: &ShowArgs) -> Result<ExitCode> {
    let rules = load_rules(&args.rule_args)?;
    let selected = rules.all().select(std::slice::from_ref(&args.id));
    let Some(rule) = selected.rules().first() else {
        bail!(
            "no rule with id, name or title `{}`; see `enumwatch rules list`",
            args.id
        );
    };
    println!("id:          {}", rule.id);
    println!("title:       {}", rule.title);
    println!("kind:        {}", kind_name(&rule.kind));
    println!(
        "level:       {}",
        format!("{:?}", rule.level).to_ascii_lowercase()
    );
    println!(
        "analytic:    {}",
        rule.analytic.as_deref().unwrap_or("from the event")
    );
    println!(
        "default:     {}",
        if rule.default_enabled { "on" } else { "off" }
    );
    println!("source:      {}", rule.source);
    if !rule.tags.is_empty() {
        println!("tags:        {}", rule.tags.join(", "));
    }
    if let Some(description) = &rule.description {
        println!("description: {}", description.trim());
    }
    for fp in &rule.falsepositives {
        println!("false positive: {fp}");
    }
    for step in rule.investigation.iter() {
        println!("investigate: {step}");
    }
    for step in rule.response.iter() {
        println!("respond:     {step}");
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn lint(args: &LintArgs) -> Result<ExitCode> {
    let mut n_errors = 0usize;
    let mut n_files = 0usize;
    for path in &args.paths {
        for source in read_rule_dir(Path::new(path))? {
            n_files += 1;
            for err in lint_source(&source) {
                n_errors += 1;
                println!("{err}");
            }
        }
    }
    eprintln!("{n_files} file(s) checked, {n_errors} error(s)");
    Ok(if n_errors == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn kind_name(kind: &RuleKind) -> &'static str {
    match kind {
        RuleKind::Detection => "detection",
        RuleKind::Correlation => "correlation",
        RuleKind::Filter => "filter",
    }
}
