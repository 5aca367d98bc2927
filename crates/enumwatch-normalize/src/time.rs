//! Vendor timestamps to `jiff::Timestamp`. Unparseable stamps give `None`: an event without a
//! time still matches stateless rules.

use jiff::Timestamp;
use jiff::civil::DateTime;

/// RFC 3339 with any fraction (`…Z`, `…+00:00`, 7-digit Defender fractions), offset-less
/// `YYYY-MM-DD HH:MM:SS.fff` (Sysmon `UtcTime`, taken as UTC; also with BigQuery's ` UTC`),
/// US-style `M/D/YYYY[,] h:mm:ss[.fff] [AM|PM]` (Sentinel portal CSV `TimeGenerated [UTC]`,
/// `Search-UnifiedAuditLog` `CreationDate`, taken as UTC), or epoch seconds (`1715680000.120`).
pub(crate) fn parse(text: &str) -> Option<Timestamp> {
    // BigQuery writes its TIMESTAMP values as `2024-05-14 10:02:11.123456 UTC`.
    let text = text.trim();
    let text = text.strip_suffix(" UTC").unwrap_or(text);
    if text.is_empty() {
        return None;
    }
    if let Ok(ts) = text.parse::<Timestamp>() {
        return Some(ts);
    }
    if text.contains('/') {
        return parse_us(text);
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

/// `5/14/2024 10:40:09 AM`, `8/2/2021, 1:29:25.983 PM`, `5/14/2024 22:40:09`, as UTC.
fn parse_us(text: &str) -> Option<Timestamp> {
    let (date, rest) = text.split_once([' ', ','])?;
    let mut parts = date.split('/').map(|p| p.trim().parse::<i16>().ok());
    let (month, day, year) = (parts.next()??, parts.next()??, parts.next()??);
    if parts.next().is_some() {
        return None;
    }
    let rest = rest.trim_start_matches([',', ' ']).trim();
    let (clock, meridiem) = match rest.rsplit_once(' ') {
        Some((clock, m)) if m.eq_ignore_ascii_case("AM") || m.eq_ignore_ascii_case("PM") => {
            (clock.trim(), Some(m.eq_ignore_ascii_case("PM")))
        }
        _ => (rest, None),
    };
    let (clock, frac) = clock.split_once('.').unwrap_or((clock, ""));
    let mut fields = clock.split(':').map(|p| p.trim().parse::<i8>().ok());
    let mut hour = fields.next()??;
    let minute = fields.next()??;
    let second = fields.next().unwrap_or(Some(0))?;
    if fields.next().is_some() || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    match meridiem {
        Some(pm) if (1..=12).contains(&hour) => hour = hour % 12 + if pm { 12 } else { 0 },
        Some(_) => return None,
        None => {}
    }
    let mut nanos: i32 = 0;
    for (i, digit) in frac.bytes().take(9).enumerate() {
        nanos += i32::from(digit - b'0') * 10i32.pow(8 - i as u32);
    }
    jiff::civil::DateTime::new(
        year,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
        hour,
        minute,
        second,
        nanos,
    )
    .ok()?
    .to_zoned(jiff::tz::TimeZone::UTC)
    .ok()
    .map(|z| z.timestamp())
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
            parse("2024-05-14 10:02:11.123456 UTC"),
            Some(want("2024-05-14T10:02:11.123456Z"))
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
        assert_eq!(
            parse("5/14/2024 10:40:09 AM"),
            Some(want("2024-05-14T10:40:09Z"))
        );
        assert_eq!(
            parse("8/2/2021, 1:29:25.983 PM"),
            Some(want("2021-08-02T13:29:25.983Z"))
        );
        assert_eq!(
            parse("5/14/2024 12:05:00 AM"),
            Some(want("2024-05-14T00:05:00Z"))
        );
        assert_eq!(parse("5/14/2024 22:40"), Some(want("2024-05-14T22:40:00Z")));
        assert_eq!(parse("13/14/2024 10:40:09 AM"), None);
        assert_eq!(parse("5/14/2024 13:40:09 PM"), None);
        assert_eq!(parse("5/14 10:40"), None);
        assert_eq!(parse("a/b/c d"), None);
        assert_eq!(parse(""), None);
    }
}
