//! Fuzz the Sigma rule loader: any text must give rules or located errors, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let source = enumwatch_rules::RuleSource { name: "fuzz.yml".to_owned(), text };
    let _ = enumwatch_rules::lint(&source);
});
