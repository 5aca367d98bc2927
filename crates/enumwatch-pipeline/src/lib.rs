//! Wires the stages for a batch hunt over files: parallel per input, deterministic merge, run stats.
