//! [`ValueError`]: why serialized bytes are not a valid value of a CQL type. Messages
//! follow Cassandra's `MarshalException` texts, so clients see familiar errors; the
//! engine answers them with `INVALID` (0x2200).

use thiserror::Error;

/// At most this many bytes are shown in hex inside an error message.
pub const MAX_HEX_BYTES_IN_ERROR: usize = 32;

/// A serialized value that does not match its CQL type.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ValueError {
    /// Wrong size for a fixed-size type; `expected` is Cassandra's wording
    /// ("Expected 4 or 0 byte int").
    #[error("{expected} ({actual})")]
    BadLength { expected: &'static str, actual: usize },
    /// `text` that is not UTF-8 (Cassandra's `UTF8Serializer` words; `hex` is the value).
    #[error("String didn't validate.")]
    InvalidUtf8 { hex: String },
    /// `ascii` with a byte above 127.
    #[error("Invalid byte for ascii: {byte}")]
    InvalidAscii { byte: u8 },
    /// `time` outside `0..86_400_000_000_000`.
    #[error("Time value out of range: {nanos} (must be in [0, 86399999999999] nanoseconds)")]
    TimeOutOfRange { nanos: i64 },
    /// `timeuuid` that is not a version 1 UUID.
    #[error("Invalid version for TimeUUID type.")]
    NotTimeUuid,
    /// `inet` that is neither 4 nor 16 bytes.
    #[error("Expected 4 or 16 byte inetaddress; got {hex}")]
    InvalidInet { hex: String },
    /// A `duration` vint runs past the end of the value.
    #[error("Not enough bytes to read a duration")]
    DurationTruncated,
    /// A `duration` months or days component does not fit in 32 bits.
    #[error("The duration {field} must be a 32 bits integer but was: {value}")]
    DurationOverflow { field: &'static str, value: i64 },
    /// `duration` components of different signs.
    #[error("The duration months, days and nanoseconds must be all of the same sign ({months}, {days}, {nanos})")]
    DurationMixedSigns { months: i32, days: i32, nanos: i64 },
    /// A collection, tuple or UDT ended early.
    #[error("Not enough bytes to read {what}")]
    NotEnoughBytes { what: String },
    /// A negative element count in a collection.
    #[error("Invalid negative element count {count} in a {what}")]
    NegativeCount { what: &'static str, count: i32 },
    /// A null (or unset) element inside a list, set or map.
    #[error("null is not supported inside collections")]
    NullInCollection,
    /// Bytes left over after a complete value.
    #[error("Invalid remaining data after end of {what} value")]
    TrailingBytes { what: &'static str },
    /// More UDT fields than the type declares.
    #[error("Invalid remaining data after end of UDT value: the type has {fields} fields")]
    TooManyFields { fields: usize },
    /// A zero-length vector (vectors have at least one element, and null is not empty).
    #[error("Invalid empty vector value")]
    EmptyVector,
    /// A vector that ends before its last element; `ty` is its CQL name.
    #[error("Not enough bytes to read a {ty}")]
    VectorTooShort { ty: String },
    /// Bytes left after a vector's last element.
    #[error("Unexpected {extra} extraneous bytes after {ty} value")]
    VectorTrailing { extra: usize, ty: String },
    /// A null (or empty fixed-size) element given for a vector.
    #[error("null is not supported inside vectors")]
    NullInVector,
    /// An element of the wrong size given for a vector of a fixed-size element type.
    #[error("Expected {expected} bytes for a {ty} element of a vector ({actual})")]
    VectorElementSize { ty: String, expected: usize, actual: usize },
    /// Collections/tuples nested deeper than the decoder supports.
    #[error("value nested deeper than {max} levels")]
    TooDeep { max: usize },
}

impl ValueError {
    pub(crate) fn invalid_utf8(bytes: &[u8]) -> Self {
        ValueError::InvalidUtf8 { hex: hex_prefix(bytes) }
    }

    /// An `inet` of the wrong length, shown as Cassandra shows it (its bytes in hex, the
    /// first `MAX_HEX_BYTES_IN_ERROR` of them).
    pub(crate) fn invalid_inet(bytes: &[u8]) -> Self {
        ValueError::InvalidInet { hex: hex_prefix(bytes) }
    }

    pub(crate) fn not_enough(what: impl Into<String>) -> Self {
        ValueError::NotEnoughBytes { what: what.into() }
    }
}

/// A value's first `MAX_HEX_BYTES_IN_ERROR` bytes in hex, `...` marking a cut.
fn hex_prefix(bytes: &[u8]) -> String {
    let shown = bytes.get(..MAX_HEX_BYTES_IN_ERROR).unwrap_or(bytes);
    let mut hex: String = shown.iter().map(|b| format!("{b:02x}")).collect();
    if shown.len() < bytes.len() {
        hex.push_str("...");
    }
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_read_like_cassandra() {
        let e = ValueError::BadLength { expected: "Expected 4 or 0 byte int", actual: 3 };
        assert_eq!(e.to_string(), "Expected 4 or 0 byte int (3)");
        assert_eq!(ValueError::invalid_utf8(&[0xC3, 0x28]).to_string(), "String didn't validate.");
        let ValueError::InvalidUtf8 { hex } = ValueError::invalid_utf8(&[0xFF; 100]) else { unreachable!() };
        assert!(hex.ends_with("..."));
        assert!(ValueError::invalid_inet(&[0xAB; 100]).to_string().ends_with("abab..."));
    }
}
