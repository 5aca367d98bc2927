//! `validate`: every emulation and benign twin through the real pipeline (`Hunter`, built-in
//! default rules, files in a temporary directory), compared with the expected outcome table.
//! The result is a coverage matrix: test × telemetry source × analytic with `fired`, `missed`,
//! `gap` (a known gap the table documents), `quiet`, `suppressed`, `alerted` or `extra`.

use std::collections::BTreeSet;
use std::path::PathBuf;

use enumwatch_alert::Alert;
use enumwatch_analytics::builtin_rule_sources;
use enumwatch_config::Config;
use enumwatch_event::{LogSource, Platform, ToolCategory};
use enumwatch_ingest::expand;
use enumwatch_pipeline::{HuntOptions, HuntOutput, Hunter};
use enumwatch_rules::RuleSet;
use serde::Serialize;

use crate::expect::{EXPECTATIONS, Outcome};
use crate::{EmulateError, TestInfo};

/// What happened in one cell of the matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// The intended analytic alerted with the expected platform and tool category.
    Fired,
    /// The intended analytic did not alert (or alerted with the wrong classification).
    Missed,
    /// Not detected, as the expected outcome table documents (a known gap).
    Gap,
    /// A benign twin: no alert, with or without its configuration.
    Quiet,
    /// A benign twin: alerts without its configuration, none with it.
    Suppressed,
    /// A benign twin alerted even with its configuration.
    Alerted,
    /// An alert the table does not list for an attack (informational).
    Extra,
}

impl Status {
    pub fn name(self) -> &'static str {
        match self {
            Status::Fired => "fired",
            Status::Missed => "missed",
            Status::Gap => "gap",
            Status::Quiet => "quiet",
            Status::Suppressed => "suppressed",
            Status::Alerted => "alerted",
            Status::Extra => "extra",
        }
    }
}

/// One row of the matrix.
#[derive(Debug, Clone, Serialize)]
pub struct Cell {
    pub test: &'static str,
    pub source: LogSource,
    /// Rule name; `-` for a benign twin's source row.
    pub rule: String,
    pub analytic: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_category: Option<ToolCategory>,
    pub status: Status,
    pub regression: bool,
    /// Why, when it is not plain (the classification that did fire, the known gap, …).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub detail: String,
}

/// The coverage matrix.
#[derive(Debug, Clone, Serialize)]
pub struct Matrix {
    pub cells: Vec<Cell>,
    /// Malformed or unrecognized records in an emulation's files (each is a regression).
    pub decode_problems: Vec<String>,
}

impl Matrix {
    pub fn regressions(&self) -> usize {
        self.cells.iter().filter(|c| c.regression).count() + self.decode_problems.len()
    }

    /// A plain-text table (one line per cell), stable for snapshots.
    pub fn to_table(&self) -> String {
        let header = [
            "TEST",
            "SOURCE",
            "ANALYTIC",
            "RULE",
            "PLATFORM",
            "TOOL CATEGORY",
            "STATUS",
        ];
        let rows: Vec<[String; 7]> = self
            .cells
            .iter()
            .map(|c| {
                let status = if c.regression {
                    format!("{} (REGRESSION)", c.status.name())
                } else {
                    c.status.name().to_owned()
                };
                [
                    c.test.to_owned(),
                    c.source.name().to_owned(),
                    c.analytic.clone(),
                    c.rule.clone(),
                    c.platform.map_or("-", Platform::name).to_owned(),
                    c.tool_category.map_or("-", ToolCategory::name).to_owned(),
                    status,
                ]
            })
            .collect();
        let mut widths = header.map(str::len);
        for row in &rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.len());
            }
        }
        let line = |cells: &[&str]| {
            let mut out = String::new();
            for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
                if i + 1 == cells.len() {
                    out.push_str(cell);
                } else {
                    out.push_str(&format!("{cell:<w$}  "));
                }
            }
            out.push('\n');
            out
        };
        let mut out = line(&header);
        for row in &rows {
            out.push_str(&line(&row.each_ref().map(String::as_str)));
        }
        for c in self.cells.iter().filter(|c| !c.detail.is_empty()) {
            out.push_str(&format!(
                "note: {} / {} / {}: {}\n",
                c.test,
                c.source.name(),
                c.rule,
                c.detail
            ));
        }
        for p in &self.decode_problems {
            out.push_str(&format!("decode: {p} (REGRESSION)\n"));
        }
        let attacks = self
            .cells
            .iter()
            .filter(|c| matches!(c.status, Status::Fired))
            .count();
        out.push_str(&format!(
            "{} cells: {} fired, {} known gaps, {} quiet, {} suppressed; {} regression(s)\n",
            self.cells.len(),
            attacks,
            self.cells
                .iter()
                .filter(|c| c.status == Status::Gap)
                .count(),
            self.cells
                .iter()
                .filter(|c| c.status == Status::Quiet)
                .count(),
            self.cells
                .iter()
                .filter(|c| c.status == Status::Suppressed)
                .count(),
            self.regressions()
        ));
        out
    }
}

