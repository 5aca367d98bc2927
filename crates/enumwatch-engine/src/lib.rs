//! Runs compiled Sigma rules over normalized events: routing by log source and matching.
