//! Validating and decoding serialized values: [`CqlType::decode`] and the
//! allocation-free [`CqlType::validate`], with Cassandra's rules.
//!
//! Empty (zero-length) values, as Cassandra's serializers allow them:
//! * accepted: `ascii`, `text`, `blob`, `varint`, `int`, `bigint`, `counter`,
//!   `timestamp`, `boolean`, `float`, `double`, `uuid`, `timeuuid`, `inet`, `decimal`,
//!   custom types, tuples and UDTs (zero components);
//! * refused: `smallint`, `tinyint`, `date`, `time`, `duration` (at least 3 bytes),
//!   lists, sets and maps (they need their `[int]` count), and vectors.
//!
//! Beyond Cassandra: `time` must be within a day (as the spec says), and `duration`
//! refuses trailing bytes. Text is checked with Rust's UTF-8 validator, which (unlike
//! Cassandra's) refuses the modified-UTF-8 `C0 80` and encoded surrogates.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bytes::Bytes;
use uuid::Uuid;

use super::collection::{walk_components, walk_list, walk_map};
use super::cql_type::CqlType;
use super::option::MAX_TYPE_NESTING_DEPTH;
use super::value::CqlValue;
use super::value_error::ValueError;
use super::vector::walk_vector;
use super::vint::read_vint;

/// Nanoseconds in a day: `time` values are in `0..NANOS_PER_DAY`.
pub const NANOS_PER_DAY: i64 = 86_400_000_000_000;
/// Minimum size of a `duration`: three one-byte vints.
pub const MIN_DURATION_BYTES: usize = 3;
/// Minimum size of a non-empty `decimal`: the `[int]` scale.
pub const MIN_DECIMAL_BYTES: usize = 4;
/// The version nibble of a time-based (version 1) UUID, in byte 6.
const TIMEUUID_VERSION_NIBBLE: u8 = 0x10;

impl CqlType {
    /// Decodes a serialized value of this type, validating it as Cassandra does.
    pub fn decode(&self, bytes: &[u8]) -> Result<CqlValue, ValueError> {
        decode_at(self, bytes, 0)
    }

    /// Checks that `bytes` is a valid serialized value of this type without building it.
    pub fn validate(&self, bytes: &[u8]) -> Result<(), ValueError> {
        validate_at(self, bytes, 0)
    }
}

fn check_depth(depth: usize) -> Result<(), ValueError> {
    if depth >= MAX_TYPE_NESTING_DEPTH {
        return Err(ValueError::TooDeep { max: MAX_TYPE_NESTING_DEPTH });
    }
    Ok(())
}

