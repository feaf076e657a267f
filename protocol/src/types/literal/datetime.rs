//! `timestamp`, `date` and `time`: text forms and calendar arithmetic (proleptic Gregorian,
//! written by hand: days-from-civil and its inverse).

use super::{is_raw_integer, LiteralError};

const MS_PER_DAY: i64 = 86_400_000;
const NANOS_PER_DAY: i64 = 86_400_000_000_000;
/// `date` values are days since 1970-01-01 shifted by 2^31 so they sort as unsigned ints.
const DATE_EPOCH: i64 = 1 << 31;
/// The largest year any text form accepts (`java.time`'s limit).
const MAX_YEAR: u64 = 999_999_999;

/// Days from 1970-01-01 to `y-m-d` in the proleptic Gregorian calendar (H. Hinnant's
/// `days_from_civil`). `m` in 1..=12, `d` in 1..=31; any `y` with |y| < 2^50.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let (m, d) = (i64::from(m), i64::from(d));
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Inverse of [`days_from_civil`]: `(year, month, day)` of the day `z` days after 1970-01-01.
/// Valid for |z| < 2^60.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m as u32, d as u32)
}

fn is_leap(y: i64) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: i64, m: u64) -> u64 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since the epoch of a validated calendar date, or `None` if `m`/`d` are out of range.
fn checked_days(y: i64, m: u64, d: u64) -> Option<i64> {
    if !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return None;
    }
    Some(days_from_civil(y, m as u32, d as u32))
}

