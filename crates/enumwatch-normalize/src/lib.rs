//! Vendor records to normalized events, one module per vendor log.
