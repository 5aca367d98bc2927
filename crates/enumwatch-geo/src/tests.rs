//! Tests against tiny databases made by `testdb::MmdbWriter`, read back through the real
//! `maxminddb` reader: the writer is checked by the reader, then `GeoDb` by both.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;

use proptest::prelude::*;

use crate::testdb::{MmdbWriter, Value, WriterError};
use crate::{Country, GeoDb, GeoError};

/// 203.0.113.0/24 → AU, 198.51.100.0/24 → US and, in an IPv6 tree, 2001:db8::/32 → DE.
fn sample(ipv6: bool) -> MmdbWriter {
    let mut writer = if ipv6 {
        MmdbWriter::ipv6("GeoLite2-Country")
    } else {
        MmdbWriter::ipv4("GeoLite2-Country")
    };
    writer.insert_country("203.0.113.0/24", "AU").unwrap();
    writer.insert_country("198.51.100.0/24", "US").unwrap();
    if ipv6 {
        writer.insert_country("2001:db8::/32", "DE").unwrap();
    }
    writer
}

/// The IPv6 sample, opened once for the tests that only look up.
static SAMPLE: LazyLock<GeoDb> = LazyLock::new(|| open(&sample(true)));

fn write(dir: &tempfile::TempDir, name: &str, writer: &MmdbWriter) -> PathBuf {
    let path = dir.path().join(name);
    writer.write(&path).unwrap();
    path
}

fn open(writer: &MmdbWriter) -> GeoDb {
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, "test.mmdb", writer);
    GeoDb::open(&path).unwrap()
}

