//! Text forms of CQL values: parsing CQL literals / JSON strings into the values the
//! storage and wire layers use, formatting values the way Cassandra prints them, and
//! byte-comparable encodings of the variable-length numeric types.
//!
//! Everything here is a pure function of its input; no function panics, whatever the input.
//! The behaviour follows Cassandra's own serializers (`TimestampSerializer`,
//! `SimpleDateSerializer`, `TimeSerializer`, `cql3.Duration`, `IntegerType`, `DecimalType`,
//! `UUIDType`, `InetAddressType`, `BytesType`); deliberate differences are listed on each
//! function. Error messages are Cassandra's.
//!
//! Layout: `datetime` (`timestamp`, `date`, `time`), `duration`, `numeric` (`varint`,
//! `decimal`, their order keys), and the small ones (`uuid`, `inet`, `blob`) here.

mod datetime;
mod duration;
mod numeric;

use std::net::{IpAddr, Ipv6Addr};

use thiserror::Error;

pub use datetime::{format_date, format_time, format_timestamp, parse_date, parse_time, parse_timestamp};
pub use duration::{format_duration, parse_duration, DurationValue};
pub use numeric::{decimal_order_key, format_decimal, format_varint, parse_decimal, parse_varint, varint_order_key};

/// Why a literal could not be turned into a value. `Display` is Cassandra's message for the
/// same failure (what a client sees in the `InvalidRequest`/`SyntaxError`).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum LiteralError {
    /// A `timestamp` string matched none of the accepted date/time forms.
    #[error("Unable to coerce '{0}' to a formatted date (long)")]
    Timestamp(String),
    /// A `timestamp` given as an integer does not fit in a signed 64-bit number.
    #[error("Unable to make long (for date) from: '{0}'")]
    TimestampInteger(String),
    /// A `date` string is not `yyyy-mm-dd` (or not a valid calendar date).
    #[error("Unable to coerce '{0}' to a formatted date (long)")]
    Date(String),
    /// A `date` given as an integer is not in `0..=2^32-1`.
    #[error("Unable to make unsigned int (for date) from: '{0}'")]
    DateInteger(String),
    /// A `date` before the first representable day (`-2^31` days from the epoch).
    #[error("Input date {0} is less than min supported date -5877641-06-23T00:00Z")]
    DateTooEarly(String),
    /// A `date` after the last representable day (`2^31-1` days from the epoch).
    #[error("Input date {0} is greater than max supported date +5881580-07-11T00:00Z")]
    DateTooLate(String),
    /// A `time` string is not `hh:mm:ss[.fffffffff]`.
    #[error("(TimeType) Unable to coerce '{0}' to a formatted time (long)")]
    Time(String),
    /// A `time` given as an integer is not in `0..86_400_000_000_000`.
    #[error("Unable to make long (for time) from: '{0}'")]
    TimeInteger(String),
    /// A `duration` string matched none of the three accepted forms. Holds the input
    /// without its leading `-`, as Cassandra reports it.
    #[error("Unable to convert '{0}' to a duration")]
    Duration(String),
    /// A `duration` was well formed but invalid: units out of order or repeated, or a total
    /// that overflows. Holds the sentence after "Invalid duration. ".
    #[error("Invalid duration. {0}")]
    InvalidDuration(String),
    /// Not a decimal integer (`varint`).
    #[error("unable to make int from '{0}'")]
    Varint(String),
    /// Not a `java.math.BigDecimal` string (`decimal`).
    #[error("unable to make BigDecimal from '{0}'")]
    Decimal(String),
    /// Not an `8-4-4-4-12` hexadecimal UUID.
    #[error("Unable to make UUID from '{0}'")]
    Uuid(String),
    /// Not a textual IPv4 or IPv6 address.
    #[error("Unable to make inet address from '{0}'")]
    Inet(String),
    /// Not `0x` followed by an even number of hexadecimal digits.
    #[error("cannot parse '{0}' as hex bytes")]
    Blob(String),
}

/// Parses a UUID in the canonical `8-4-4-4-12` hexadecimal form (either case), the only
/// form Cassandra's `UUIDType` accepts from text (the `uuid` crate's braced, URN and
/// dash-less forms are rejected).
pub fn parse_uuid(s: &str) -> Result<uuid::Uuid, LiteralError> {
    let err = || LiteralError::Uuid(s.to_string());
    let b = s.as_bytes();
    if b.len() != 36 {
        return Err(err());
    }
    let mut out = [0u8; 16];
    let mut n = 0usize; // hex digits consumed
    for (i, &c) in b.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            if c != b'-' {
                return Err(err());
            }
            continue;
        }
        let v = hex_value(c).ok_or_else(err)?;
        out[n / 2] |= if n & 1 == 0 { v << 4 } else { v };
        n += 1;
    }
    Ok(uuid::Uuid::from_bytes(out))
}

