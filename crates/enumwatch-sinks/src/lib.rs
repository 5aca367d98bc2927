//! Alert outputs: terminal table, JSON lines, JSON, CSV, and the run summary.