fn code(db: &GeoDb, text: &str) -> Option<String> {
    db.country_of(text).map(|c| c.iso_code)
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn the_real_reader_verifies_and_reads_every_record_size() {
    for bits in [24, 28, 32] {
        let writer = sample(true).record_size(bits);
        let reader = maxminddb::Reader::from_source(writer.to_bytes()).unwrap();
        reader.verify().unwrap();
        let meta = reader.metadata();
        assert_eq!(meta.record_size, bits);
        assert_eq!(meta.ip_version, 6);
        assert_eq!(meta.binary_format_major_version, 2);
        assert_eq!(meta.database_type, "GeoLite2-Country");
        assert_eq!(meta.languages, ["en"]);
        let found = reader.lookup(ip("203.0.113.7")).unwrap();
        let code: Option<&str> = found
            .decode_path(&maxminddb::path!["country", "iso_code"])
            .unwrap();
        assert_eq!(code, Some("AU"), "record size {bits}");
        assert_eq!(found.network().unwrap().to_string(), "203.0.113.0/24");
        let found = reader.lookup(ip("2001:db8:1::1")).unwrap();
        assert_eq!(found.network().unwrap().to_string(), "2001:db8::/32");
        assert!(!reader.lookup(ip("192.0.2.1")).unwrap().has_data());
    }
}

#[test]
fn the_real_reader_reads_an_ipv4_tree_and_long_values() {
    let mut writer = MmdbWriter::ipv4("Test-IPv4").record_size(24);
    let long = "x".repeat(70_000);
    let record = Value::map([
        ("country", Value::map([("iso_code", Value::string("NZ"))])),
        ("note", Value::String(long.clone())),
        ("mid", Value::String("y".repeat(300))),
        (
            "flags",
            Value::Array(vec![Value::Bool(true), Value::Bool(false)]),
        ),
        ("n16", Value::Uint16(0)),
        ("n32", Value::Uint32(70_000)),
        ("n64", Value::Uint64(u64::MAX)),
    ]);
    writer.insert("0.0.0.0/0", record).unwrap();
    let reader = maxminddb::Reader::from_source(writer.to_bytes()).unwrap();
    reader.verify().unwrap();
    assert_eq!(reader.metadata().ip_version, 4);
    let found = reader.lookup(ip("8.8.8.8")).unwrap();
    let note: Option<String> = found.decode_path(&maxminddb::path!["note"]).unwrap();
    assert_eq!(note, Some(long));
    let n32: Option<u32> = found.decode_path(&maxminddb::path!["n32"]).unwrap();
    assert_eq!(n32, Some(70_000));
    let n64: Option<u64> = found.decode_path(&maxminddb::path!["n64"]).unwrap();
    assert_eq!(n64, Some(u64::MAX));
    let flag: Option<bool> = found.decode_path(&maxminddb::path!["flags", 0]).unwrap();
    assert_eq!(flag, Some(true));
}

#[test]
fn nested_networks_override_inside_and_fill_around() {
    let mut writer = MmdbWriter::ipv6("Test");
    writer.insert_country("10.0.0.0/8", "AA").unwrap();
    writer.insert_country("10.1.0.0/16", "BB").unwrap();
    writer.insert_country("172.16.5.0/24", "CC").unwrap();
    writer.insert_country("172.16.0.0/12", "DD").unwrap();
    let db = open(&writer);
    assert_eq!(code(&db, "10.2.3.4").as_deref(), Some("AA"));
    assert_eq!(code(&db, "10.1.3.4").as_deref(), Some("BB"));
    assert_eq!(code(&db, "172.16.5.9").as_deref(), Some("CC"));
    assert_eq!(code(&db, "172.17.0.1").as_deref(), Some("DD"));
    assert_eq!(code(&db, "11.0.0.1"), None);
}

#[test]
fn lookups_inside_and_outside_each_network() {
    for writer in [sample(true), sample(false)] {
        let db = open(&writer);
        let country = db.country(ip("203.0.113.0"));
        assert_eq!(
            country,
            Some(Country {
                iso_code: "AU".into()
            })
        );
        assert_eq!(code(&db, "203.0.113.255").as_deref(), Some("AU"));
        assert_eq!(code(&db, "203.0.112.255"), None);
        assert_eq!(code(&db, "203.0.114.0"), None);
        assert_eq!(code(&db, "198.51.100.42").as_deref(), Some("US"));
        assert_eq!(code(&db, "198.51.101.1"), None);
        assert_eq!(code(&db, "0.0.0.0"), None);
        assert_eq!(code(&db, "255.255.255.255"), None);
        assert_eq!(code(&db, "::ffff:203.0.113.9").as_deref(), Some("AU"));
    }
    let db = &*SAMPLE;
    assert_eq!(code(db, "2001:db8::1").as_deref(), Some("DE"));
    assert_eq!(code(db, "2001:db8:ffff:ffff::").as_deref(), Some("DE"));
    assert_eq!(code(db, "2001:db9::1"), None);
    assert_eq!(code(db, "2001:db7:ffff::1"), None);
    assert_eq!(code(db, "::1"), None);
    let v4_only = open(&sample(false));
    assert_eq!(code(&v4_only, "2001:db8::1"), None);
}

#[test]
fn country_of_accepts_the_forms_vendor_logs_write() {
    let db = open(&sample(true));
    for (text, expected) in [
        ("203.0.113.5", Some("AU")),
        ("  198.51.100.7\t", Some("US")),
        ("203.0.113.5:443", Some("AU")),
        ("198.51.100.7:65535", Some("US")),
        ("2001:db8::5", Some("DE")),
        ("2001:DB8:0:0:0:0:0:5", Some("DE")),
        ("[2001:db8::5]:50000", Some("DE")),
        ("[2001:db8::5]", Some("DE")),
        (" [2001:db8::5]:1 ", Some("DE")),
        ("2001:db8::5%eth0", Some("DE")),
        ("::ffff:198.51.100.7", Some("US")),
        ("[::ffff:198.51.100.7]:8080", Some("US")),
        ("", None),
        ("   ", None),
        ("AWS Internal", None),
        ("s3.amazonaws.com", None),
        ("203.0.113", None),
        ("203.0.113.5:", None),
        ("203.0.113.5:65536", None),
        ("203.0.113.5:http", None),
        ("203.0.113.5:443:1", None),
        ("[2001:db8::5]:", None),
        ("[2001:db8::5]x", None),
        ("[2001:db8::5", None),
        ("[203.0.113.5]:443", None),
        ("203.0.113.5/24", None),
        ("203.0.113.5, 10.0.0.1", None),
    ] {
        assert_eq!(code(&db, text).as_deref(), expected, "{text:?}");
    }
}

#[test]
fn registered_country_and_ipinfo_layouts_are_read() {
    let mut writer = MmdbWriter::ipv6("GeoIP2-City");
    let registered = Value::map([
        ("continent", Value::map([("code", Value::string("EU"))])),
        (
            "registered_country",
            Value::map([("iso_code", Value::string("FR"))]),
        ),
    ]);
    writer.insert("203.0.113.0/24", registered).unwrap();
    let both = Value::map([
        ("country", Value::map([("iso_code", Value::string("jp"))])),
        (
            "registered_country",
            Value::map([("iso_code", Value::string("CN"))]),
        ),
    ]);
    writer.insert("198.51.100.0/24", both).unwrap();
    let ipinfo_lite = Value::map([
        ("country", Value::string("Germany")),
        ("country_code", Value::string("DE")),
    ]);
    writer.insert("192.0.2.0/25", ipinfo_lite).unwrap();
    writer
        .insert(
            "192.0.2.128/25",
            Value::map([("country", Value::string("CH"))]),
        )
        .unwrap();
    let nonsense = Value::map([("country", Value::map([("iso_code", Value::string("USA"))]))]);
    writer.insert("100.64.0.0/10", nonsense).unwrap();
    let db = open(&writer);
    assert_eq!(code(&db, "203.0.113.1").as_deref(), Some("FR"));
    assert_eq!(code(&db, "198.51.100.1").as_deref(), Some("JP"));
    assert_eq!(code(&db, "192.0.2.1").as_deref(), Some("DE"));
    assert_eq!(code(&db, "192.0.2.200").as_deref(), Some("CH"));
    assert_eq!(code(&db, "100.64.0.1"), None);
    assert_eq!(db.database_type(), "GeoIP2-City");
}

#[test]
fn a_missing_file_error_names_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("GeoLite2-Country.mmdb");
    let err = GeoDb::open(&path).unwrap_err();
    assert!(matches!(err, GeoError::NotFound { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&path.display().to_string()), "{message}");
    assert!(message.contains("does not exist"), "{message}");
}

#[test]
fn a_directory_is_a_read_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = GeoDb::open(dir.path()).unwrap_err();
    assert!(
        matches!(err, GeoError::Read { .. } | GeoError::NotMmdb { .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains(&dir.path().display().to_string()));
}

fn open_bytes(bytes: &[u8]) -> Result<GeoDb, GeoError> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.mmdb");
    std::fs::write(&path, bytes).unwrap();
    GeoDb::open(&path)
}

#[test]
fn random_bytes_are_not_an_mmdb_file() {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let noise: Vec<u8> = (0..4096)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state.to_be_bytes()[0]
        })
        .collect();
    for bytes in [&noise[..], b"", b"network,geoname_id\n1.0.0.0/24,2077456\n"] {
        let err = open_bytes(bytes).unwrap_err();
        assert!(matches!(err, GeoError::NotMmdb { .. }), "{err:?}");
        let message = err.to_string();
        assert!(message.contains("db.mmdb"), "{message}");
        assert!(message.contains("is not a MaxMind DB"), "{message}");
    }
}