/// Parses a textual IPv4 (`a.b.c.d`) or IPv6 address (any RFC 4291 form, optionally in
/// brackets). As Java's `InetAddress.getByName` does, an IPv4-mapped IPv6 address
/// (`::ffff:1.2.3.4`) becomes the IPv4 address. Unlike Cassandra, host names are never
/// resolved (no I/O here), and Java's legacy short IPv4 forms (`127.1`) and `%zone`
/// suffixes are rejected.
pub fn parse_inet(s: &str) -> Result<IpAddr, LiteralError> {
    let err = || LiteralError::Inet(s.to_string());
    let text = match s.strip_prefix('[') {
        Some(rest) => rest.strip_suffix(']').ok_or_else(err)?,
        None => s,
    };
    if text.len() != s.len() {
        // Brackets are only for IPv6 literals.
        let v6: Ipv6Addr = text.parse().map_err(|_| err())?;
        return Ok(unmap(v6));
    }
    match text.parse::<IpAddr>().map_err(|_| err())? {
        IpAddr::V6(v6) => Ok(unmap(v6)),
        v4 => Ok(v4),
    }
}

fn unmap(v6: Ipv6Addr) -> IpAddr {
    match v6.to_ipv4_mapped() {
        Some(v4) => IpAddr::V4(v4),
        None => IpAddr::V6(v6),
    }
}

/// Parses a CQL blob constant: `0x` (or `0X`) followed by an even number of hexadecimal
/// digits of either case. `0x` alone is the empty blob.
pub fn parse_blob_hex(s: &str) -> Result<Vec<u8>, LiteralError> {
    let err = || LiteralError::Blob(s.to_string());
    let b = s.as_bytes();
    if b.len() < 2 || b[0] != b'0' || (b[1] != b'x' && b[1] != b'X') {
        return Err(err());
    }
    let hex = &b[2..];
    if hex.len() & 1 != 0 {
        return Err(err());
    }
    hex.chunks_exact(2)
        .map(|pair| match (hex_value(pair[0]), hex_value(pair[1])) {
            (Some(hi), Some(lo)) => Ok((hi << 4) | lo),
            _ => Err(err()),
        })
        .collect()
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// `^-?\d+$` (ASCII digits): the "raw integer" test Cassandra applies before trying the
/// textual forms of `timestamp`, `date` and `time`.
fn is_raw_integer(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty() && digits.bytes().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn uuid_canonical_form() {
        let u = parse_uuid("550E8400-e29b-41d4-a716-446655440000").unwrap();
        assert_eq!(u.to_string(), "550e8400-e29b-41d4-a716-446655440000");
        for bad in [
            "",
            "550e8400e29b41d4a716446655440000",
            "{550e8400-e29b-41d4-a716-446655440000}",
            "urn:uuid:550e8400-e29b-41d4-a716-446655440000",
            "550e8400-e29b-41d4-a716-44665544000g",
            "550e8400-e29b-41d4-a716+446655440000",
            "550e8400-e29b-41d4-a716-4466554400000",
            "550e8400-e29b-41d4-a716-44665544000é",
        ] {
            assert_eq!(parse_uuid(bad), Err(LiteralError::Uuid(bad.to_string())), "{bad}");
        }
        assert_eq!(LiteralError::Uuid("x".into()).to_string(), "Unable to make UUID from 'x'");
    }

    #[test]
    fn inet_forms() {
        assert_eq!(parse_inet("127.0.0.1"), Ok(IpAddr::V4(Ipv4Addr::new(127, 0, 0, 1))));
        assert_eq!(parse_inet("::1"), Ok(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        assert_eq!(parse_inet("[::1]"), Ok(IpAddr::V6(Ipv6Addr::LOCALHOST)));
        assert_eq!(
            parse_inet("2001:DB8::ff00:42:8329"),
            Ok(IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0xff00, 0x42, 0x8329)))
        );
        assert_eq!(parse_inet("::ffff:10.1.2.3"), Ok(IpAddr::V4(Ipv4Addr::new(10, 1, 2, 3))));
        for bad in ["", "[]", "[127.0.0.1]", "256.0.0.1", "1.2.3", "::1]", "[::1", "host"] {
            assert_eq!(parse_inet(bad), Err(LiteralError::Inet(bad.to_string())), "{bad}");
        }
    }

    #[test]
    fn blob_hex() {
        assert_eq!(parse_blob_hex("0x"), Ok(vec![]));
        assert_eq!(parse_blob_hex("0X00fFa1"), Ok(vec![0x00, 0xff, 0xa1]));
        for bad in ["", "0", "x00", "0x0", "0x0g", "00", "0xé0", "0x 0"] {
            assert_eq!(parse_blob_hex(bad), Err(LiteralError::Blob(bad.to_string())), "{bad}");
        }
        assert_eq!(LiteralError::Blob("0x0".into()).to_string(), "cannot parse '0x0' as hex bytes");
    }

    proptest! {
        #[test]
        fn small_parsers_never_panic(s in "\\PC{0,40}") {
            let _ = parse_uuid(&s);
            let _ = parse_inet(&s);
            let _ = parse_blob_hex(&s);
        }

        #[test]
        fn blob_round_trip(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let text: String = std::iter::once("0x".to_string())
                .chain(bytes.iter().map(|b| format!("{b:02x}")))
                .collect();
            prop_assert_eq!(parse_blob_hex(&text), Ok(bytes));
        }

        #[test]
        fn uuid_round_trip(bytes in any::<[u8; 16]>()) {
            let u = uuid::Uuid::from_bytes(bytes);
            prop_assert_eq!(parse_uuid(&u.to_string()), Ok(u));
            prop_assert_eq!(parse_uuid(&u.to_string().to_uppercase()), Ok(u));
        }
    }
}
