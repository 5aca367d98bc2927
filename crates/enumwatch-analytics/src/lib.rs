//! The built-in detection content: Sigma rules per DET0386 analytic, shipped in the binary.
