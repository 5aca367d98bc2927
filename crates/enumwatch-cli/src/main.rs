//! The enumwatch binary.
fn main() {}