fn default_rules() -> Result<RuleSet, EmulateError> {
    let (rules, errors) = enumwatch_rules::load_prechecked(&builtin_rule_sources(), &[]);
    if let Some(e) = errors.first() {
        return Err(EmulateError::Pipeline(e.to_string()));
    }
    Ok(rules.select(&[]))
}

fn hunter(rules: &RuleSet, config: Config) -> Result<Hunter, EmulateError> {
    hunter_with(rules, config, true)
}

/// A one-thread hunter; `prefilter` as `enumwatch hunt` has it on unless `--no-prefilter`.
pub(crate) fn hunter_with(
    rules: &RuleSet,
    config: Config,
    prefilter: bool,
) -> Result<Hunter, EmulateError> {
    let options = HuntOptions {
        threads: 1,
        config,
        prefilter,
        ..HuntOptions::default()
    };
    Hunter::new(rules.clone(), options).map_err(|e| EmulateError::Pipeline(e.to_string()))
}

pub(crate) fn run(hunter: &Hunter, paths: &[PathBuf]) -> Result<HuntOutput, EmulateError> {
    let (inputs, errors) = expand(paths);
    if let Some(e) = errors.first() {
        return Err(EmulateError::Pipeline(e.to_string()));
    }
    hunter
        .hunt(&inputs)
        .map_err(|e| EmulateError::Pipeline(e.to_string()))
}

