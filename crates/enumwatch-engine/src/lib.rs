//! Runs Sigma rules over normalized events. Rules are compiled once by `rsigma-eval`, into
//! engines per `LogSource`, so an event is only ever evaluated against the rules of its own log
//! source, and a rule an exact value gates only against the events holding that value
//! (`candidates`). Correlation rules run on event time, fed in event-time order by the caller.
//!
//! No I/O and no clock: the same events give the same hits, however fast they are replayed.

mod candidates;
mod correlate;
mod matcher;
mod prefilter;
mod raw_fields;
mod repeats;
mod selector;
mod state;
mod view;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_candidates;

use thiserror::Error;

pub use correlate::{CorrelationHit, Correlator, MAX_GROUP_ENTRIES, MAX_STATE_ENTRIES};
pub use matcher::{Hit, Matcher};
pub use prefilter::{NoPrefilter, RawFacts, RawPrefilter};
pub use raw_fields::{prune, raw_fields};

#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EngineError {
    #[error("rule `{rule}` cannot be compiled: {message}; check it with `enumwatch rules lint`")]
    Compile { rule: String, message: String },
}
