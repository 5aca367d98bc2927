//! Fuzz the `enumwatch.toml` parser: any UTF-8 text must give a configuration or an error that
//! names the file, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match enumwatch_config::Config::parse(text, "fuzz.toml") {
        Ok(config) => {
            for key in enumwatch_config::Config::number_keys() {
                let _ = config.number(key);
            }
            for key in enumwatch_config::Config::window_keys() {
                let _ = config.window(key);
            }
        }
        Err(error) => assert!(error.to_string().contains("fuzz.toml")),
    }
});
