//! Detections become alerts here: each rule hit on an event is classified (cloud platform, tool
//! category, DET0386 analytic), graded (severity, confidence, with the factors that set them),
//! explained in one line, and given its evidence locations and the investigation and response
//! steps its rule carries.
//!
//! This crate decides nothing about matching; it only describes what the engine found.

mod alert;
mod build;
mod id;
mod queries;

pub use alert::{Alert, AlertRule, Confidence, Evidence, Severity, Suppression, TECHNIQUE};
pub use build::{AlertBuilder, RAW_FIELDS_READ, alert_order, sort_alerts};
pub use queries::{HuntingQueries, HuntingQuery, hunting_queries};

#[cfg(test)]
mod tests;