fn decode_at(ty: &CqlType, bytes: &[u8], depth: usize) -> Result<CqlValue, ValueError> {
    check_depth(depth)?;
    let child = |t: &CqlType, b: &[u8]| decode_at(t, b, depth + 1);
    macro_rules! scalar {
        ($n:literal, $empty:expr, $msg:literal, $make:expr) => {
            match fixed::<$n>(bytes, $empty, $msg)? {
                None => CqlValue::Empty,
                Some(a) => $make(a),
            }
        };
    }
    Ok(match ty {
        CqlType::Frozen(inner) => return decode_at(inner, bytes, depth + 1),
        CqlType::List(e) => CqlValue::List(walk_list(e, bytes, "list", child)?),
        CqlType::Set(e) => CqlValue::Set(walk_list(e, bytes, "set", child)?),
        CqlType::Map(k, v) => CqlValue::Map(walk_map(k, v, bytes, child)?),
        CqlType::Tuple(types) => CqlValue::Tuple(walk_components(types.iter(), bytes, "tuple", child)?),
        CqlType::Udt(udt) => {
            let values = walk_components(udt.fields.iter().map(|(_, t)| t), bytes, "UDT", child)?;
            let names = udt.fields.iter().map(|(n, _)| n.clone());
            CqlValue::Udt(names.zip(values).collect())
        }
        CqlType::Vector(element, dimension) => CqlValue::Vector(walk_vector(element, *dimension, bytes, child)?),
        CqlType::Ascii => {
            check_ascii(bytes)?;
            CqlValue::Ascii(String::from_utf8_lossy(bytes).into_owned())
        }
        CqlType::Text => {
            CqlValue::Text(std::str::from_utf8(bytes).map_err(|_| ValueError::invalid_utf8(bytes))?.to_owned())
        }
        CqlType::Blob | CqlType::Custom(_) => CqlValue::Blob(Bytes::copy_from_slice(bytes)),
        CqlType::Varint => CqlValue::Varint(bytes.to_vec()),
        CqlType::Decimal => match check_decimal(bytes)? {
            None => CqlValue::Empty,
            Some((scale, unscaled)) => CqlValue::Decimal { scale, unscaled: unscaled.to_vec() },
        },
        CqlType::Int => scalar!(4, true, "Expected 4 or 0 byte int", |a| CqlValue::Int(i32::from_be_bytes(a))),
        CqlType::Bigint => {
            scalar!(8, true, "Expected 8 or 0 byte long", |a| { CqlValue::Bigint(i64::from_be_bytes(a)) })
        }
        CqlType::Counter => {
            scalar!(8, true, "Expected 8 or 0 byte long", |a| { CqlValue::Counter(i64::from_be_bytes(a)) })
        }
        CqlType::Timestamp => {
            scalar!(8, true, "Expected 8 or 0 byte long for date", |a| { CqlValue::Timestamp(i64::from_be_bytes(a)) })
        }
        CqlType::Boolean => {
            scalar!(1, true, "Expected 1 or 0 byte value", |a: [u8; 1]| { CqlValue::Boolean(a[0] != 0) })
        }
        CqlType::Float => {
            scalar!(4, true, "Expected 4 or 0 byte value for a float", |a| { CqlValue::Float(f32::from_be_bytes(a)) })
        }
        CqlType::Double => {
            scalar!(8, true, "Expected 8 or 0 byte value for a double", |a| { CqlValue::Double(f64::from_be_bytes(a)) })
        }
        CqlType::Smallint => {
            scalar!(2, false, "Expected 2 bytes for a smallint", |a| { CqlValue::Smallint(i16::from_be_bytes(a)) })
        }
        CqlType::Tinyint => {
            scalar!(1, false, "Expected 1 byte for a tinyint", |a| { CqlValue::Tinyint(i8::from_be_bytes(a)) })
        }
        CqlType::Date => {
            scalar!(4, false, "Expected 4 byte long for date", |a| { CqlValue::Date(u32::from_be_bytes(a)) })
        }
        CqlType::Time => {
            let nanos =
                scalar!(8, false, "Expected 8 byte long for time", |a| { CqlValue::Time(i64::from_be_bytes(a)) });
            if let CqlValue::Time(n) = nanos {
                if !(0..NANOS_PER_DAY).contains(&n) {
                    return Err(ValueError::TimeOutOfRange { nanos: n });
                }
            }
            nanos
        }
        CqlType::Uuid => scalar!(16, true, "UUID should be 16 or 0 bytes", |a| { CqlValue::Uuid(Uuid::from_bytes(a)) }),
        CqlType::Timeuuid => match fixed::<16>(bytes, true, "TimeUUID should be 16 or 0 bytes")? {
            None => CqlValue::Empty,
            Some(a) if a[6] & 0xF0 == TIMEUUID_VERSION_NIBBLE => CqlValue::Timeuuid(Uuid::from_bytes(a)),
            Some(_) => return Err(ValueError::NotTimeUuid),
        },
        CqlType::Inet => decode_inet(bytes)?,
        CqlType::Duration => decode_duration(bytes)?,
    })
}

