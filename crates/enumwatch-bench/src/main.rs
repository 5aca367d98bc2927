//! Baselines that `bench/run.sh` times beside `enumwatch hunt` on the same file in the same run:
//! `read` (buffered read and line split, the I/O floor), `json` (every line parsed into a
//! `serde_json::Value`), `sonic` (every line parsed into sonic-rs's own DOM: the SIMD parse
//! floor), `simd-json` (every line parsed into simd-json's borrowed DOM: the Rust port of
//! simdjson, a second SIMD floor) and `sonic-serde` (sonic-rs into a `serde_json::Value`, what
//! enumwatch's decoder does).
//! Prints
//! `lines=<n> bytes=<n> seconds=<s>` so the script can compute rates.

#![allow(clippy::print_stdout, reason = "a benchmark tool reports on stdout")]

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use sonic_rs::JsonValueTrait;

/// The same allocator as `enumwatch`, so the baselines measure parsing, not malloc.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(mode), Some(path)) = (args.get(1), args.get(2)) else {
        bail!("usage: enumwatch-baseline read|json|sonic|simd-json|sonic-serde|check FILE");
    };
    let file = File::open(path).with_context(|| format!("cannot open {path}"))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let started = Instant::now();
    let mut line = Vec::new();
    // simd-json parses in place and keeps its working buffers across lines, as its docs advise
    // for a stream of documents.
    let mut simd_buffers = simd_json::Buffers::default();
    let (mut n_lines, mut n_bytes, mut n_objects) = (0u64, 0u64, 0u64);
    loop {
        line.clear();
        let n = reader.read_until(b'\n', &mut line)?;
        if n == 0 {
            break;
        }
        n_lines += 1;
        n_bytes += n as u64;
        match mode.as_str() {
            "read" => {}
            "json" => {
                let value: serde_json::Value = serde_json::from_slice(&line)
                    .with_context(|| format!("line {n_lines} is not JSON"))?;
                if value.is_object() {
                    n_objects += 1;
                }
            }
            "sonic" => {
                let value: sonic_rs::Value = sonic_rs::from_slice(&line)
                    .with_context(|| format!("line {n_lines} is not JSON"))?;
                if value.is_object() {
                    n_objects += 1;
                }
            }
            "simd-json" => {
                let value = simd_json::to_borrowed_value_with_buffers(&mut line, &mut simd_buffers)
                    .with_context(|| format!("line {n_lines} is not JSON"))?;
                if simd_json::prelude::ValueAsObject::as_object(&value).is_some() {
                    n_objects += 1;
                }
            }
            "sonic-serde" => {
                let value: serde_json::Value = sonic_rs::from_slice(&line)
                    .with_context(|| format!("line {n_lines} is not JSON"))?;
                if value.is_object() {
                    n_objects += 1;
                }
            }
            "check" => {
                if enumwatch_decode::certainly_well_formed(&line) {
                    n_objects += 1;
                }
            }
            other => bail!(
                "unknown mode {other}; use read, json, sonic, simd-json, sonic-serde or check"
            ),
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!("lines={n_lines} bytes={n_bytes} objects={n_objects} seconds={seconds:.3}");
    Ok(())
}
