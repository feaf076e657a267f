//! The primitive notation of the spec (§3): `[int]`, `[string]`, `[bytes]`, `[value]`,
//! `[string map]`, `[inet]`, `[consistency]`... A cursor reader over [`Bytes`] (values
//! are zero-copy slices of the frame) and writer free functions on `Vec<u8>`.
//!
//! The reader never panics and never allocates from a declared length before checking
//! it against the bytes actually remaining; list capacities are bounded by how many
//! items the remaining bytes could hold.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use bytes::{Buf, Bytes};
use uuid::Uuid;

use crate::error::ProtocolError;

/// Consistency levels as `[consistency]` codes (spec §3).
pub mod consistency {
    pub const ANY: u16 = 0x0000;
    pub const ONE: u16 = 0x0001;
    pub const TWO: u16 = 0x0002;
    pub const THREE: u16 = 0x0003;
    pub const QUORUM: u16 = 0x0004;
    pub const ALL: u16 = 0x0005;
    pub const LOCAL_QUORUM: u16 = 0x0006;
    pub const EACH_QUORUM: u16 = 0x0007;
    pub const SERIAL: u16 = 0x0008;
    pub const LOCAL_SERIAL: u16 = 0x0009;
    pub const LOCAL_ONE: u16 = 0x000A;
    /// The highest defined code.
    pub const MAX_CODE: u16 = LOCAL_ONE;

    /// The CQL name of a consistency level (`LOCAL_QUORUM`), for error messages.
    pub fn name(code: u16) -> &'static str {
        match code {
            ANY => "ANY",
            ONE => "ONE",
            TWO => "TWO",
            THREE => "THREE",
            QUORUM => "QUORUM",
            ALL => "ALL",
            LOCAL_QUORUM => "LOCAL_QUORUM",
            EACH_QUORUM => "EACH_QUORUM",
            SERIAL => "SERIAL",
            LOCAL_SERIAL => "LOCAL_SERIAL",
            LOCAL_ONE => "LOCAL_ONE",
            _ => "UNKNOWN",
        }
    }
}

/// `[value]` length meaning "null".
pub const VALUE_NULL_LEN: i32 = -1;
/// `[value]` length meaning "not set" (v4).
pub const VALUE_UNSET_LEN: i32 = -2;
/// Bytes of a `[uuid]`.
pub const UUID_BYTES: usize = 16;
/// Bytes of an IPv4 address in `[inet]` / `[inetaddr]`.
pub const IPV4_BYTES: usize = 4;
/// Bytes of an IPv6 address in `[inet]` / `[inetaddr]`.
pub const IPV6_BYTES: usize = 16;

/// A bound value (`[value]`): bytes, null, or unset (v4: leave the column untouched).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Value {
    Null,
    Unset,
    Bytes(Bytes),
}

/// A cursor over a message body. Every read consumes from the front.
#[derive(Debug, Clone)]
pub struct WireReader {
    buf: Bytes,
}

impl WireReader {
    pub fn new(buf: Bytes) -> Self {
        WireReader { buf }
    }

    /// Bytes not yet consumed.
    pub fn remaining(&self) -> usize {
        self.buf.len()
    }

    /// The unconsumed rest of the message, consuming it.
    pub fn take_rest(&mut self) -> Bytes {
        std::mem::take(&mut self.buf)
    }

    fn need(&self, what: &'static str, n: usize) -> Result<(), ProtocolError> {
        if self.buf.len() < n {
            return Err(ProtocolError::truncated(what, n, self.buf.len()));
        }
        Ok(())
    }

    /// Takes exactly `n` bytes as a zero-copy slice.
    pub fn read_raw(&mut self, what: &'static str, n: usize) -> Result<Bytes, ProtocolError> {
        self.need(what, n)?;
        Ok(self.buf.split_to(n))
    }

