//! The vocabulary every stage shares: where a record came from ([`Location`]), the vendor-shaped
//! record a decoder produced ([`RawRecord`]), and the normalized [`Event`] that rules match.
//!
//! This crate does no I/O and parses no vendor format; it only defines the types the stages pass
//! to each other, so that a decoder, a normalizer and the rule engine can be written and tested
//! apart.

mod event;
mod location;
mod platform;
mod raw;
mod stats;

pub use event::{Event, Fields, field};
pub use location::Location;
pub use platform::{LogSource, Platform, SigmaLogSource, ToolCategory};
pub use raw::{Member, RawRecord, RecordPrefilter, lookup_path};
pub use stats::{MAX_PROBLEMS, Problem, RunStats};
