//! Sigma rule loading, validation and metadata, with located rule errors.
