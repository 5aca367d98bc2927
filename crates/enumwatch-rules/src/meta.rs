//! `RuleMeta`: what enumwatch needs to know about a rule besides its detection logic, including
//! the `enumwatch:` mapping rule authors use to attach triage content.

use std::collections::HashMap;
use std::sync::Arc;

use rsigma_parser::{CorrelationRule, FilterRule, SigmaRule};
use serde_json::Value;

use crate::{RuleError, RuleSource};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Level {
    fn of(level: Option<rsigma_parser::Level>) -> Level {
        match level {
            Some(rsigma_parser::Level::Informational) => Level::Informational,
            Some(rsigma_parser::Level::Low) => Level::Low,
            Some(rsigma_parser::Level::High) => Level::High,
            Some(rsigma_parser::Level::Critical) => Level::Critical,
            Some(rsigma_parser::Level::Medium) | None => Level::Medium,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RuleKind {
    Detection,
    Correlation,
    Filter,
}

/// Metadata of one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleMeta {
    pub id: String,
    pub name: Option<String>,
    pub title: String,
    pub level: Level,
    pub kind: RuleKind,
    pub description: Option<String>,
    pub tags: Vec<String>,
    pub references: Vec<String>,
    pub falsepositives: Vec<String>,
    pub product: Option<String>,
    pub category: Option<String>,
    pub service: Option<String>,
    /// The `RuleSource` name the rule came from.
    pub source: String,
    /// DET0386 analytic (`AN1087`…`AN1090`); `None` = take it from the event (`cli.analytic`).
    pub analytic: Option<String>,
    /// Runs without `--rule` (default true).
    pub default_enabled: bool,
    /// Names a built-in classification applied to alerts (`sentinel-kql`).
    pub classifier: Option<String>,
    /// `low`, `medium` or `high`.
    pub confidence: Option<String>,
    /// Shared with every alert of the rule (`Arc`), which shows them verbatim.
    pub investigation: Arc<[String]>,
    pub response: Arc<[String]>,
    /// The offensive tool whose footprint the rule is (`AzureHound`): alerts name it and are
    /// graded as a known offensive tool even when the user agent was forged.
    pub tool: Option<String>,
    /// Configuration key whose number replaces a correlation's threshold (`iaas.denied_calls`).
    pub threshold_key: Option<String>,
    /// Configuration key whose window replaces a correlation's timespan (`iaas.time_window`).
    pub timespan_key: Option<String>,
}

const ANALYTICS: [&str; 4] = ["AN1087", "AN1088", "AN1089", "AN1090"];
const CLASSIFIERS: [&str; 1] = ["sentinel-kql"];

struct Extra {
    analytic: Option<String>,
    default_enabled: bool,
    classifier: Option<String>,
    confidence: Option<String>,
    investigation: Vec<String>,
    response: Vec<String>,
    threshold_key: Option<String>,
    timespan_key: Option<String>,
    tool: Option<String>,
}

fn extra<V: serde::Serialize>(
    attrs: &HashMap<String, V>,
    source: &RuleSource,
) -> Result<Extra, RuleError> {
    let mut out = Extra {
        analytic: None,
        default_enabled: true,
        classifier: None,
        confidence: None,
        investigation: Vec::new(),
        response: Vec::new(),
        threshold_key: None,
        timespan_key: None,
        tool: None,
    };
    let Some(raw) = attrs.get("enumwatch") else {
        return Ok(out);
    };
    let err = |key: &str, message: String| {
        RuleError::at(source, &format!("enumwatch.{key}"), key, message)
    };
    let value =
        serde_json::to_value(raw).map_err(|e| err("enumwatch", format!("unreadable: {e}")))?;
    let Value::Object(map) = value else {
        return Err(err(
            "enumwatch",
            "expected a mapping of enumwatch settings".to_owned(),
        ));
    };
    let strings = |key: &str, v: &Value| -> Result<Vec<String>, RuleError> {
        v.as_array()
            .and_then(|a| {
                a.iter()
                    .map(|s| s.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or_else(|| {
                err(
                    key,
                    format!("expected a list of strings under `enumwatch.{key}`"),
                )
            })
    };
    let one_of = |key: &str, v: &Value, allowed: &[&str]| -> Result<String, RuleError> {
        let found = v.as_str().unwrap_or_default();
        if allowed.contains(&found) {
            Ok(found.to_owned())
        } else {
            Err(err(
                key,
                format!("expected one of {}, found `{found}`", allowed.join(", ")),
            ))
        }
    };
    for (key, v) in &map {
        match key.as_str() {
            "analytic" => out.analytic = Some(one_of(key, v, &ANALYTICS)?),
            "default" => {
                out.default_enabled = v
                    .as_bool()
                    .ok_or_else(|| err(key, "expected true or false".to_owned()))?;
            }
            "classifier" => out.classifier = Some(one_of(key, v, &CLASSIFIERS)?),
            "confidence" => out.confidence = Some(one_of(key, v, &["low", "medium", "high"])?),
            "threshold" | "timespan" => {
                let k = v.as_str().filter(|k| !k.trim().is_empty()).ok_or_else(|| {
                    err(
                        key,
                        "expected a configuration key such as `iaas.time_window`".to_owned(),
                    )
                })?;
                if key == "threshold" {
                    out.threshold_key = Some(k.to_owned());
                } else {
                    out.timespan_key = Some(k.to_owned());
                }
            }
            "tool" => {
                let t = v.as_str().filter(|t| !t.trim().is_empty()).ok_or_else(|| {
                    err(
                        key,
                        "expected the tool's name, such as `AzureHound`".to_owned(),
                    )
                })?;
                out.tool = Some(t.to_owned());
            }
            "investigation" => out.investigation = strings(key, v)?,
            "response" => out.response = strings(key, v)?,
            other => {
                return Err(err(
                    other,
                    format!(
                        "unknown setting `enumwatch.{other}`; expected analytic, default, classifier, confidence, threshold, timespan, tool, investigation or response"
                    ),
                ));
            }
        }
    }
    Ok(out)
}

fn require_id(id: &Option<String>, source: &RuleSource) -> Result<String, RuleError> {
    id.clone().filter(|s| !s.trim().is_empty()).ok_or_else(|| {
        RuleError::at(
            source,
            "id",
            "title",
            "expected an `id` (a UUID); enumwatch names alerts and selections by rule id"
                .to_owned(),
        )
    })
}

pub(crate) fn of_detection(rule: &SigmaRule, source: &RuleSource) -> Result<RuleMeta, RuleError> {
    let x = extra(&rule.custom_attributes, source)?;
    Ok(RuleMeta {
        id: require_id(&rule.id, source)?,
        name: rule.name.clone(),
        title: rule.title.clone(),
        level: Level::of(rule.level),
        kind: RuleKind::Detection,
        description: rule.description.clone(),
        tags: rule.tags.clone(),
        references: rule.references.clone(),
        falsepositives: rule.falsepositives.clone(),
        product: rule.logsource.product.clone(),
        category: rule.logsource.category.clone(),
        service: rule.logsource.service.clone(),
        source: source.name.clone(),
        analytic: x.analytic,
        default_enabled: x.default_enabled,
        classifier: x.classifier,
        confidence: x.confidence,
        investigation: x.investigation.into(),
        response: x.response.into(),
        threshold_key: x.threshold_key,
        timespan_key: x.timespan_key,
        tool: x.tool,
    })
}

pub(crate) fn of_correlation(
    rule: &CorrelationRule,
    source: &RuleSource,
) -> Result<RuleMeta, RuleError> {
    let x = extra(&rule.custom_attributes, source)?;
    Ok(RuleMeta {
        id: require_id(&rule.id, source)?,
        name: rule.name.clone(),
        title: rule.title.clone(),
        level: Level::of(rule.level),
        kind: RuleKind::Correlation,
        description: rule.description.clone(),
        tags: rule.tags.clone(),
        references: rule.references.clone(),
        falsepositives: rule.falsepositives.clone(),
        product: None,
        category: None,
        service: None,
        source: source.name.clone(),
        analytic: x.analytic,
        default_enabled: x.default_enabled,
        classifier: x.classifier,
        confidence: x.confidence,
        investigation: x.investigation.into(),
        response: x.response.into(),
        threshold_key: x.threshold_key,
        timespan_key: x.timespan_key,
        tool: x.tool,
    })
}

pub(crate) fn of_filter(rule: &FilterRule, source: &RuleSource) -> Result<RuleMeta, RuleError> {
    let x = extra(&rule.custom_attributes, source)?;
    Ok(RuleMeta {
        id: require_id(&rule.id, source)?,
        name: rule.name.clone(),
        title: rule.title.clone(),
        level: Level::Informational,
        kind: RuleKind::Filter,
        description: rule.description.clone(),
        tags: Vec::new(),
        references: Vec::new(),
        falsepositives: Vec::new(),
        product: None,
        category: None,
        service: None,
        source: source.name.clone(),
        analytic: x.analytic,
        default_enabled: x.default_enabled,
        classifier: None,
        confidence: None,
        investigation: Arc::default(),
        response: Arc::default(),
        threshold_key: None,
        timespan_key: None,
        tool: None,
    })
}
