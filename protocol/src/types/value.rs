//! [`CqlValue`]: a decoded CQL value, and its serialization (spec §6) without the
//! `[bytes]` length prefix.
//!
//! `Empty` stands for the zero-length value that Cassandra accepts for most fixed-size
//! types (`int`, `uuid`, `boolean`...): it is not null, and it serializes to no bytes.
//! Types whose natural value can be empty (`text`, `blob`, `varint`, tuples, UDTs)
//! decode an empty input to their own empty value instead.

use std::net::IpAddr;

use bytes::Bytes;

use super::vector::is_fixed_size_value;
use super::vint::{write_unsigned_vint, write_vint};
use crate::wire::{write_bytes, write_i32};

/// A CQL value. Collections keep their serialized order; sets and maps are not
/// re-sorted here.
#[derive(Debug, Clone, PartialEq)]
pub enum CqlValue {
    Ascii(String),
    Text(String),
    Bigint(i64),
    Counter(i64),
    Blob(Bytes),
    Boolean(bool),
    /// `unscaled * 10^-scale`; `unscaled` is two's complement big-endian.
    Decimal {
        scale: i32,
        unscaled: Vec<u8>,
    },
    Double(f64),
    Float(f32),
    Int(i32),
    Smallint(i16),
    Tinyint(i8),
    /// Milliseconds since the Unix epoch.
    Timestamp(i64),
    /// Days since -5877641-06-23, with the Unix epoch at 2^31.
    Date(u32),
    /// Nanoseconds since midnight.
    Time(i64),
    Uuid(uuid::Uuid),
    Timeuuid(uuid::Uuid),
    /// Two's complement big-endian, minimal or not.
    Varint(Vec<u8>),
    Inet(IpAddr),
    Duration {
        months: i32,
        days: i32,
        nanos: i64,
    },
    List(Vec<CqlValue>),
    Set(Vec<CqlValue>),
    Map(Vec<(CqlValue, CqlValue)>),
    /// Components; `None` is a null component.
    Tuple(Vec<Option<CqlValue>>),
    /// Fields by name, in type order; `None` is a null field.
    Udt(Vec<(String, Option<CqlValue>)>),
    /// The elements of a vector, all present.
    Vector(Vec<CqlValue>),
    /// The zero-length value of a fixed-size type (not null).
    Empty,
}

impl CqlValue {
    /// Appends the serialized value (no length prefix).
    pub fn encode(&self, out: &mut Vec<u8>) {
        match self {
            CqlValue::Ascii(s) | CqlValue::Text(s) => out.extend_from_slice(s.as_bytes()),
            CqlValue::Bigint(v) | CqlValue::Counter(v) | CqlValue::Timestamp(v) | CqlValue::Time(v) => {
                out.extend_from_slice(&v.to_be_bytes())
            }
            CqlValue::Blob(b) => out.extend_from_slice(b),
            CqlValue::Boolean(b) => out.push(u8::from(*b)),
            CqlValue::Decimal { scale, unscaled } => {
                write_i32(out, *scale);
                out.extend_from_slice(unscaled);
            }
            CqlValue::Double(v) => out.extend_from_slice(&v.to_be_bytes()),
            CqlValue::Float(v) => out.extend_from_slice(&v.to_be_bytes()),
            CqlValue::Int(v) => out.extend_from_slice(&v.to_be_bytes()),
            CqlValue::Smallint(v) => out.extend_from_slice(&v.to_be_bytes()),
            CqlValue::Tinyint(v) => out.extend_from_slice(&v.to_be_bytes()),
            CqlValue::Date(v) => out.extend_from_slice(&v.to_be_bytes()),
            CqlValue::Uuid(u) | CqlValue::Timeuuid(u) => out.extend_from_slice(u.as_bytes()),
            CqlValue::Varint(v) => out.extend_from_slice(v),
            CqlValue::Inet(IpAddr::V4(a)) => out.extend_from_slice(&a.octets()),
            CqlValue::Inet(IpAddr::V6(a)) => out.extend_from_slice(&a.octets()),
            CqlValue::Duration { months, days, nanos } => {
                write_vint(out, (*months).into());
                write_vint(out, (*days).into());
                write_vint(out, *nanos);
            }
            CqlValue::List(items) | CqlValue::Set(items) => {
                write_count(out, items.len());
                for item in items {
                    encode_element(out, Some(item));
                }
            }
            CqlValue::Map(entries) => {
                write_count(out, entries.len());
                for (k, v) in entries {
                    encode_element(out, Some(k));
                    encode_element(out, Some(v));
                }
            }
            CqlValue::Tuple(items) => {
                for item in items {
                    encode_element(out, item.as_ref());
                }
            }
            CqlValue::Udt(fields) => {
                for (_, v) in fields {
                    encode_element(out, v.as_ref());
                }
            }
            CqlValue::Vector(items) => {
                for item in items {
                    if !is_fixed_size_value(item) {
                        let mut element = Vec::new();
                        item.encode(&mut element);
                        write_unsigned_vint(out, element.len() as u64);
                        out.extend_from_slice(&element);
                    } else {
                        item.encode(out);
                    }
                }
            }
            CqlValue::Empty => {}
        }
    }

    /// The serialized value as a new buffer.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.encode(&mut out);
        out
    }
}

fn write_count(out: &mut Vec<u8>, n: usize) {
    write_i32(out, i32::try_from(n).unwrap_or(i32::MAX));
}

/// Writes a `[bytes]` element in place: reserve the length, encode, patch.
fn encode_element(out: &mut Vec<u8>, v: Option<&CqlValue>) {
    let Some(v) = v else {
        write_bytes(out, None);
        return;
    };
    let len_at = out.len();
    write_i32(out, 0);
    v.encode(out);
    let len = i32::try_from(out.len() - len_at - 4).unwrap_or(i32::MAX);
    if let Some(slot) = out.get_mut(len_at..len_at + 4) {
        slot.copy_from_slice(&len.to_be_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_encodings() {
        assert_eq!(CqlValue::Int(-2).to_bytes(), [0xFF, 0xFF, 0xFF, 0xFE]);
        assert_eq!(CqlValue::Boolean(true).to_bytes(), [1]);
        assert_eq!(CqlValue::Varint(vec![0x00, 0x80]).to_bytes(), [0x00, 0x80]);
        assert_eq!(CqlValue::Decimal { scale: 2, unscaled: vec![0x04, 0xD2] }.to_bytes(), [0, 0, 0, 2, 0x04, 0xD2]);
        assert_eq!(CqlValue::List(vec![CqlValue::Tinyint(7)]).to_bytes(), [0, 0, 0, 1, 0, 0, 0, 1, 7]);
        assert_eq!(
            CqlValue::Tuple(vec![None, Some(CqlValue::Text("a".into()))]).to_bytes(),
            [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1, b'a']
        );
        assert_eq!(CqlValue::Duration { months: 1, days: 2, nanos: 3 }.to_bytes(), [2, 4, 6]);
        assert!(CqlValue::Empty.to_bytes().is_empty());
        assert_eq!(
            CqlValue::Vector(vec![CqlValue::Smallint(1), CqlValue::Smallint(-1)]).to_bytes(),
            [0, 1, 0xFF, 0xFF]
        );
        assert_eq!(CqlValue::Vector(vec![CqlValue::Text("ab".into())]).to_bytes(), [2, b'a', b'b']);
    }
}
