//! Pattern and network lists of the configuration: principals, app ids and user agents written
//! with `*` wildcards (case-insensitive, whole-value), and CIDR lists. Compiled once at load.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use ipnet::IpNet;
use regex::Regex;
use serde::Deserialize;
use serde::de::{self, Deserializer};

/// Whole-value, case-insensitive `*` wildcard patterns, compiled into one regex.
#[derive(Debug, Clone, Default)]
pub struct PatternList {
    patterns: Vec<String>,
    /// The compiled patterns (`None` when there are none). A user's list is compiled when it is
    /// read, so that its errors surface on load; a built-in default list on its first match,
    /// so a run whose events never consult it does not pay for it. Clones share it.
    regex: Arc<OnceLock<Option<Regex>>>,
}

impl PartialEq for PatternList {
    fn eq(&self, other: &Self) -> bool {
        self.patterns == other.patterns
    }
}

impl PatternList {
    pub fn new(patterns: Vec<String>) -> Result<Self, String> {
        let regex = compile(&patterns)?;
        Ok(Self {
            patterns,
            regex: Arc::new(OnceLock::from(regex)),
        })
    }

    /// A list of built-in patterns (known to compile: the tests compile every default list),
    /// compiled on first use.
    pub(crate) fn literal(patterns: &[&str]) -> Self {
        Self {
            patterns: patterns.iter().map(|s| (*s).to_owned()).collect(),
            regex: Arc::default(),
        }
    }

    pub fn matches(&self, value: &str) -> bool {
        self.regex
            .get_or_init(|| compile(&self.patterns).ok().flatten())
            .as_ref()
            .is_some_and(|r| r.is_match(value))
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }
}

/// One anchored, case-insensitive alternation of the patterns; `None` for no patterns.
fn compile(patterns: &[String]) -> Result<Option<Regex>, String> {
    if patterns.is_empty() {
        return Ok(None);
    }
    let alternatives: Vec<String> = patterns
        .iter()
        .map(|p| {
            p.split('*')
                .map(regex::escape)
                .collect::<Vec<_>>()
                .join(".*")
        })
        .collect();
    regex::RegexBuilder::new(&format!("^(?:{})$", alternatives.join("|")))
        .case_insensitive(true)
        .size_limit(1 << 22)
        .build()
        .map(Some)
        .map_err(|e| format!("cannot compile the patterns: {e}"))
}

impl<'de> Deserialize<'de> for PatternList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let patterns = Vec::<String>::deserialize(d)?;
        if let Some(empty) = patterns.iter().position(|p| p.trim().is_empty()) {
            return Err(de::Error::custom(format!(
                "pattern {empty} is empty; remove it or write `*` to match everything"
            )));
        }
        PatternList::new(patterns).map_err(de::Error::custom)
    }
}

/// Networks in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`); a bare address is a /32 or /128.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CidrList(Vec<IpNet>);

impl CidrList {
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&ip))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'de> Deserialize<'de> for CidrList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let texts = Vec::<String>::deserialize(d)?;
        let mut nets = Vec::with_capacity(texts.len());
        for text in texts {
            let t = text.trim();
            let net = t
                .parse::<IpNet>()
                .or_else(|_| t.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| {
                    de::Error::custom(format!(
                        "`{text}` is not a network; write it as \"10.0.0.0/8\" or \"2001:db8::/32\""
                    ))
                })?;
            nets.push(net);
        }
        Ok(CidrList(nets))
    }
}