    fn read_array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], ProtocolError> {
        self.need(what, N)?;
        let mut out = [0u8; N];
        self.buf.copy_to_slice(&mut out);
        Ok(out)
    }

    pub fn read_u8(&mut self) -> Result<u8, ProtocolError> {
        Ok(u8::from_be_bytes(self.read_array("[byte]")?))
    }

    pub fn read_i16(&mut self) -> Result<i16, ProtocolError> {
        Ok(i16::from_be_bytes(self.read_array("[short]")?))
    }

    pub fn read_u16(&mut self) -> Result<u16, ProtocolError> {
        Ok(u16::from_be_bytes(self.read_array("[short]")?))
    }

    pub fn read_i32(&mut self) -> Result<i32, ProtocolError> {
        Ok(i32::from_be_bytes(self.read_array("[int]")?))
    }

    pub fn read_i64(&mut self) -> Result<i64, ProtocolError> {
        Ok(i64::from_be_bytes(self.read_array("[long]")?))
    }

    fn read_utf8(&mut self, what: &'static str, len: usize) -> Result<String, ProtocolError> {
        let raw = self.read_raw(what, len)?;
        String::from_utf8(raw.to_vec()).map_err(|_| ProtocolError::InvalidUtf8 { what })
    }

    /// `[string]`: a `[short]` length then UTF-8.
    pub fn read_string(&mut self) -> Result<String, ProtocolError> {
        let len = self.read_u16()? as usize;
        self.read_utf8("[string]", len)
    }

    /// `[long string]`: an `[int]` length then UTF-8.
    pub fn read_long_string(&mut self) -> Result<String, ProtocolError> {
        let len = self.read_i32()?;
        let len = usize::try_from(len)
            .map_err(|_| ProtocolError::NegativeLength { what: "[long string]", len: len.into() })?;
        self.read_utf8("[long string]", len)
    }

    /// `[bytes]`: an `[int]` length then bytes; a negative length is null (`None`).
    pub fn read_bytes(&mut self) -> Result<Option<Bytes>, ProtocolError> {
        let len = self.read_i32()?;
        match usize::try_from(len) {
            Ok(len) => self.read_raw("[bytes]", len).map(Some),
            Err(_) => Ok(None),
        }
    }

    /// `[short bytes]`: a `[short]` length then bytes.
    pub fn read_short_bytes(&mut self) -> Result<Bytes, ProtocolError> {
        let len = self.read_u16()? as usize;
        self.read_raw("[short bytes]", len)
    }

    /// `[value]`: like `[bytes]`, but -1 is null, -2 is unset, and other negatives are
    /// errors.
    pub fn read_value(&mut self) -> Result<Value, ProtocolError> {
        let len = self.read_i32()?;
        match len {
            VALUE_NULL_LEN => Ok(Value::Null),
            VALUE_UNSET_LEN => Ok(Value::Unset),
            _ => match usize::try_from(len) {
                Ok(n) => self.read_raw("[value]", n).map(Value::Bytes),
                Err(_) => Err(ProtocolError::NegativeLength { what: "[value]", len: len.into() }),
            },
        }
    }

    /// A `[short]` count of items, each at least `min_item_bytes` long; returns the count
    /// and a safe capacity for the vector that will hold them.
    fn read_count(&mut self, min_item_bytes: usize) -> Result<(usize, usize), ProtocolError> {
        let n = self.read_u16()? as usize;
        let capacity = n.min(self.remaining() / min_item_bytes.max(1));
        Ok((n, capacity))
    }

    /// `[string list]`: a `[short]` count then `[string]`s.
    pub fn read_string_list(&mut self) -> Result<Vec<String>, ProtocolError> {
        let (n, cap) = self.read_count(2)?;
        let mut out = Vec::with_capacity(cap);
        for _ in 0..n {
            out.push(self.read_string()?);
        }
        Ok(out)
    }

    /// `[string map]`: a `[short]` count then (`[string]`, `[string]`) pairs, in order.
    pub fn read_string_map(&mut self) -> Result<Vec<(String, String)>, ProtocolError> {
        let (n, cap) = self.read_count(4)?;
        let mut out = Vec::with_capacity(cap);
        for _ in 0..n {
            let k = self.read_string()?;
            let v = self.read_string()?;
            out.push((k, v));
        }
        Ok(out)
    }

    /// `[string multimap]`: a `[short]` count then (`[string]`, `[string list]`) pairs.
    pub fn read_string_multimap(&mut self) -> Result<Vec<(String, Vec<String>)>, ProtocolError> {
        let (n, cap) = self.read_count(4)?;
        let mut out = Vec::with_capacity(cap);
        for _ in 0..n {
            let k = self.read_string()?;
            let v = self.read_string_list()?;
            out.push((k, v));
        }
        Ok(out)
    }

    /// `[bytes map]`: a `[short]` count then (`[string]`, `[bytes]`) pairs (custom payload).
    pub fn read_bytes_map(&mut self) -> Result<Vec<(String, Option<Bytes>)>, ProtocolError> {
        let (n, cap) = self.read_count(6)?;
        let mut out = Vec::with_capacity(cap);
        for _ in 0..n {
            let k = self.read_string()?;
            let v = self.read_bytes()?;
            out.push((k, v));
        }
        Ok(out)
    }

    /// `[uuid]`: 16 bytes.
    pub fn read_uuid(&mut self) -> Result<Uuid, ProtocolError> {
        Ok(Uuid::from_bytes(self.read_array::<UUID_BYTES>("[uuid]")?))
    }

    /// `[consistency]`: a `[short]`; unknown codes are refused.
    pub fn read_consistency(&mut self) -> Result<u16, ProtocolError> {
        let code = self.read_u16()?;
        if code > consistency::MAX_CODE {
            return Err(ProtocolError::bad_value(
                "[consistency]",
                format!("unknown code {code} for a consistency level"),
            ));
        }
        Ok(code)
    }

    /// `[inetaddr]`: a `[byte]` size (4 or 16) then the address bytes.
    pub fn read_inetaddr(&mut self) -> Result<IpAddr, ProtocolError> {
        match self.read_u8()? as usize {
            IPV4_BYTES => Ok(IpAddr::V4(Ipv4Addr::from(self.read_array::<IPV4_BYTES>("[inetaddr]")?))),
            IPV6_BYTES => Ok(IpAddr::V6(Ipv6Addr::from(self.read_array::<IPV6_BYTES>("[inetaddr]")?))),
            n => Err(ProtocolError::bad_value("[inetaddr]", format!("address size must be 4 or 16 bytes, got {n}"))),
        }
    }

    /// `[inet]`: an `[inetaddr]` then an `[int]` port.
    pub fn read_inet(&mut self) -> Result<SocketAddr, ProtocolError> {
        let ip = self.read_inetaddr()?;
        let port = self.read_i32()?;
        let port = u16::try_from(port)
            .map_err(|_| ProtocolError::bad_value("[inet]", format!("port {port} is out of range")))?;
        Ok(SocketAddr::new(ip, port))
    }
}

