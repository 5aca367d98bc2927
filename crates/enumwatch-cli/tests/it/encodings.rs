//! Text encodings exports arrive in. Windows PowerShell 5.1 writes UTF-16LE with a byte-order
//! mark (`ConvertTo-Json > events.json`, `Export-Csv -Encoding Unicode`); a .NET writer can
//! leave the mark out; Event Viewer and many tools put a UTF-8 mark first. Each real sample,
//! re-encoded, must give the same events, rule hits and alerts as the UTF-8 original.

use std::io::Write;
use std::path::Path;

use serde_json::Value;

use crate::{enumwatch, stderr, stdout, without_locations};

fn utf16(text: &str, little_endian: bool, bom: bool) -> Vec<u8> {
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice(if little_endian {
            &[0xff, 0xfe]
        } else {
            &[0xfe, 0xff]
        });
    }
    for unit in text.encode_utf16() {
        out.extend_from_slice(&if little_endian {
            unit.to_le_bytes()
        } else {
            unit.to_be_bytes()
        });
    }
    out
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// Alerts (without locations) and the summary's counts of one hunt over `path`.
fn hunt(path: &Path, stats: &Path) -> (Vec<Value>, Value) {
    let out = enumwatch(&[
        "hunt",
        path.to_str().unwrap(),
        "--format",
        "jsonl",
        "--stats-json",
        stats.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let alerts = stdout(&out)
        .lines()
        .map(|l| without_locations(serde_json::from_str(l).unwrap()))
        .collect();
    let summary: Value = serde_json::from_slice(&std::fs::read(stats).unwrap()).unwrap();
    let counts = serde_json::json!({
        "records": summary["records"],
        "malformed": summary["malformed"],
        "events": summary["events"],
        "hits": summary["hits"],
        "alerts": summary["alerts"],
    });
    (alerts, counts)
}

#[test]
fn utf16_and_byte_order_marked_exports_read_like_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let stats = dir.path().join("stats.json");
    for (sample, min_hits) in [
        (
            "testdata/logs/cloudtrail/invictus_benjamin_iam_enumeration.json",
            1,
        ),
        (
            "testdata/logs/windows_rendered/get_winevent_4688_aws_cli_emulated.jsonl",
            1,
        ),
        (
            "testdata/logs/windows_rendered/get_winevent_convertto_json.json",
            0,
        ),
        (
            "testdata/logs/windows_rendered/get_winevent_export_csv.csv",
            0,
        ),
        (
            "testdata/logs/m365_audit/search_unifiedauditlog_emulated.csv",
            1,
        ),
    ] {
        let original = crate::repo_root().join(sample);
        let text = std::fs::read_to_string(&original).unwrap();
        let text = text.trim_start_matches('\u{feff}');
        let (alerts, counts) = hunt(&original, &stats);
        assert!(
            counts["records"].as_u64().unwrap() > 0,
            "{sample}: {counts}"
        );
        assert!(
            counts["hits"].as_u64().unwrap() >= min_hits,
            "{sample}: {counts}"
        );
        let variants = [
            ("utf-16le with a byte-order mark", utf16(text, true, true)),
            ("utf-16le without one", utf16(text, true, false)),
            ("utf-16be with a byte-order mark", utf16(text, false, true)),
            ("utf-16be without one", utf16(text, false, false)),
            (
                "utf-8 with a byte-order mark",
                [&[0xef, 0xbb, 0xbf][..], text.as_bytes()].concat(),
            ),
            ("gzip of utf-16le", gzip(&utf16(text, true, true))),
        ];
        for (name, bytes) in variants {
            let path = dir.path().join("export");
            std::fs::write(&path, bytes).unwrap();
            let (got_alerts, got_counts) = hunt(&path, &stats);
            assert_eq!(got_counts, counts, "{sample} as {name}");
            assert_eq!(got_alerts, alerts, "{sample} as {name}");
        }
    }
}