fn validate_at(ty: &CqlType, bytes: &[u8], depth: usize) -> Result<(), ValueError> {
    check_depth(depth)?;
    let child = |t: &CqlType, b: &[u8]| validate_at(t, b, depth + 1);
    match ty {
        CqlType::Frozen(inner) => validate_at(inner, bytes, depth + 1),
        CqlType::List(e) => walk_list(e, bytes, "list", child).map(drop),
        CqlType::Set(e) => walk_list(e, bytes, "set", child).map(drop),
        CqlType::Map(k, v) => walk_map(k, v, bytes, child).map(drop),
        CqlType::Tuple(types) => walk_components(types.iter(), bytes, "tuple", child).map(drop),
        CqlType::Udt(udt) => walk_components(udt.fields.iter().map(|(_, t)| t), bytes, "UDT", child).map(drop),
        CqlType::Vector(element, dimension) => walk_vector(element, *dimension, bytes, child).map(drop),
        CqlType::Ascii => check_ascii(bytes),
        CqlType::Text => std::str::from_utf8(bytes).map(drop).map_err(|_| ValueError::invalid_utf8(bytes)),
        CqlType::Blob | CqlType::Custom(_) | CqlType::Varint => Ok(()),
        CqlType::Decimal => check_decimal(bytes).map(drop),
        _ => decode_at(ty, bytes, depth).map(drop),
    }
}

fn check_ascii(bytes: &[u8]) -> Result<(), ValueError> {
    match bytes.iter().find(|b| !b.is_ascii()) {
        Some(&byte) => Err(ValueError::InvalidAscii { byte }),
        None => Ok(()),
    }
}

/// `None` for the empty decimal, else the scale and the unscaled varint bytes.
fn check_decimal(bytes: &[u8]) -> Result<Option<(i32, &[u8])>, ValueError> {
    if bytes.is_empty() {
        return Ok(None);
    }
    match bytes.split_first_chunk::<MIN_DECIMAL_BYTES>() {
        Some((scale, unscaled)) => Ok(Some((i32::from_be_bytes(*scale), unscaled))),
        None => Err(ValueError::BadLength { expected: "Expected 0 or at least 4 bytes", actual: bytes.len() }),
    }
}

/// Reads exactly `N` bytes; `Ok(None)` for an empty value when `allow_empty`.
fn fixed<const N: usize>(
    bytes: &[u8],
    allow_empty: bool,
    expected: &'static str,
) -> Result<Option<[u8; N]>, ValueError> {
    if allow_empty && bytes.is_empty() {
        return Ok(None);
    }
    match <[u8; N]>::try_from(bytes) {
        Ok(array) => Ok(Some(array)),
        Err(_) => Err(ValueError::BadLength { expected, actual: bytes.len() }),
    }
}

fn decode_inet(bytes: &[u8]) -> Result<CqlValue, ValueError> {
    if bytes.is_empty() {
        return Ok(CqlValue::Empty);
    }
    if let Ok(v4) = <[u8; 4]>::try_from(bytes) {
        return Ok(CqlValue::Inet(IpAddr::V4(Ipv4Addr::from(v4))));
    }
    if let Ok(v6) = <[u8; 16]>::try_from(bytes) {
        return Ok(CqlValue::Inet(IpAddr::V6(Ipv6Addr::from(v6))));
    }
    Err(ValueError::invalid_inet(bytes))
}

fn decode_duration(bytes: &[u8]) -> Result<CqlValue, ValueError> {
    if bytes.len() < MIN_DURATION_BYTES {
        return Err(ValueError::BadLength {
            expected: "Expected at least 3 bytes for a duration",
            actual: bytes.len(),
        });
    }
    let mut buf = bytes;
    let months = read_vint(&mut buf)?;
    let days = read_vint(&mut buf)?;
    let nanos = read_vint(&mut buf)?;
    if !buf.is_empty() {
        return Err(ValueError::TrailingBytes { what: "duration" });
    }
    let months = i32::try_from(months).map_err(|_| ValueError::DurationOverflow { field: "months", value: months })?;
    let days = i32::try_from(days).map_err(|_| ValueError::DurationOverflow { field: "days", value: days })?;
    let all_non_negative = months >= 0 && days >= 0 && nanos >= 0;
    let all_non_positive = months <= 0 && days <= 0 && nanos <= 0;
    if !(all_non_negative || all_non_positive) {
        return Err(ValueError::DurationMixedSigns { months, days, nanos });
    }
    Ok(CqlValue::Duration { months, days, nanos })
}