/// A cursor over ASCII-structured text. Never slices, so any UTF-8 input is safe.
struct Cursor<'a> {
    b: &'a [u8],
    i: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        Cursor { b: s.as_bytes(), i: 0 }
    }

    fn done(&self) -> bool {
        self.i >= self.b.len()
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.peek() == Some(c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn eat_str(&mut self, s: &str) -> bool {
        if self.b[self.i.min(self.b.len())..].starts_with(s.as_bytes()) {
            self.i += s.len();
            true
        } else {
            false
        }
    }

    /// A run of ASCII digits whose length is in `min..=max`; `(value, length)`.
    /// `None` (cursor unmoved) on a wrong length or a value that overflows `u64`.
    fn digits(&mut self, min: usize, max: usize) -> Option<(u64, usize)> {
        let start = self.i;
        let mut v: u64 = 0;
        while let Some(c @ b'0'..=b'9') = self.peek() {
            v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
            self.i += 1;
        }
        let n = self.i - start;
        if n < min || n > max {
            self.i = start;
            return None;
        }
        Some((v, n))
    }
}

/// Parses a `timestamp` literal into milliseconds since 1970-01-01T00:00:00Z.
///
/// Accepted, as Cassandra's `TimestampSerializer` (the `java.time` version of 4.1+/5.0):
/// * an integer (`^-?\d+$`): the milliseconds themselves;
/// * `y-M-d` + `T` or space + `H:m[:s][.f]`, then an optional zone: fields of one or more
///   digits (`2011-2-3 4:5` is fine), `f` 0–9 fraction digits truncated to milliseconds;
/// * `yyyy-MM-dd` (4+ digit year, `+` required beyond 4 digits, 2-digit month and day)
///   with an optional zone;
/// * zones: `Z`, `±hh`, `±hhmm`, `±hh:mm`, optionally after one space, or after one space
///   `UTC`/`GMT`/`UT`, optionally followed by such an offset.
///
/// Differences from Cassandra, all deliberate: a missing zone means UTC (Cassandra uses
/// the server's default zone); `now` is not handled here (it needs a clock: the caller
/// evaluates it); only the zone names above are known; an invalid day of month
/// (`2011-02-30`) is rejected (as Cassandra ≤ 4.0 did; `java.time`'s SMART resolver would
/// clamp it); `24:00` is rejected; negative years are not accepted. Cassandra ≤ 4.0 read
/// the fraction `.5` as 5 ms (`SimpleDateFormat`); we read it as 500 ms, as 4.1+ does.
pub fn parse_timestamp(s: &str) -> Result<i64, LiteralError> {
    if is_raw_integer(s) {
        return s.parse::<i64>().map_err(|_| LiteralError::TimestampInteger(s.to_string()));
    }
    parse_timestamp_text(s).ok_or_else(|| LiteralError::Timestamp(s.to_string()))
}

fn parse_timestamp_text(s: &str) -> Option<i64> {
    date_time_form(s).or_else(|| date_only_form(s))
}

/// `y-M-d('T'| )H:m[:s][.fffffffff][zone]`.
fn date_time_form(s: &str) -> Option<i64> {
    let mut c = Cursor::new(s);
    let (year, _) = c.digits(1, 19)?;
    if !(1..=MAX_YEAR).contains(&year) {
        return None; // year-of-era
    }
    let (month, day) = month_day(&mut c, 1, 19)?;
    let days = checked_days(year as i64, month, day)?;
    if !(c.eat(b'T') || c.eat(b' ')) {
        return None;
    }
    let (hour, _) = c.digits(1, 19)?;
    if !c.eat(b':') {
        return None;
    }
    let (minute, _) = c.digits(1, 19)?;
    let mut second = 0;
    if c.eat(b':') {
        second = c.digits(1, 19)?.0;
    }
    let mut millis = 0;
    if c.eat(b'.') {
        if let Some((frac, n)) = c.digits(1, 9) {
            millis = scale_fraction_to_millis(frac, n);
        }
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let offset_ms = zone(&mut c)?;
    let time_ms = (hour * 3_600_000 + minute * 60_000 + second * 1000 + millis) as i64;
    days.checked_mul(MS_PER_DAY)?.checked_add(time_ms)?.checked_sub(offset_ms)
}

/// `0.f` (with `n` fraction digits) in whole milliseconds, truncated.
fn scale_fraction_to_millis(frac: u64, n: usize) -> u64 {
    if n >= 3 {
        frac / 10u64.pow(n as u32 - 3)
    } else {
        frac * 10u64.pow(3 - n as u32)
    }
}

/// `[+]yyyy-MM-dd[zone]`.
fn date_only_form(s: &str) -> Option<i64> {
    let mut c = Cursor::new(s);
    let plus = c.eat(b'+');
    let (year, n) = c.digits(4, 19)?;
    if plus != (n > 4) || year > MAX_YEAR {
        return None;
    }
    let (month, day) = month_day(&mut c, 2, 2)?;
    let days = checked_days(year as i64, month, day)?;
    let offset_ms = zone(&mut c)?;
    days.checked_mul(MS_PER_DAY)?.checked_sub(offset_ms)
}

/// `-M-d` after the year: month and day, each of `min..=max` digits (not yet validated).
fn month_day(c: &mut Cursor, min: usize, max: usize) -> Option<(u64, u64)> {
    if !c.eat(b'-') {
        return None;
    }
    let (month, _) = c.digits(min, max)?;
    if !c.eat(b'-') {
        return None;
    }
    let (day, _) = c.digits(min, max)?;
    Some((month, day))
}

/// An optional zone at the end of a timestamp: its offset from UTC in milliseconds.
/// `None` if anything but a well-formed zone is left.
fn zone(c: &mut Cursor) -> Option<i64> {
    if c.done() {
        return Some(0);
    }
    let spaced = c.eat(b' ');
    if spaced && (c.eat_str("UTC") || c.eat_str("GMT") || c.eat_str("UT")) {
        if c.done() {
            return Some(0);
        }
        return numeric_offset(c).filter(|_| c.done());
    }
    if c.eat(b'Z') {
        return c.done().then_some(0);
    }
    numeric_offset(c).filter(|_| c.done())
}

/// `±hh`, `±hhmm` or `±hh:mm`, at most 18 hours.
fn numeric_offset(c: &mut Cursor) -> Option<i64> {
    let sign = if c.eat(b'+') {
        1
    } else if c.eat(b'-') {
        -1
    } else {
        return None;
    };
    let (hh, mm) = match c.digits(2, 4)? {
        (v, 4) => (v / 100, v % 100),
        (v, 2) if c.eat(b':') => (v, c.digits(2, 2)?.0),
        (v, 2) => (v, 0),
        _ => return None,
    };
    if hh > 18 || mm > 59 || (hh == 18 && mm > 0) {
        return None;
    }
    Some(sign * (hh * 3_600_000 + mm * 60_000) as i64)
}

/// Formats milliseconds since the epoch as Cassandra's `toJson` does
/// (`yyyy-MM-dd HH:mm:ss.SSSX` in UTC): `2011-02-03 04:05:00.000Z`.
///
/// Years beyond 9999 print all their digits; years before 1 print the proleptic Gregorian
/// year with a `-` (Java's `SimpleDateFormat` switches to the Julian calendar before
/// 1582-10-15 and prints the year of the era; we do not).
pub fn format_timestamp(ms: i64) -> String {
    let days = ms.div_euclid(MS_PER_DAY);
    let rem = ms.rem_euclid(MS_PER_DAY);
    let (y, m, d) = civil_from_days(days);
    let year = if y < 0 { format!("-{:04}", y.unsigned_abs()) } else { format!("{y:04}") };
    format!(
        "{year}-{m:02}-{d:02} {:02}:{:02}:{:02}.{:03}Z",
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000
    )
}

/// Parses a `date` literal into its stored form: days since 1970-01-01 plus 2^31
/// (so 1970-01-01 is `2^31` and the values sort as unsigned integers).
///
/// Accepted, as Cassandra's `SimpleDateSerializer`: an integer (`^-?\d+$`) in
/// `0..=2^32-1`, taken as the raw stored value; or an ISO local date `yyyy-MM-dd` with
/// exactly two-digit month and day, four to ten year digits, a sign required beyond four
/// digits (`+10000-01-01`), and `-` for years before 1 (`-0001-01-01` is 2 BC; `-0000`
/// is rejected). Validated strictly (no February 30th); must fall within the 2^32
/// representable days.
pub fn parse_date(s: &str) -> Result<u32, LiteralError> {
    if is_raw_integer(s) {
        return s
            .parse::<i64>()
            .ok()
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| LiteralError::DateInteger(s.to_string()));
    }
    let err = || LiteralError::Date(s.to_string());
    let mut c = Cursor::new(s);
    let sign = match c.peek() {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => 0,
    };
    if sign != 0 {
        c.i += 1;
    }
    let (year, n) = c.digits(4, 10).ok_or_else(err)?;
    let sign_ok = match sign {
        1 => n > 4,
        0 => n == 4,
        _ => year != 0,
    };
    if !sign_ok || year > MAX_YEAR {
        return Err(err());
    }
    let year = if sign < 0 { -(year as i64) } else { year as i64 };
    let (month, day) = month_day(&mut c, 2, 2).ok_or_else(err)?;
    if !c.done() {
        return Err(err());
    }
    let days = checked_days(year, month, day).ok_or_else(err)?;
    if days < i64::from(i32::MIN) {
        return Err(LiteralError::DateTooEarly(s.to_string()));
    }
    if days > i64::from(i32::MAX) {
        return Err(LiteralError::DateTooLate(s.to_string()));
    }
    Ok((days + DATE_EPOCH) as u32)
}

/// Formats a stored `date` as Cassandra does (`java.time` ISO local date): `2011-02-03`,
/// `-0001-01-01`, `+10000-01-01`.
pub fn format_date(d: u32) -> String {
    let (y, m, d) = civil_from_days(i64::from(d) - DATE_EPOCH);
    if y > 9999 {
        format!("+{y}-{m:02}-{d:02}")
    } else if y < 0 {
        format!("-{:04}-{m:02}-{d:02}", y.unsigned_abs())
    } else {
        format!("{y:04}-{m:02}-{d:02}")
    }
}

/// Parses a `time` literal into nanoseconds since midnight.
///
/// Accepted, as Cassandra's `TimeSerializer`: an integer (`^-?\d+$`) in
/// `0..86_400_000_000_000`; or, after trimming characters `<= ' '`, `h:m:s[.fffffffff]`
/// where each of `h`, `m`, `s` is what Java's `Integer.parseInt` takes (optional sign,
/// digits) within 0–23, 0–59, 0–59, and the fraction is one to nine digits, right-padded
/// with zeros (`.5` is 500 ms).
pub fn parse_time(s: &str) -> Result<i64, LiteralError> {
    if is_raw_integer(s) {
        return s
            .parse::<i64>()
            .ok()
            .filter(|v| (0..NANOS_PER_DAY).contains(v))
            .ok_or_else(|| LiteralError::TimeInteger(s.to_string()));
    }
    parse_time_strictly(s).ok_or_else(|| LiteralError::Time(s.to_string()))
}

/// Cassandra's `TimeSerializer.parseTimeStrictly`, index for index.
fn parse_time_strictly(s: &str) -> Option<i64> {
    let s = s.trim_matches(|c: char| c <= ' ');
    let colon1 = s.find(':')?;
    let colon2 = colon1 + 1 + s[colon1 + 1..].find(':')?;
    if colon1 == 0 || colon2 + 1 >= s.len() {
        return None;
    }
    let hour = java_parse_int(&s[..colon1]).filter(|h| (0..24).contains(h))?;
    let minute = java_parse_int(&s[colon1 + 1..colon2]).filter(|m| (0..60).contains(m))?;
    let rest = &s[colon2 + 1..];
    let (second, nanos) = match rest.find('.') {
        Some(p) => {
            if p + 1 >= rest.len() {
                return None; // trailing '.'
            }
            let sec = java_parse_int(&rest[..p])?;
            let frac = &rest[p + 1..];
            if frac.len() > 9 || !frac.as_bytes()[0].is_ascii_digit() {
                return None;
            }
            let padded = format!("{frac:0<9}");
            (sec, java_parse_int(&padded)?)
        }
        None => (java_parse_int(rest)?, 0),
    };
    if !(0..60).contains(&second) {
        return None;
    }
    Some(hour * 3_600_000_000_000 + minute * 60_000_000_000 + second * 1_000_000_000 + nanos)
}

/// Java's `Integer.parseInt` on ASCII: optional `+`/`-`, one or more digits, fits `i32`.
fn java_parse_int(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse::<i32>().ok().map(i64::from)
}

/// Formats nanoseconds since midnight as Cassandra does: `08:12:54.123456789` (always nine
/// fraction digits). Out-of-range values (never produced by [`parse_time`]) are formatted
/// with Cassandra's arithmetic, hours wrapping modulo 24.
pub fn format_time(ns: i64) -> String {
    let mut v = ns;
    let mut next = |unit: i64| {
        let part = v % unit;
        v = (v - part) / unit;
        part
    };
    let nano = next(1000);
    let micro = next(1000);
    let milli = next(1000);
    let seconds = next(60);
    let minutes = next(60);
    let hours = next(24);
    let mut out = String::with_capacity(18);
    for (value, width, sep) in
        [(hours, 2, ":"), (minutes, 2, ":"), (seconds, 2, "."), (milli, 3, ""), (micro, 3, ""), (nano, 3, "")]
    {
        // Cassandra's leftPadZeros: one '0' per power of ten the value is below.
        for i in 1..width {
            if value < 10i64.pow(i) {
                out.push('0');
            }
        }
        out.push_str(&value.to_string());
        out.push_str(sep);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const Y1_MS: i64 = -62_135_596_800_000; // 0001-01-01T00:00:00Z

    #[test]
    fn civil_round_trip_edges() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(days_from_civil(1, 1, 1), Y1_MS / MS_PER_DAY);
        assert_eq!(civil_from_days(i64::from(i32::MIN)), (-5_877_641, 6, 23));
        assert_eq!(civil_from_days(i64::from(i32::MAX)), (5_881_580, 7, 11));
        for z in [-1_000_000_000i64, -719_468, -1, 0, 59, 60, 365, 2_932_896, 1 << 40] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }

    #[test]
    fn timestamp_forms() {
        // Cassandra's documented examples: all 2011-02-03 04:05 UTC.
        let t = 1_296_705_900_000;
        for s in [
            "1296705900000",
            "2011-02-03 04:05+0000",
            "2011-02-03 04:05:00+0000",
            "2011-02-03 04:05:00.000+0000",
            "2011-02-03T04:05+0000",
            "2011-02-03T04:05:00+0000",
            "2011-02-03T04:05:00.000+0000",
            "2011-02-03 04:05",
            "2011-02-03 04:05:00",
            "2011-02-03 04:05:00.000",
            "2011-02-03T04:05:00Z",
            "2011-02-03T04:05:00.000Z",
            "2011-02-03 04:05:00 Z",
            "2011-02-03 04:05:00 UTC",
            "2011-02-03 04:05:00 GMT",
            "2011-02-03 06:05:00+02",
            "2011-02-03 06:05:00+02:00",
            "2011-02-03 06:35:00 +0230",
            "2011-02-03 01:05:00-03:00",
            "2011-02-03 06:05:00 GMT+02:00",
            "2011-2-3 4:5",
            "2011-02-03 04:05:00.",
            "2011-02-03 04:05:00.0000",
        ] {
            assert_eq!(parse_timestamp(s), Ok(t), "{s}");
        }
        assert_eq!(parse_timestamp("2011-02-03"), Ok(1_296_691_200_000));
        assert_eq!(parse_timestamp("2011-02-03+0000"), Ok(1_296_691_200_000));
        assert_eq!(parse_timestamp("2011-02-03 Z"), Ok(1_296_691_200_000));
        assert_eq!(parse_timestamp("2011-02-04-01:00"), Ok(1_296_781_200_000));
        assert_eq!(parse_timestamp("2011-02-03 04:05:06.789"), Ok(t + 6789));
        assert_eq!(parse_timestamp("2011-02-03 04:05:06.5"), Ok(t + 6500));
        assert_eq!(parse_timestamp("2011-02-03 04:05:06.123456789"), Ok(t + 6123));
        assert_eq!(parse_timestamp("1970-01-01 00:00:00"), Ok(0));
        assert_eq!(parse_timestamp("1969-12-31 23:59:59.999"), Ok(-1));
        assert_eq!(parse_timestamp("-1"), Ok(-1));
        assert_eq!(parse_timestamp("0001-01-01 00:00"), Ok(Y1_MS));
        assert_eq!(parse_timestamp("2000-02-29"), Ok(951_782_400_000));
        assert_eq!(parse_timestamp("9999-12-31 23:59:59.999"), Ok(253_402_300_799_999));
        assert_eq!(parse_timestamp("+10000-01-01"), Ok(253_402_300_800_000));
        assert_eq!(parse_timestamp("10000-01-01 00:00"), Ok(253_402_300_800_000));
    }

    #[test]
    fn timestamp_errors() {
        for s in [
            "",
            "-",
            "now",
            "2011-13-45",
            "2011-02-30",
            "1900-02-29",
            "2011-02-03 24:00",
            "2011-02-03 04:60",
            "2011-02-03 04:05:60",
            "2011-02-03 04",
            "2011-02-03X04:05",
            "2011-02-03 04:05:00.1234567890",
            "2011-02-03 04:05+19",
            "2011-02-03 04:05+0160",
            "2011-02-03 04:05+1",
            "2011-02-03 04:05 +",
            "2011-02-03 04:05Z ",
            "2011-02-03 04:05UTC",
            "2011-02-03 04:05 PST",
            "11-02-03",
            "2011-2-3",
            "10000-01-01",
            "+2011-01-01",
            "0-01-01 00:00",
            "0000-01-01 00:00",
            "999999999-01-01 00:00",
            "2011-02-03 04:05\u{e9}",
            " 2011-02-03",
        ] {
            assert_eq!(parse_timestamp(s), Err(LiteralError::Timestamp(s.to_string())), "{s}");
        }
        assert_eq!(
            parse_timestamp("9223372036854775808"),
            Err(LiteralError::TimestampInteger("9223372036854775808".into()))
        );
        assert_eq!(parse_timestamp("9223372036854775807"), Ok(i64::MAX));
        assert_eq!(parse_timestamp("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(
            LiteralError::Timestamp("2011-13-45".into()).to_string(),
            "Unable to coerce '2011-13-45' to a formatted date (long)"
        );
    }

    #[test]
    fn timestamp_format() {
        assert_eq!(format_timestamp(1_296_705_900_000), "2011-02-03 04:05:00.000Z");
        assert_eq!(format_timestamp(0), "1970-01-01 00:00:00.000Z");
        assert_eq!(format_timestamp(-1), "1969-12-31 23:59:59.999Z");
        assert_eq!(format_timestamp(951_782_400_123), "2000-02-29 00:00:00.123Z");
        assert_eq!(format_timestamp(253_402_300_799_999), "9999-12-31 23:59:59.999Z");
        assert_eq!(format_timestamp(253_402_300_800_000), "10000-01-01 00:00:00.000Z");
        assert_eq!(format_timestamp(Y1_MS), "0001-01-01 00:00:00.000Z");
        assert_eq!(format_timestamp(Y1_MS - 1), "0000-12-31 23:59:59.999Z");
        assert_eq!(format_timestamp(i64::MAX), "292278994-08-17 07:12:55.807Z");
        assert_eq!(format_timestamp(i64::MIN), "-292275055-05-16 16:47:04.192Z");
    }

    #[test]
    fn date_forms() {
        let epoch = 1u32 << 31;
        assert_eq!(parse_date("1970-01-01"), Ok(epoch));
        assert_eq!(parse_date("1969-12-31"), Ok(epoch - 1));
        assert_eq!(parse_date("2011-02-03"), Ok(epoch + 15_008));
        assert_eq!(parse_date("2000-02-29"), Ok(epoch + 11_016));
        assert_eq!(parse_date("9999-12-31"), Ok(epoch + 2_932_896));
        assert_eq!(parse_date("+10000-01-01"), Ok(epoch + 2_932_897));
        assert_eq!(parse_date("0000-01-01"), Ok(epoch - 719_528));
        assert_eq!(parse_date("-0001-01-01"), Ok(epoch - 719_893));
        assert_eq!(parse_date("-5877641-06-23"), Ok(0));
        assert_eq!(parse_date("+5881580-07-11"), Ok(u32::MAX));
        assert_eq!(parse_date("0"), Ok(0));
        assert_eq!(parse_date("2147483648"), Ok(epoch));
        assert_eq!(parse_date("4294967295"), Ok(u32::MAX));
        for s in ["4294967296", "-1", "99999999999999999999"] {
            assert_eq!(parse_date(s), Err(LiteralError::DateInteger(s.into())), "{s}");
        }
        for s in [
            "",
            "2011-13-01",
            "2011-02-29",
            "2011-2-03",
            "2011-02-3",
            "10000-01-01",
            "+2011-01-01",
            "-0000-01-01",
            "2011-02-03 ",
            "2011-02-03T00:00",
            "1000000000-01-01",
            "+1000000000-01-01",
            "2011-02-0\u{e9}",
        ] {
            assert_eq!(parse_date(s), Err(LiteralError::Date(s.into())), "{s}");
        }
        assert_eq!(parse_date("-5877641-06-22"), Err(LiteralError::DateTooEarly("-5877641-06-22".into())));
        assert_eq!(parse_date("+5881580-07-12"), Err(LiteralError::DateTooLate("+5881580-07-12".into())));
        assert_eq!(
            LiteralError::DateTooEarly("x".into()).to_string(),
            "Input date x is less than min supported date -5877641-06-23T00:00Z"
        );
    }

    #[test]
    fn date_format() {
        let epoch = 1u32 << 31;
        assert_eq!(format_date(epoch), "1970-01-01");
        assert_eq!(format_date(epoch + 15_008), "2011-02-03");
        assert_eq!(format_date(epoch + 2_932_897), "+10000-01-01");
        assert_eq!(format_date(epoch - 719_528), "0000-01-01");
        assert_eq!(format_date(epoch - 719_893), "-0001-01-01");
        assert_eq!(format_date(0), "-5877641-06-23");
        assert_eq!(format_date(u32::MAX), "+5881580-07-11");
    }

    #[test]
    fn time_forms() {
        assert_eq!(parse_time("08:12:54"), Ok(29_574_000_000_000));
        assert_eq!(parse_time("08:12:54.123"), Ok(29_574_123_000_000));
        assert_eq!(parse_time("08:12:54.123456"), Ok(29_574_123_456_000));
        assert_eq!(parse_time("08:12:54.123456789"), Ok(29_574_123_456_789));
        assert_eq!(parse_time("8:2:4.5"), Ok(28_924_500_000_000));
        assert_eq!(parse_time(" 00:00:00 "), Ok(0));
        assert_eq!(parse_time("+1:-0:+2"), Ok(3_602_000_000_000));
        assert_eq!(parse_time("23:59:59.999999999"), Ok(NANOS_PER_DAY - 1));
        assert_eq!(parse_time("0"), Ok(0));
        assert_eq!(parse_time("86399999999999"), Ok(NANOS_PER_DAY - 1));
        for s in ["86400000000000", "-1", "99999999999999999999"] {
            assert_eq!(parse_time(s), Err(LiteralError::TimeInteger(s.into())), "{s}");
        }
        for s in [
            "",
            "24:00:00",
            "12:60:00",
            "12:00:60",
            "12:00",
            ":12:00",
            "12:00:",
            "12::00",
            "12:00:00.",
            "12:00:00.1234567890",
            "12:00:00.-1",
            "12:00:00.1a",
            "12:00:00:00",
            "12:00:00.1.2",
            "a:00:00",
            "12:00:0\u{e9}",
            "\u{e9}:\u{e9}:\u{e9}",
        ] {
            assert_eq!(parse_time(s), Err(LiteralError::Time(s.into())), "{s}");
        }
        assert_eq!(
            LiteralError::Time("x".into()).to_string(),
            "(TimeType) Unable to coerce 'x' to a formatted time (long)"
        );
    }

    #[test]
    fn time_format() {
        assert_eq!(format_time(29_574_123_456_789), "08:12:54.123456789");
        assert_eq!(format_time(0), "00:00:00.000000000");
        assert_eq!(format_time(NANOS_PER_DAY - 1), "23:59:59.999999999");
        assert_eq!(format_time(29_574_000_000_000), "08:12:54.000000000");
        // Out of range: no panic.
        let _ = format_time(-1);
        let _ = format_time(i64::MIN);
        let _ = format_time(i64::MAX);
    }

    proptest! {
        #[test]
        fn parsers_never_panic(s in "\\PC{0,40}") {
            let _ = parse_timestamp(&s);
            let _ = parse_date(&s);
            let _ = parse_time(&s);
        }

        #[test]
        fn structured_garbage_never_panics(s in "[-+0-9:. TZUCGM]{0,30}") {
            let _ = parse_timestamp(&s);
            let _ = parse_date(&s);
            let _ = parse_time(&s);
        }

        #[test]
        fn timestamp_round_trip(ms in Y1_MS..=i64::MAX) {
            prop_assert_eq!(parse_timestamp(&format_timestamp(ms)), Ok(ms));
        }

        #[test]
        fn timestamp_format_never_panics(ms in any::<i64>()) {
            let _ = format_timestamp(ms);
        }

        #[test]
        fn date_round_trip(d in any::<u32>()) {
            prop_assert_eq!(parse_date(&format_date(d)), Ok(d));
            prop_assert_eq!(parse_date(&d.to_string()), Ok(d));
        }

        #[test]
        fn time_round_trip(ns in 0..NANOS_PER_DAY) {
            prop_assert_eq!(parse_time(&format_time(ns)), Ok(ns));
        }

        #[test]
        fn civil_round_trip(z in -(1i64 << 42)..(1i64 << 42)) {
            let (y, m, d) = civil_from_days(z);
            prop_assert!((1..=12).contains(&m));
            prop_assert!(u64::from(d) <= days_in_month(y, u64::from(m)));
            prop_assert_eq!(days_from_civil(y, m, d), z);
        }
    }
}
