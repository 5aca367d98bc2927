//! The country of a client IP, for the GeoContext tunable of the SaaS analytic, read from a
//! MaxMind-format (`.mmdb`) database the user already has: GeoLite2/GeoIP2 Country or City,
//! DB-IP's or IPinfo's `.mmdb`. enumwatch never downloads a database; it reads the one it is
//! given, once, into memory, and looks addresses up from any thread.
//!
//! The country is `country.iso_code`, else `registered_country.iso_code` (MaxMind, DB-IP), else
//! `country_code` or a two-letter `country` (IPinfo's flat records). Lookups that find nothing
//! or meet a damaged record return `None`; only opening the database reports errors.

mod parse;

#[cfg(any(test, feature = "test-writer"))]
pub mod testdb;

use std::fmt;
use std::io;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

use maxminddb::{LookupResult, PathElement, Reader, WithinOptions};
use thiserror::Error;

/// How many tree leaves `GeoDb::open` reads, at most, looking for one record with a country.
/// Country and city databases have one within the first few leaves; the cap bounds the time a
/// country-less (ASN, ISP) or damaged database takes to reject.
const PROBE_LEAVES: usize = 16_384;

/// Where a record may keep its country code, in the order they are tried.
const COUNTRY_PATHS: [&[PathElement<'static>]; 4] = [
    &[PathElement::Key("country"), PathElement::Key("iso_code")],
    &[
        PathElement::Key("registered_country"),
        PathElement::Key("iso_code"),
    ],
    &[PathElement::Key("country_code")],
    &[PathElement::Key("country")],
];

/// Why a GeoIP database cannot be used.
#[derive(Debug, Error)]
pub enum GeoError {
    /// Nothing at the path.
    #[error(
        "GeoIP database {} does not exist: check the path (enumwatch never downloads one; \
         get GeoLite2-Country.mmdb or another MaxMind-format database yourself)",
        path.display()
    )]
    NotFound {
        /// The path given.
        path: PathBuf,
    },
    /// The file exists but cannot be read.
    #[error("cannot read GeoIP database {}: {source}; check that it is a readable file", path.display())]
    Read {
        /// The path given.
        path: PathBuf,
        /// The operating system's reason.
        source: io::Error,
    },
    /// The bytes are not a MaxMind DB.
    #[error(
        "{} is not a MaxMind DB (.mmdb) file ({reason}); point to a GeoLite2/GeoIP2, DB-IP or \
         IPinfo .mmdb database, not a CSV or compressed download",
        path.display()
    )]
    NotMmdb {
        /// The path given.
        path: PathBuf,
        /// What the reader found wrong.
        reason: String,
    },
    /// A MaxMind DB without countries (ASN, ISP, connection type, anonymous IP…).
    #[error(
        "GeoIP database {} (type `{database_type}`) has no country data; use a country or city \
         database such as GeoLite2-Country.mmdb",
        path.display()
    )]
    NoCountry {
        /// The path given.
        path: PathBuf,
        /// The database's `database_type` metadata.
        database_type: String,
    },
}

/// A country, as its ISO 3166-1 alpha-2 code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Country {
    /// Two upper-case ASCII letters, such as `US`.
    pub iso_code: String,
}

impl Country {
    /// The country for a code read from a database: two ASCII letters, upper-cased; anything
    /// else (empty strings, country names) is no code.
    fn from_code(code: &str) -> Option<Country> {
        (code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic())).then(|| Country {
            iso_code: code.to_ascii_uppercase(),
        })
    }
}

/// An open GeoIP database. Lookups take `&self` and are safe from many threads at once.
pub struct GeoDb {
    reader: Reader<Vec<u8>>,
    path: PathBuf,
}

impl fmt::Debug for GeoDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeoDb")
            .field("path", &self.path)
            .field("database_type", &self.database_type())
            .finish_non_exhaustive()
    }
}

impl GeoDb {
    /// Reads the database at `path` into memory and checks that it holds countries.
    pub fn open(path: &Path) -> Result<GeoDb, GeoError> {
        let bytes = std::fs::read(path).map_err(|source| match source.kind() {
            io::ErrorKind::NotFound => GeoError::NotFound {
                path: path.to_path_buf(),
            },
            _ => GeoError::Read {
                path: path.to_path_buf(),
                source,
            },
        })?;
        let not_mmdb = |reason: String| GeoError::NotMmdb {
            path: path.to_path_buf(),
            reason,
        };
        let reader = Reader::from_source(bytes).map_err(|e| not_mmdb(e.to_string()))?;
        let db = GeoDb {
            reader,
            path: path.to_path_buf(),
        };
        if !db.has_countries().map_err(not_mmdb)? {
            return Err(GeoError::NoCountry {
                path: db.path,
                database_type: db.reader.metadata().database_type.clone(),
            });
        }
        Ok(db)
    }

    /// Whether one of the first tree leaves has a country; an error when the tree is damaged.
    fn has_countries(&self) -> Result<bool, String> {
        let options = WithinOptions::default().include_networks_without_data();
        let leaves = self.reader.networks(options).map_err(|e| e.to_string())?;
        for leaf in leaves.take(PROBE_LEAVES) {
            let leaf = leaf.map_err(|e| e.to_string())?;
            if leaf.has_data() && country_in(&leaf).is_some() {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The country of `ip`, or `None` when the database has no country for it. IPv4-mapped
    /// IPv6 addresses (`::ffff:a.b.c.d`) are looked up as IPv4.
    pub fn country(&self, ip: IpAddr) -> Option<Country> {
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            IpAddr::V4(_) => ip,
        };
        let found = self.reader.lookup(ip).ok()?;
        country_in(&found)
    }

    /// The country of an address written as text the way vendor logs write it: IPv4, IPv6,
    /// `v4:port`, `[v6]:port`, with surrounding spaces. `None` for anything else.
    pub fn country_of(&self, text: &str) -> Option<Country> {
        self.country(parse::parse_ip(text)?)
    }

    /// The database's `database_type` metadata, such as `GeoLite2-Country`.
    pub fn database_type(&self) -> &str {
        &self.reader.metadata().database_type
    }

    /// The path the database was opened from.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The first country code a record holds, trying `COUNTRY_PATHS` in order.
fn country_in<S: AsRef<[u8]>>(found: &LookupResult<'_, S>) -> Option<Country> {
    COUNTRY_PATHS.iter().find_map(|path| {
        // A type mismatch (IPinfo's `country` is a string, MaxMind's a map) is no code here.
        let code: Option<&str> = found.decode_path(path).ok().flatten();
        code.and_then(Country::from_code)
    })
}

#[cfg(test)]
mod tests;
