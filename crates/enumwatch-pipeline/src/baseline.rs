//! First-seen baselines: what each principal normally does — the operations it calls, the
//! clients and apps it uses, the networks it comes from — learned from a period of logs and
//! stored in an embedded database (redb), then used to mark events that are a first for their
//! principal (`ctx.new_*`), which raises confidence and feeds the "first time" rules.
//!
//! Keys are `kind \x1f principal \x1f value`; the value stored is the first time it was seen
//! (epoch seconds). Networks are /24 (IPv4) or /48 (IPv6) so an ordinary DHCP change is not new.

use std::collections::HashSet;
use std::net::IpAddr;
use std::path::Path;

use enumwatch_decode::{SeekRead, decode_seekable};
use enumwatch_enrich::cloud::parse_ip;
use enumwatch_enrich::{CloudEnricher, CommandLineEnricher};
use enumwatch_event::{Event, LogSource, RunStats, field};
use enumwatch_ingest::{Input, open};
use enumwatch_normalize::Normalizer;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use thiserror::Error;

use crate::HuntOptions;

const SEEN: TableDefinition<'_, &str, u64> = TableDefinition::new("seen");

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BaselineError {
    #[error(
        "baseline database {path}: {message}; rebuild it with `enumwatch baseline PATH... --out {path}`"
    )]
    Store { path: String, message: String },
}

fn store_err(path: &Path, e: impl std::fmt::Display) -> BaselineError {
    BaselineError::Store {
        path: path.display().to_string(),
        message: e.to_string(),
    }
}

/// The kinds of behaviour a baseline remembers.
const KINDS: [(&str, &str); 4] = [
    ("op", field::CTX_NEW_OPERATION),
    ("client", field::CTX_NEW_CLIENT),
    ("app", field::CTX_NEW_APP),
    ("net", field::CTX_NEW_NETWORK),
];

fn network(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.0/24", o[0], o[1], o[2])
        }
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2])
        }
    }
}

/// (kind, value) pairs an event shows for its principal.
fn observations(event: &Event) -> Option<(String, Vec<(&'static str, String)>)> {
    let f = &event.fields;
    let principal = f
        .get_str(field::ACTOR)
        .or_else(|| f.get_str(field::ACTOR_ID))
        .or_else(|| event.get_str(field::USER))?
        .to_owned();
    let mut out = Vec::new();
    let op = f
        .get_str(field::CLI_COMMAND)
        .or_else(|| f.get_str(field::ACTION));
    if let Some(op) = op {
        out.push(("op", op.to_owned()));
    }
    if let Some(client) = f
        .get_str(field::CLIENT_TOOL)
        .or_else(|| f.get_str(field::CLI_TOOL))
    {
        out.push(("client", client.to_owned()));
    }
    if let Some(app) = f.get_str(field::APP_ID) {
        out.push(("app", app.to_owned()));
    }
    if let Some(ip) = f.get_str(field::SOURCE_IP).and_then(parse_ip) {
        out.push(("net", network(ip)));
    }
    Some((principal, out))
}

fn key(kind: &str, principal: &str, value: &str) -> String {
    format!("{kind}\u{1f}{principal}\u{1f}{value}")
}

/// What a baseline run learned.
#[derive(Debug, Default)]
pub struct Learned {
    pub stats: RunStats,
    /// Distinct principals.
    pub principals: u64,
    /// Keys written (new to the database).
    pub added: u64,
}

/// Learn from `inputs` into the database at `out` (created or extended).
pub fn learn(
    inputs: &[Input],
    options: &HuntOptions,
    out: &Path,
) -> Result<Learned, BaselineError> {
    let db = Database::create(out).map_err(|e| store_err(out, e))?;
    let cloud = CloudEnricher::new(options.config.clone());
    let cli = CommandLineEnricher::new();
    let mut learned = Learned::default();
    let mut principals = HashSet::new();
    let txn = db.begin_write().map_err(|e| store_err(out, e))?;
    {
        let mut table = txn.open_table(SEEN).map_err(|e| store_err(out, e))?;
        for input in inputs {
            learned.stats.inputs += 1;
            let Ok(opened) = open(input, &options.limits) else {
                learned.stats.inputs_unreadable += 1;
                continue;
            };
            let mut normalizer = Normalizer::new();
            let mut events = Vec::new();
            let mut decoder = decode_seekable(
                input.name.clone(),
                opened.reader,
                opened.seekable.map(|s| Box::new(s) as Box<dyn SeekRead>),
                &options.decode_limits,
            );
            loop {
                let done = match decoder.next() {
                    Some(Ok(record)) => {
                        learned.stats.records += 1;
                        normalizer.push(record, &mut events);
                        false
                    }
                    Some(Err(err)) => {
                        learned.stats.malformed_record(
                            &err.location,
                            err.reason(),
                            err.to_string(),
                        );
                        !err.can_continue()
                    }
                    None => true,
                };
                if done {
                    normalizer.finish(&mut events);
                }
                for mut e in events.drain(..) {
                    cli.enrich(&mut e);
                    cloud.enrich(&mut e);
                    let Some((principal, seen)) = observations(&e) else {
                        continue;
                    };
                    principals.insert(principal.clone());
                    let when = e.time.map(|t| t.as_second().max(0) as u64).unwrap_or(0);
                    let p = key("principal", &principal, "");
                    let known = table
                        .get(p.as_str())
                        .map_err(|e| store_err(out, e))?
                        .is_some();
                    if !known {
                        table
                            .insert(p.as_str(), when)
                            .map_err(|e| store_err(out, e))?;
                    }
                    for (kind, value) in seen {
                        let k = key(kind, &principal, &value);
                        let exists = table
                            .get(k.as_str())
                            .map_err(|e| store_err(out, e))?
                            .is_some();
                        if !exists {
                            table
                                .insert(k.as_str(), when)
                                .map_err(|e| store_err(out, e))?;
                            learned.added += 1;
                        }
                    }
                }
                if done {
                    break;
                }
            }
        }
    }
    txn.commit().map_err(|e| store_err(out, e))?;
    learned.principals = principals.len() as u64;
    Ok(learned)
}

/// A baseline loaded for lookups during a hunt.
#[derive(Debug, Default)]
pub struct Baseline {
    keys: HashSet<String>,
}

impl Baseline {
    /// Load every key of the database (baselines are small next to the logs they describe).
    pub fn load(path: &Path) -> Result<Baseline, BaselineError> {
        let db = Database::open(path).map_err(|e| store_err(path, e))?;
        let txn = db.begin_read().map_err(|e| store_err(path, e))?;
        let table = txn.open_table(SEEN).map_err(|e| store_err(path, e))?;
        let mut keys = HashSet::new();
        for entry in table.iter().map_err(|e| store_err(path, e))? {
            let (k, _) = entry.map_err(|e| store_err(path, e))?;
            keys.insert(k.value().to_owned());
        }
        Ok(Baseline { keys })
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Mark what is a first for the event's principal (`ctx.new_principal`, `ctx.new_*`).
    pub fn mark(&self, event: &mut Event) {
        if matches!(event.source, LogSource::WindowsOther) {
            return;
        }
        let Some((principal, seen)) = observations(event) else {
            return;
        };
        if !self.keys.contains(&key("principal", &principal, "")) {
            event.fields.insert(field::CTX_NEW_PRINCIPAL, true);
            return;
        }
        for (kind, value) in seen {
            if !self.keys.contains(&key(kind, &principal, &value))
                && let Some((_, name)) = KINDS.iter().find(|(k, _)| *k == kind)
            {
                event.fields.insert(*name, true);
            }
        }
    }
}