#[test]
fn a_database_without_countries_is_refused_naming_its_type() {
    let mut writer = MmdbWriter::ipv6("GeoLite2-ASN");
    let asn = Value::map([
        ("autonomous_system_number", Value::Uint32(64_496)),
        (
            "autonomous_system_organization",
            Value::string("Example Net"),
        ),
    ]);
    writer.insert("203.0.113.0/24", asn).unwrap();
    let err = open_bytes(&writer.to_bytes()).unwrap_err();
    assert!(matches!(err, GeoError::NoCountry { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("GeoLite2-ASN"), "{message}");
    assert!(message.contains("db.mmdb"), "{message}");
    let empty = open_bytes(&MmdbWriter::ipv6("Empty").to_bytes()).unwrap_err();
    assert!(matches!(empty, GeoError::NoCountry { .. }), "{empty:?}");
}

#[test]
fn damaged_databases_give_errors_or_no_country_never_a_panic() {
    let good = sample(true).to_bytes();
    // Every truncation and a byte flip at every offset.
    for cut in 0..good.len() {
        if let Ok(db) = open_bytes(&good[..cut]) {
            let _ = db.country_of("203.0.113.1");
        }
    }
    for at in 0..good.len() {
        let mut bytes = good.clone();
        bytes[at] ^= 0xFF;
        if let Ok(db) = open_bytes(&bytes) {
            for text in ["203.0.113.1", "198.51.100.1", "2001:db8::1", "8.8.8.8"] {
                let _ = db.country_of(text);
            }
        }
    }
}

#[test]
fn geodb_is_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<GeoDb>();
    let db = open(&sample(true));
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..100 {
                    assert_eq!(code(&db, "203.0.113.1").as_deref(), Some("AU"));
                }
            });
        }
    });
    assert!(format!("{db:?}").contains("GeoLite2-Country"));
    assert_eq!(
        db.path().file_name(),
        Some(Path::new("test.mmdb").as_os_str())
    );
}

#[test]
fn writer_rejects_malformed_networks() {
    let mut writer = MmdbWriter::ipv6("Test");
    for bad in [
        "203.0.113.0",
        "203.0.113.0/33",
        "nope/8",
        "2001:db8::/129",
        "1.2.3.4/x",
    ] {
        assert_eq!(
            writer.insert_country(bad, "AU"),
            Err(WriterError::BadNetwork(bad.into()))
        );
    }
}

proptest! {
    #[test]
    fn country_of_never_panics(text in any::<String>()) {
        let _ = SAMPLE.country_of(&text);
    }

    #[test]
    fn country_of_never_panics_on_address_like_text(text in "[0-9a-fA-F:.\\[\\]% ]{0,48}") {
        let _ = SAMPLE.country_of(&text);
    }
}
