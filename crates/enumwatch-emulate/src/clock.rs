//! Event times for emulations: a fixed base instant plus offsets, rendered the way each vendor
//! writes them, so the same test always produces the same bytes.

use jiff::Timestamp;

/// 2024-06-03T09:00:00Z, a Monday morning: the base time every emulation starts from.
const BASE_MS: i64 = 1_717_405_200_000;

/// A point in an emulation's time line, in milliseconds after the base time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct At(pub(crate) i64);

impl At {
    pub(crate) fn secs(s: i64) -> At {
        At(s * 1000)
    }

    pub(crate) fn plus_ms(self, ms: i64) -> At {
        At(self.0 + ms)
    }

    fn ts(self) -> Timestamp {
        Timestamp::from_millisecond(BASE_MS + self.0).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn millis(self) -> i64 {
        (BASE_MS + self.0).rem_euclid(1000)
    }

    fn whole(self, pattern: &str) -> String {
        self.ts().strftime(pattern).to_string()
    }

    /// `2024-06-03T09:00:00Z` (CloudTrail, Graph sign-ins).
    pub(crate) fn rfc3339(self) -> String {
        self.whole("%Y-%m-%dT%H:%M:%SZ")
    }

    /// `2024-06-03T09:00:00.123Z`.
    pub(crate) fn rfc3339_ms(self) -> String {
        format!("{}.{:03}Z", self.whole("%Y-%m-%dT%H:%M:%S"), self.millis())
    }

    /// `2024-06-03T09:00:00.123000Z` (EVTX `SystemTime` as evtx-rs renders it).
    pub(crate) fn system_time(self) -> String {
        format!(
            "{}.{:03}000Z",
            self.whole("%Y-%m-%dT%H:%M:%S"),
            self.millis()
        )
    }

    /// `2024-06-03T09:00:00.1230000Z` (Azure diagnostic settings' seven digits).
    pub(crate) fn azure(self) -> String {
        format!(
            "{}.{:03}0000Z",
            self.whole("%Y-%m-%dT%H:%M:%S"),
            self.millis()
        )
    }

    /// `2024-06-03 09:00:00.123` (Sysmon `UtcTime`).
    pub(crate) fn sysmon_utc(self) -> String {
        format!("{}.{:03}", self.whole("%Y-%m-%d %H:%M:%S"), self.millis())
    }

    /// `2024-06-03T09:00:00` (Management Activity API `CreationTime`, no zone).
    pub(crate) fn ual(self) -> String {
        self.whole("%Y-%m-%dT%H:%M:%S")
    }

    /// `1717405200.123` (auditd `msg=audit(…)`).
    pub(crate) fn epoch(self) -> String {
        format!(
            "{}.{:03}",
            (BASE_MS + self.0).div_euclid(1000),
            self.millis()
        )
    }
}

/// A deterministic GUID-shaped id from a namespace and a counter.
pub(crate) fn guid(ns: u32, n: u64) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        ns,
        (n >> 16) & 0xffff,
        n & 0xfff,
        (n >> 4) & 0xfff,
        n.wrapping_mul(0x9e37_79b9) & 0xffff_ffff_ffff
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_vendor_time_formats() {
        let t = At::secs(61).plus_ms(37);
        assert_eq!(t.rfc3339(), "2024-06-03T09:01:01Z");
        assert_eq!(t.system_time(), "2024-06-03T09:01:01.037000Z");
        assert_eq!(t.sysmon_utc(), "2024-06-03 09:01:01.037");
        assert_eq!(t.azure(), "2024-06-03T09:01:01.0370000Z");
        assert_eq!(t.ual(), "2024-06-03T09:01:01");
        assert_eq!(t.epoch(), "1717405261.037");
    }
}
