//! The only crate that knows the whole flow of a batch hunt: inputs are opened, decoded,
//! normalized, enriched and matched in parallel (one input per task), then merged in input
//! order, so the alerts and the run summary are identical at any thread count.
//!
//! It does file I/O (opening inputs, reading rule folders) but never prints: progress is a
//! shared byte counter the caller may display, and every problem lands in `RunStats`.

mod baseline;
mod correlate;
mod coverage;
mod evidence;
mod hunt;
mod ordered;
mod rules_io;
mod spool;
mod tuning;

pub use baseline::{Baseline, BaselineError, Learned, learn};
pub use coverage::{Coverage, Requirement, survey};
pub use hunt::{HuntOptions, HuntOutput, Hunter, PipelineError};
pub use rules_io::{RulesIoError, read_rule_dir};
pub use spool::{DEFAULT_MAX_ALERT_BYTES, DEFAULT_MAX_HELD_BYTES, Purpose, SpillError};
