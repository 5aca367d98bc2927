//! Fuzz command-line recognition and de-obfuscation on arbitrary text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = enumwatch_enrich::recognize(None, &text, None);
    let _ = enumwatch_enrich::recognize_script(&text);
    let _ = enumwatch_enrich::kusto::sentinel_kql_detect_cloud_account(&text, &text);
});
