//! Vendor timestamps to `jiff::Timestamp`. Unparseable stamps give `None`: an event without a
//! time still matches stateless rules.

use jiff::Timestamp;
use jiff::civil::DateTime;

/// RFC 3339 with any fraction (`…Z`, `…+00:00`, 7-digit Defender fractions), offset-less
/// `YYYY-MM-DD HH:MM:SS.fff` (Sysmon `UtcTime`, taken as UTC), or epoch seconds (`1715680000.120`).
pub(crate) fn parse(text: &str) -> Option<Timestamp> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Some(ts);
    }
    if let Ok(dt) = text.replace(' ', "T").parse::<DateTime>() {
        return dt
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp());
    }
    let (secs, frac) = text.split_once('.').unwrap_or((text, ""));
    if !secs.is_empty()
        && secs.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
    {
        let secs: i64 = secs.parse().ok()?;
        let mut nanos: i32 = 0;
        for (i, digit) in frac.bytes().take(9).enumerate() {
            nanos += i32::from(digit - b'0') * 10i32.pow(8 - i as u32);
        }
        return Timestamp::new(secs, nanos).ok();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_formats() {
        let want = |s: &str| s.parse::<Timestamp>().unwrap();
        assert_eq!(
            parse("2023-07-10T11:43:33Z"),
            Some(want("2023-07-10T11:43:33Z"))
        );
        assert_eq!(
            parse("2024-05-14T10:02:11.4471263Z"),
            Some(want("2024-05-14T10:02:11.4471263Z"))
        );
        assert_eq!(
            parse("2020-09-21 23:35:37.912"),
            Some(want("2020-09-21T23:35:37.912Z"))
        );
        assert_eq!(
            parse("1715680000.120"),
            Some(want("2024-05-14T09:46:40.12Z"))
        );
        assert_eq!(parse("1600000000"), Some(want("2020-09-13T12:26:40Z")));
        assert_eq!(parse("1.2.3"), None);
        assert_eq!(parse(".5"), None);
        assert_eq!(parse("99999999999999999999"), None);
        assert_eq!(
            parse("2024-05-14 10:02:11"),
            Some(want("2024-05-14T10:02:11Z"))
        );
        assert_eq!(
            parse("2024-05-14T12:02:11+02:00"),
            Some(want("2024-05-14T10:02:11Z"))
        );
        assert_eq!(parse("yesterday"), None);
        assert_eq!(parse(""), None);
    }
}