pub fn write_u8(out: &mut Vec<u8>, v: u8) {
    out.push(v);
}

pub fn write_i16(out: &mut Vec<u8>, v: i16) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub fn write_u16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub fn write_i32(out: &mut Vec<u8>, v: i32) {
    out.extend_from_slice(&v.to_be_bytes());
}

pub fn write_i64(out: &mut Vec<u8>, v: i64) {
    out.extend_from_slice(&v.to_be_bytes());
}

/// A `[short]` length; lengths above the field's range are clamped (callers keep
/// names and lists far below 64 KiB).
fn write_short_len(out: &mut Vec<u8>, len: usize) -> usize {
    let clamped = len.min(u16::MAX as usize);
    write_u16(out, clamped as u16);
    clamped
}

/// An `[int]` length, clamped like [`write_short_len`].
fn write_int_len(out: &mut Vec<u8>, len: usize) -> usize {
    let clamped = len.min(i32::MAX as usize);
    write_i32(out, clamped as i32);
    clamped
}

/// Writes `[string]`. A string longer than 65535 bytes is truncated at a char boundary.
pub fn write_string(out: &mut Vec<u8>, s: &str) {
    let mut end = s.len().min(u16::MAX as usize);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let bytes = s.as_bytes().get(..end).unwrap_or_default();
    write_short_len(out, bytes.len());
    out.extend_from_slice(bytes);
}

/// Writes `[long string]`.
pub fn write_long_string(out: &mut Vec<u8>, s: &str) {
    let n = write_int_len(out, s.len());
    out.extend_from_slice(s.as_bytes().get(..n).unwrap_or_default());
}

