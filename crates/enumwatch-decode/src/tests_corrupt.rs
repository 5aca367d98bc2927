//! "N good records plus one corrupted record give N records and exactly one located error", for
//! the formats `tests.rs` does not cover: EVTX (a real Sysmon sample, one corrupted chunk or
//! record) and gzip cut in the middle of a member (through `enumwatch-ingest`, the way a hunt
//! reads it). Case counts stay small: every case builds and parses a whole file.

use std::io::{Cursor, Read, Write};
use std::sync::Arc;

use proptest::prelude::*;

use super::*;

const CHUNK: usize = 64 * 1024;
const FILE_HEADER: usize = 4096;
const CHUNK_HEADER: usize = 512;

fn run(bytes: &[u8]) -> (Vec<RawRecord>, Vec<DecodeError>) {
    let decoder = decode(
        Arc::from("t"),
        Box::new(Cursor::new(bytes.to_vec())),
        &DecodeLimits::default(),
    );
    let (mut ok, mut err) = (Vec::new(), Vec::new());
    for item in decoder {
        match item {
            Ok(r) => ok.push(r),
            Err(e) => err.push(e),
        }
    }
    (ok, err)
}

/// The real Sysmon sample (SigmaHQ regression data, DRL 1.1): a file header and one chunk
/// holding one record.
fn sample() -> Vec<u8> {
    std::fs::read(format!(
        "{}/../../testdata/logs/sysmon/sigma_regression_adfind.evtx",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// An EVTX file of `n` chunks, each the sample's chunk with its one record renumbered
/// `i + 1` (record header and chunk header), so the parser walks them in order.
fn evtx_of(n: usize) -> Vec<u8> {
    let sample = sample();
    let (header, chunk) = sample.split_at(FILE_HEADER);
    let chunk = &chunk[..CHUNK];
    let mut out = header.to_vec();
    for i in 0..n {
        let mut c = chunk.to_vec();
        let id = (i as u64 + 1).to_le_bytes();
        // first/last event record number and id
        for offset in [8, 16, 24, 32] {
            c[offset..offset + 8].copy_from_slice(&id);
        }
        // the record's own id, 8 bytes after its `**\0\0` magic and size
        c[CHUNK_HEADER + 8..CHUNK_HEADER + 16].copy_from_slice(&id);
        out.extend_from_slice(&c);
    }
    out
}

/// How one chunk is damaged.
#[derive(Debug, Clone, Copy)]
enum Damage {
    /// `ElfChnk\0` overwritten: the chunk cannot be opened.
    ChunkMagic,
    /// The record's `**\0\0` magic overwritten: the record cannot be framed.
    RecordMagic,
    /// The record's BinXML token stream overwritten after the fragment header.
    BinXml,
}

fn damage(file: &mut [u8], chunk: usize, how: Damage) {
    let base = FILE_HEADER + chunk * CHUNK;
    match how {
        Damage::ChunkMagic => file[base..base + 8].copy_from_slice(b"BadChnk\0"),
        Damage::RecordMagic => {
            file[base + CHUNK_HEADER..base + CHUNK_HEADER + 4].copy_from_slice(b"XXXX");
        }
        Damage::BinXml => {
            // record header 24 bytes, fragment header 4 bytes, then the template instance
            let at = base + CHUNK_HEADER + 24 + 4;
            file[at..at + 16].fill(0xff);
        }
    }
}

#[test]
fn evtx_sample_builder_gives_one_record_per_chunk() {
    let (records, errors) = run(&evtx_of(3));
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(records.len(), 3);
    for (i, record) in records.iter().enumerate() {
        assert_eq!(record.location.record, i as u64);
        assert_eq!(
            record.body["Event"]["EventData"]["Image"],
            "C:\\Users\\SwachchhandaP\\Downloads\\AdFind\\AdFind.exe",
            "every copy renders like the sample"
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// One damaged chunk (here: one record per chunk) costs that chunk's record and nothing else:
    /// every other record is delivered, in order, and there is exactly one `evtx_record` error at
    /// the damaged record's index. A damaged chunk *header* costs every record of that chunk
    /// (each chunk holds up to ~64 KiB of records; the evtx crate cannot read any of them
    /// without the header) — still one error, located at the index where the chunk's records
    /// would have been.
    #[test]
    fn one_damaged_evtx_chunk_costs_exactly_its_records(
        n in 1usize..6,
        bad in 0usize..6,
        how in prop::sample::select(vec![Damage::ChunkMagic, Damage::RecordMagic, Damage::BinXml]),
    ) {
        let bad = bad % (n + 1);
        let mut file = evtx_of(n + 1);
        damage(&mut file, bad, how);
        let (records, errors) = run(&file);
        prop_assert_eq!(records.len(), n, "{:?}", errors);
        prop_assert_eq!(errors.len(), 1, "{:?}", errors);
        prop_assert_eq!(errors[0].reason(), "evtx_record");
        prop_assert!(errors[0].can_continue());
        let message = errors[0].to_string();
        let named = match how {
            Damage::ChunkMagic => format!("chunk number {bad}: Failed to parse chunk header: Invalid EVTX chunk header magic"),
            Damage::RecordMagic => format!("of chunk {bad} (file offset 0x{:x})", FILE_HEADER + bad * CHUNK + CHUNK_HEADER),
            Damage::BinXml => format!("record number {}", bad + 1),
        };
        prop_assert!(message.contains(&named), "{message}");
        // Locations count the decoder's items. The evtx crate walks chunks from the oldest
        // readable one and wraps around, so an unreadable *first* chunk is reported last.
        let at = if matches!(how, Damage::ChunkMagic) && bad == 0 { n } else { bad };
        prop_assert_eq!(errors[0].location.record, at as u64);
        let ids: Vec<u64> = records.iter().map(|r| r.location.record).collect();
        let expected: Vec<u64> = (0..=n as u64).filter(|&i| i != at as u64).collect();
        prop_assert_eq!(ids, expected);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    /// A log cut short anywhere inside its last chunk (a copy taken while it was written, a
    /// partial download) gives the records of its whole chunks and exactly one located
    /// `truncated_input` error after them, read from a file or from a stream. The evtx crate
    /// alone stops before the partial chunk without a word.
    #[test]
    fn an_evtx_log_cut_inside_its_last_chunk_is_one_located_error(
        n in 1usize..5,
        cut in 1usize..CHUNK,
        seekable in any::<bool>(),
    ) {
        let file = evtx_of(n + 1);
        let items = items_on(1, seekable, &file[..FILE_HEADER + n * CHUNK + cut]);
        prop_assert_eq!(items.len(), n + 1, "{:?}", items);
        let last = &items[n];
        prop_assert!(last.starts_with(&format!("{n} ")), "{last}");
        let says = format!("input ends early: the file ends {cut} bytes into chunk number {n} ");
        prop_assert!(last.contains(&says), "{last}");
        prop_assert!(items[..n].iter().all(|i| !i.contains("input ends early")), "{:?}", items);
    }
}

/// A log whose header counts more chunks than it holds was cut at a chunk boundary: one located
/// error after the records it holds. Zero bytes after the last chunk are padding, not a cut.
#[test]
fn evtx_chunks_missing_by_the_header_count_are_an_error_and_zero_padding_is_not() {
    let mut file = evtx_of(3);
    file[42..44].copy_from_slice(&5u16.to_le_bytes());
    let (records, errors) = run(&file);
    assert_eq!(records.len(), 3);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].reason(), "truncated_input");
    assert_eq!(errors[0].location.record, 3);
    assert!(
        errors[0]
            .to_string()
            .contains("the file header counts 5 chunks but the file holds 3"),
        "{}",
        errors[0]
    );

    let mut padded = evtx_of(3);
    padded.extend_from_slice(&[0; 1000]);
    let (records, errors) = run(&padded);
    assert_eq!((records.len(), errors.len()), (3, 0), "{errors:?}");
}

/// Every item of `bytes` decoded on a rayon pool of `threads` workers, as text (record id and
/// body, or the error with its location); with `seekable`, read by seeking a second handle on
/// the bytes (as a file on disk is), else from the stream alone.
fn items_on(threads: usize, seekable: bool, bytes: &[u8]) -> Vec<String> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap();
    let second: Option<Box<dyn SeekRead>> = match seekable {
        true => Some(Box::new(Cursor::new(bytes.to_vec()))),
        false => None,
    };
    pool.install(|| {
        decode_seekable(
            Arc::from("t"),
            Box::new(Cursor::new(bytes.to_vec())),
            second,
            &DecodeLimits::default(),
        )
        .map(|item| match item {
            Ok(r) => format!(
                "{} {:?} {}",
                r.location.record, r.location.record_id, r.body
            ),
            Err(e) => format!("{} {e}", e.location.record),
        })
        .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Chunks rendered in parallel come out as one worker renders them: same records, same
    /// errors, same locations, whatever the batch boundaries, and whether the file is read from
    /// the stream or by seeking.
    #[test]
    fn evtx_items_do_not_depend_on_worker_threads(
        n in 1usize..60,
        bad in prop::option::of((0usize..60, prop::sample::select(vec![Damage::ChunkMagic, Damage::RecordMagic, Damage::BinXml]))),
    ) {
        let mut file = evtx_of(n);
        if let Some((chunk, how)) = bad {
            damage(&mut file, chunk % n, how);
        }
        let one = items_on(1, false, &file);
        prop_assert_eq!(one.len(), n);
        prop_assert_eq!(&one, &items_on(3, false, &file));
        prop_assert_eq!(&one, &items_on(1, true, &file));
        prop_assert_eq!(&one, &items_on(3, true, &file));
    }
}

/// Records are rendered a batch of chunks at a time as they are asked for, not all at once: a
/// large log never exists as JSON whole.
#[test]
fn evtx_records_are_rendered_a_batch_at_a_time() {
    let file = evtx_of(40);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    pool.install(|| {
        let mut records = evtx_records::records(
            Arc::from("t"),
            Box::new(Cursor::new(file.clone())),
            None,
            crate::Skipper::inactive(),
        );
        assert!(records.next().is_some_and(|r| r.is_ok()));
        // one record per chunk: the rest of the first batch is ready, nothing more
        assert_eq!(records.buffered(), evtx_records::batch_chunks(2) - 1);
        assert_eq!(records.count(), 39);
    });
}

fn gzip(members: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for member in members {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(member).unwrap();
        out.extend(enc.finish().unwrap());
    }
    out
}

/// What a streaming gzip reader yields from `bytes` before it fails.
fn decompressed_prefix(bytes: &[u8]) -> Vec<u8> {
    let mut reader = flate2::read::MultiGzDecoder::new(bytes);
    let mut out = Vec::new();
    let mut buf = [0u8; 512];
    loop {
        match reader.read(&mut buf) {
            Ok(0) | Err(_) => return out,
            Ok(k) => out.extend_from_slice(&buf[..k]),
        }
    }
}

/// Decode `bytes` the way a hunt does: from a file, through `enumwatch_ingest::open`.
fn hunt_read(bytes: &[u8]) -> (Vec<RawRecord>, Vec<DecodeError>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.jsonl.gz");
    std::fs::write(&path, bytes).unwrap();
    let (inputs, errors) = enumwatch_ingest::expand(std::slice::from_ref(&path));
    assert!(errors.is_empty());
    let opened = enumwatch_ingest::open(&inputs[0], &enumwatch_ingest::Limits::default()).unwrap();
    let decoder = decode(Arc::from("t"), opened.reader, &DecodeLimits::default());
    let (mut ok, mut err) = (Vec::new(), Vec::new());
    for item in decoder {
        match item {
            Ok(r) => ok.push(r),
            Err(e) => err.push(e),
        }
    }
    (ok, err)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// A gzip stream cut inside its second member: every line of the intact first member and
    /// every complete line the decompressor produced before the cut is a record, in order, and
    /// then comes exactly one `truncated_input` error — no partial line is reported as JSON.
    #[test]
    fn gzip_cut_mid_member_delivers_every_complete_record_then_one_truncation_error(
        first in 1usize..8,
        second in 1usize..400,
        cut in 0.05f64..0.95,
    ) {
        let line = |i: usize| format!("{{\"i\":{i},\"pad\":\"{}\"}}\n", "x".repeat(i % 37));
        let a: String = (0..first).map(line).collect();
        let b: String = (first..first + second).map(line).collect();
        let whole = gzip(&[a.as_bytes(), b.as_bytes()]);
        let first_len = gzip(&[a.as_bytes()]).len();
        // Cut somewhere inside the second member (never at its very end).
        let second_len = whole.len() - first_len;
        let at = first_len + 1 + ((second_len - 2) as f64 * cut) as usize;
        let cut_bytes = &whole[..at];
        let prefix = decompressed_prefix(cut_bytes);
        let complete = prefix.iter().filter(|&&b| b == b'\n').count();
        prop_assert!(complete >= first);
        let (records, errors) = hunt_read(cut_bytes);
        prop_assert_eq!(records.len(), complete, "{:?}", errors);
        for (i, record) in records.iter().enumerate() {
            prop_assert_eq!(record.body["i"].as_u64(), Some(i as u64));
        }
        prop_assert_eq!(errors.len(), 1, "{:?}", errors);
        prop_assert_eq!(errors[0].reason(), "truncated_input");
        prop_assert!(!errors[0].can_continue());
    }
}

#[test]
fn a_json_line_or_element_that_is_not_utf8_is_an_invalid_utf8_error() {
    let (records, errors) = run(b"{\"a\":1}\n{\"ua\":\"x\xff\xfe\"}\n{\"a\":3}\n");
    assert_eq!(records.len(), 2);
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].reason(), "invalid_utf8");
    assert_eq!(errors[0].location.line, Some(2));
    assert_eq!(
        errors[0].to_string(),
        "text is not valid UTF-8; the record was skipped"
    );
    let (records, errors) = run(b"[{\"a\":1},\n{\"ua\":\"x\xff\"},\n{\"a\":3}]");
    assert_eq!(records.len(), 2);
    assert_eq!(errors[0].reason(), "invalid_utf8");
    assert_eq!(errors[0].location.record, 1);
    // Valid UTF-8 that is bad JSON stays `invalid_json`.
    let (_, errors) = run(b"{\"a\":1}\n{\"a\": nope}\n");
    assert_eq!(errors[0].reason(), "invalid_json");
}

/// Rejects every other record it is asked about (asked in order: one worker).
#[derive(Debug, Default)]
struct EveryOther(std::sync::atomic::AtomicUsize);

impl enumwatch_event::RecordPrefilter for EveryOther {
    fn admits(&self, text: &[u8]) -> bool {
        assert!(
            text.starts_with(b"{\"Event\""),
            "asked about the rendered JSON"
        );
        self.0
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .is_multiple_of(2)
    }
}

/// An EVTX record the prefilter rejects is skipped unparsed and counted, and the records kept
/// are numbered as in a run that parses every record.
#[test]
fn evtx_records_the_prefilter_rejects_are_skipped_and_numbered() {
    let file = evtx_of(7);
    let items = |limits: &DecodeLimits| -> (Vec<String>, u64) {
        let mut decoder = decode(Arc::from("t"), Box::new(Cursor::new(file.clone())), limits);
        let items = decoder
            .by_ref()
            .map(|item| {
                let r = item.unwrap();
                format!(
                    "{} {:?} {}",
                    r.location.record, r.location.record_id, r.body
                )
            })
            .collect();
        (items, decoder.prefiltered())
    };
    let (all, none_skipped) = items(&DecodeLimits::default());
    let (kept, skipped) = items(&DecodeLimits {
        prefilter: Some(Arc::new(EveryOther::default())),
        ..DecodeLimits::default()
    });
    assert_eq!((all.len(), none_skipped), (7, 0));
    assert_eq!(skipped, 3);
    let every_other: Vec<String> = all.into_iter().step_by(2).collect();
    assert_eq!(kept, every_other);
}

/// An EVTX record nested past the depth limit is a located error, and the records after it are
/// still read.
#[test]
fn evtx_records_past_the_depth_limit_are_located_errors() {
    let file = evtx_of(3);
    let limits = DecodeLimits {
        max_depth: 2,
        ..DecodeLimits::default()
    };
    let items: Vec<_> = decode(Arc::from("t"), Box::new(Cursor::new(file)), &limits).collect();
    assert_eq!(items.len(), 3);
    for (n, item) in items.iter().enumerate() {
        let err = item.as_ref().unwrap_err();
        assert_eq!(err.location.record, n as u64);
        assert!(
            matches!(err.kind, DecodeErrorKind::TooDeep { limit: 2 }),
            "{err}"
        );
    }
}

/// `evtx_of(n)` with each chunk's CRC32 checksums made to hold again, as Windows writes them.
fn with_checksums(mut file: Vec<u8>) -> Vec<u8> {
    let chunks = (file.len() - FILE_HEADER) / CHUNK;
    for i in 0..chunks {
        let c = &mut file[FILE_HEADER + i * CHUNK..FILE_HEADER + (i + 1) * CHUNK];
        let free = u32::from_le_bytes(c[48..52].try_into().unwrap()) as usize;
        let data = evtx::checksum_ieee(&c[CHUNK_HEADER..free]);
        c[52..56].copy_from_slice(&data.to_le_bytes());
        let header = evtx::checksum_ieee(&[&c[..120], &c[128..CHUNK_HEADER]].concat());
        c[124..128].copy_from_slice(&header.to_le_bytes());
    }
    file
}

/// Rejects, without rendering, the chunks whose records' ids (in the chunk header) are odd;
/// admits every rendered record.
#[derive(Debug, Default)]
struct OddChunks(std::sync::atomic::AtomicUsize);

impl enumwatch_event::RecordPrefilter for OddChunks {
    fn admits(&self, _: &[u8]) -> bool {
        true
    }

    fn admits_evtx_chunk(&self, chunk: &[u8]) -> bool {
        self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        assert!(
            chunk.starts_with(b"ElfChnk\0"),
            "asked about the stored chunk"
        );
        u64::from_le_bytes(chunk[8..16].try_into().unwrap()).is_multiple_of(2)
    }
}

/// A chunk the prefilter rejects as stored is not rendered: its records are counted as skipped
/// and the records kept are numbered as in a run that renders every chunk. A chunk whose
/// checksums do not hold is rendered whatever the prefilter says, so its damage is reported;
/// unchecked (`--trust-json`), only the prefilter decides.
#[test]
fn evtx_chunks_the_prefilter_rejects_are_not_rendered_unless_damaged() {
    let run = |file: &[u8], prefilter: Option<Arc<OddChunks>>, check: bool| {
        let limits = DecodeLimits {
            prefilter: prefilter.map(|p| p as Arc<dyn enumwatch_event::RecordPrefilter>),
            check_skipped: check,
            ..DecodeLimits::default()
        };
        let mut decoder = decode(
            Arc::from("t"),
            Box::new(Cursor::new(file.to_vec())),
            &limits,
        );
        let items: Vec<String> = decoder
            .by_ref()
            .map(|item| match item {
                Ok(r) => format!("{} {:?}", r.location.record, r.location.record_id),
                Err(e) => format!("{} {}", e.location.record, e.reason()),
            })
            .collect();
        (items, decoder.prefiltered())
    };
    let intact = with_checksums(evtx_of(6));
    let (all, none) = run(&intact, None, true);
    assert_eq!((all.len(), none), (6, 0));
    let asked = Arc::new(OddChunks::default());
    let (kept, skipped) = run(&intact, Some(Arc::clone(&asked)), true);
    assert_eq!(asked.0.load(std::sync::atomic::Ordering::Relaxed), 6);
    assert_eq!(skipped, 3);
    let even: Vec<String> = all.iter().skip(1).step_by(2).cloned().collect();
    assert_eq!(kept, even);

    // Chunk 3 (record id 3, odd) damaged inside its record: rendered, and its error reported.
    let mut damaged = intact.clone();
    damage(&mut damaged, 2, Damage::BinXml);
    let (items, skipped) = run(&damaged, Some(Arc::default()), true);
    assert_eq!(skipped, 2);
    let expected = [&all[1], "2 evtx_record", &all[3], &all[5]];
    assert_eq!(items, expected);
    // Unchecked, the prefilter alone decides: the damaged chunk is skipped too.
    let (items, skipped) = run(&damaged, Some(Arc::default()), false);
    assert_eq!((items, skipped), (even, 3));
    // `evtx_of` leaves the checksums as the sample's: every renumbered chunk fails them and is
    // rendered; only the first, the sample's own chunk as it was, is intact and skipped.
    let (items, skipped) = run(&evtx_of(6), Some(Arc::default()), true);
    assert_eq!((items, skipped), (all[1..].to_vec(), 1));
}