/// Run `tests` through the pipeline and compare with the expected outcome table.
pub fn validate(tests: &[TestInfo]) -> Result<Matrix, EmulateError> {
    let rules = default_rules()?;
    let default = hunter(&rules, Config::default())?;
    let rule_name = |id: &str| {
        rules
            .rules()
            .iter()
            .find(|r| r.id == id)
            .and_then(|r| r.name.clone())
            .unwrap_or_else(|| id.to_owned())
    };
    let mut matrix = Matrix {
        cells: Vec::new(),
        decode_problems: Vec::new(),
    };
    for test in tests {
        let dir = tempfile::tempdir().map_err(|e| EmulateError::Pipeline(e.to_string()))?;
        let files = test.files();
        let mut paths = Vec::new();
        for file in &files {
            let path = dir.path().join(&file.name);
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent).map_err(|source| EmulateError::Write {
                    path: parent.to_path_buf(),
                    source,
                })?;
            }
            std::fs::write(&path, file.contents.as_bytes()).map_err(|source| {
                EmulateError::Write {
                    path: path.clone(),
                    source,
                }
            })?;
            paths.push(path);
        }
        let plain = run(&default, &paths)?;
        let stats = &plain.stats;
        if stats.malformed_total() > 0 || stats.unrecognized > 0 {
            matrix.decode_problems.push(format!(
                "{}: {} malformed, {} unrecognized records",
                test.name,
                stats.malformed_total(),
                stats.unrecognized
            ));
        }
        let rows: Vec<_> = EXPECTATIONS
            .iter()
            .filter(|e| e.test == test.name)
            .collect();
        if test.is_benign() {
            let tuned = match test.config {
                Some(text) => {
                    let config =
                        Config::parse(text, test.name).map_err(|e| EmulateError::Config {
                            test: test.name.to_owned(),
                            message: e.to_string(),
                        })?;
                    run(&hunter(&rules, config)?, &paths)?
                }
                None => plain.clone(),
            };
            for row in rows {
                let of = |out: &HuntOutput| -> Vec<String> {
                    out.alerts
                        .iter()
                        .filter(|a| a.log_source == row.source)
                        .map(|a| rule_name(&a.rule.id))
                        .collect()
                };
                let (with, without) = (of(&tuned), of(&plain));
                let (status, detail) = if !with.is_empty() {
                    (
                        Status::Alerted,
                        format!("alerted with its configuration: {}", dedup(&with)),
                    )
                } else if !without.is_empty() {
                    (
                        Status::Suppressed,
                        format!("without its configuration: {}", dedup(&without)),
                    )
                } else {
                    (Status::Quiet, String::new())
                };
                let expected = match row.outcome {
                    Outcome::Suppressed => Status::Suppressed,
                    _ => Status::Quiet,
                };
                matrix.cells.push(Cell {
                    test: test.name,
                    source: row.source,
                    rule: "-".to_owned(),
                    analytic: row.analytic.to_owned(),
                    platform: None,
                    tool_category: None,
                    status,
                    regression: status != expected,
                    detail,
                });
            }
            continue;
        }
        let mut used = BTreeSet::new();
        for row in rows {
            let candidates: Vec<(usize, &Alert)> = plain
                .alerts
                .iter()
                .enumerate()
                .filter(|(_, a)| a.log_source == row.source && rule_name(&a.rule.id) == row.rule)
                .collect();
            let good: Vec<usize> = candidates
                .iter()
                .filter(|(_, a)| {
                    a.analytic.as_deref() == Some(row.analytic)
                        && a.platform == row.platform
                        && a.tool_category == row.tool_category
                })
                .map(|(i, _)| *i)
                .collect();
            used.extend(candidates.iter().map(|(i, _)| *i));
            let (status, regression, detail) = match (&row.outcome, good.is_empty()) {
                (_, false) => (
                    Status::Fired,
                    false,
                    match row.outcome {
                        Outcome::KnownGap(_) => {
                            "fires now: the known gap is closed, update the table".to_owned()
                        }
                        _ => String::new(),
                    },
                ),
                (Outcome::KnownGap(why), true) => (Status::Gap, false, (*why).to_owned()),
                (_, true) => (
                    Status::Missed,
                    true,
                    match candidates.first() {
                        Some((_, a)) => format!(
                            "fired as {} / {} / {}",
                            a.analytic.as_deref().unwrap_or("-"),
                            a.platform.name(),
                            a.tool_category.name()
                        ),
                        None => "no alert".to_owned(),
                    },
                ),
            };
            matrix.cells.push(Cell {
                test: test.name,
                source: row.source,
                rule: row.rule.to_owned(),
                analytic: row.analytic.to_owned(),
                platform: Some(row.platform),
                tool_category: Some(row.tool_category),
                status,
                regression,
                detail,
            });
        }
        let mut extras: Vec<(LogSource, String, String, Platform, ToolCategory)> = plain
            .alerts
            .iter()
            .enumerate()
            .filter(|(i, _)| !used.contains(i))
            .map(|(_, a)| {
                (
                    a.log_source,
                    rule_name(&a.rule.id),
                    a.analytic.clone().unwrap_or_default(),
                    a.platform,
                    a.tool_category,
                )
            })
            .collect();
        extras.sort();
        extras.dedup();
        for (source, rule, analytic, platform, tool_category) in extras {
            matrix.cells.push(Cell {
                test: test.name,
                source,
                rule,
                analytic,
                platform: Some(platform),
                tool_category: Some(tool_category),
                status: Status::Extra,
                regression: false,
                detail: String::new(),
            });
        }
    }
    Ok(matrix)
}

fn dedup(names: &[String]) -> String {
    let set: BTreeSet<&str> = names.iter().map(String::as_str).collect();
    set.into_iter().collect::<Vec<_>>().join(", ")
}