/// Writes `[bytes]`; `None` is null (length -1).
pub fn write_bytes(out: &mut Vec<u8>, v: Option<&[u8]>) {
    match v {
        None => write_i32(out, VALUE_NULL_LEN),
        Some(b) => {
            let n = write_int_len(out, b.len());
            out.extend_from_slice(b.get(..n).unwrap_or_default());
        }
    }
}

/// Writes `[value]`.
pub fn write_value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => write_i32(out, VALUE_NULL_LEN),
        Value::Unset => write_i32(out, VALUE_UNSET_LEN),
        Value::Bytes(b) => write_bytes(out, Some(b)),
    }
}

/// Writes `[short bytes]`.
pub fn write_short_bytes(out: &mut Vec<u8>, b: &[u8]) {
    let n = write_short_len(out, b.len());
    out.extend_from_slice(b.get(..n).unwrap_or_default());
}

/// Writes `[string list]`.
pub fn write_string_list<S: AsRef<str>>(out: &mut Vec<u8>, list: &[S]) {
    let n = write_short_len(out, list.len());
    for s in list.iter().take(n) {
        write_string(out, s.as_ref());
    }
}

/// Writes `[string map]`.
pub fn write_string_map<K: AsRef<str>, V: AsRef<str>>(out: &mut Vec<u8>, map: &[(K, V)]) {
    let n = write_short_len(out, map.len());
    for (k, v) in map.iter().take(n) {
        write_string(out, k.as_ref());
        write_string(out, v.as_ref());
    }
}

/// Writes `[string multimap]`.
pub fn write_string_multimap<K: AsRef<str>, V: AsRef<str>>(out: &mut Vec<u8>, map: &[(K, Vec<V>)]) {
    let n = write_short_len(out, map.len());
    for (k, v) in map.iter().take(n) {
        write_string(out, k.as_ref());
        write_string_list(out, v);
    }
}

/// Writes `[uuid]`.
pub fn write_uuid(out: &mut Vec<u8>, u: &Uuid) {
    out.extend_from_slice(u.as_bytes());
}

/// Writes `[inetaddr]`.
pub fn write_inetaddr(out: &mut Vec<u8>, ip: IpAddr) {
    match ip {
        IpAddr::V4(v4) => {
            out.push(IPV4_BYTES as u8);
            out.extend_from_slice(&v4.octets());
        }
        IpAddr::V6(v6) => {
            out.push(IPV6_BYTES as u8);
            out.extend_from_slice(&v6.octets());
        }
    }
}

/// Writes `[inet]`: address then `[int]` port.
pub fn write_inet(out: &mut Vec<u8>, addr: SocketAddr) {
    write_inetaddr(out, addr.ip());
    write_i32(out, addr.port().into());
}

