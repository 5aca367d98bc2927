//! Derived fields: command-line parsing, de-obfuscation and cloud tool recognition.