/// Writes `[consistency]`.
pub fn write_consistency(out: &mut Vec<u8>, cl: u16) {
    write_u16(out, cl);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reader(b: &[u8]) -> WireReader {
        WireReader::new(Bytes::copy_from_slice(b))
    }

    #[test]
    fn primitives_round_trip() {
        let mut out = Vec::new();
        write_u8(&mut out, 0xFE);
        write_i16(&mut out, -2);
        write_u16(&mut out, 65000);
        write_i32(&mut out, -70000);
        write_i64(&mut out, i64::MIN);
        let mut r = reader(&out);
        assert_eq!(r.read_u8().unwrap(), 0xFE);
        assert_eq!(r.read_i16().unwrap(), -2);
        assert_eq!(r.read_u16().unwrap(), 65000);
        assert_eq!(r.read_i32().unwrap(), -70000);
        assert_eq!(r.read_i64().unwrap(), i64::MIN);
        assert_eq!(r.remaining(), 0);
        assert!(matches!(r.read_u8(), Err(ProtocolError::Truncated { .. })));
    }

    #[test]
    fn string_layout_from_spec() {
        let mut out = Vec::new();
        write_string(&mut out, "ab");
        assert_eq!(out, [0, 2, b'a', b'b']);
        let mut out = Vec::new();
        write_long_string(&mut out, "ab");
        assert_eq!(out, [0, 0, 0, 2, b'a', b'b']);
        assert_eq!(reader(&[0, 0, 0, 2, b'a', b'b']).read_long_string().unwrap(), "ab");
        assert!(matches!(reader(&[0, 2, 0xC3, 0x28]).read_string(), Err(ProtocolError::InvalidUtf8 { .. })));
        assert!(matches!(
            reader(&[0xFF, 0xFF, 0xFF, 0xFF]).read_long_string(),
            Err(ProtocolError::NegativeLength { .. })
        ));
    }

    #[test]
    fn hostile_lengths_are_truncation_errors() {
        // [bytes] claiming 2 GiB with 1 byte present.
        assert!(matches!(reader(&[0x7F, 0xFF, 0xFF, 0xFF, 1]).read_bytes(), Err(ProtocolError::Truncated { .. })));
        // [string list] claiming 65535 items with none present.
        assert!(reader(&[0xFF, 0xFF]).read_string_list().is_err());
    }

    #[test]
    fn bytes_and_values() {
        let mut out = Vec::new();
        write_bytes(&mut out, None);
        write_bytes(&mut out, Some(b"xy"));
        write_value(&mut out, &Value::Unset);
        write_value(&mut out, &Value::Null);
        write_short_bytes(&mut out, b"id");
        let mut r = reader(&out);
        assert_eq!(r.read_bytes().unwrap(), None);
        assert_eq!(r.read_bytes().unwrap().unwrap(), &b"xy"[..]);
        assert_eq!(r.read_value().unwrap(), Value::Unset);
        assert_eq!(r.read_value().unwrap(), Value::Null);
        assert_eq!(r.read_short_bytes().unwrap(), &b"id"[..]);
        assert!(matches!(reader(&(-3i32).to_be_bytes()).read_value(), Err(ProtocolError::NegativeLength { .. })));
    }

    #[test]
    fn maps_and_lists() {
        let mut out = Vec::new();
        write_string_map(&mut out, &[("CQL_VERSION", "3.0.0")]);
        write_string_multimap(&mut out, &[("COMPRESSION", vec!["lz4", "snappy"])]);
        let mut r = reader(&out);
        assert_eq!(r.read_string_map().unwrap(), vec![("CQL_VERSION".to_string(), "3.0.0".to_string())]);
        assert_eq!(
            r.read_string_multimap().unwrap(),
            vec![("COMPRESSION".to_string(), vec!["lz4".to_string(), "snappy".to_string()])]
        );
    }

    #[test]
    fn inet_and_uuid() {
        let addrs: [SocketAddr; 2] = ["127.0.0.1:9042".parse().unwrap(), "[::1]:19042".parse().unwrap()];
        for a in addrs {
            let mut out = Vec::new();
            write_inet(&mut out, a);
            assert_eq!(reader(&out).read_inet().unwrap(), a);
        }
        let mut out = Vec::new();
        write_inet(&mut out, addrs[0]);
        assert_eq!(out, [4, 127, 0, 0, 1, 0, 0, 0x23, 0x52]);
        assert!(reader(&[5, 1, 2, 3, 4, 5]).read_inetaddr().is_err());
        let u = Uuid::from_u128(0x0123_4567_89ab_cdef_0123_4567_89ab_cdef);
        let mut out = Vec::new();
        write_uuid(&mut out, &u);
        assert_eq!(reader(&out).read_uuid().unwrap(), u);
    }

    #[test]
    fn consistency_range() {
        assert_eq!(reader(&[0, 0x0A]).read_consistency().unwrap(), consistency::LOCAL_ONE);
        assert!(reader(&[0, 0x0B]).read_consistency().is_err());
        assert_eq!(consistency::name(consistency::QUORUM), "QUORUM");
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut r = reader(&data);
            let _ = r.read_string_multimap();
            let mut r = reader(&data);
            let _ = r.read_bytes_map();
            let mut r = reader(&data);
            let _ = r.read_inet();
            let mut r = reader(&data);
            let _ = r.read_value();
        }

        #[test]
        fn string_round_trip(s in ".{0,40}") {
            let mut out = Vec::new();
            write_string(&mut out, &s);
            prop_assert_eq!(reader(&out).read_string().unwrap(), s);
        }
    }
}
