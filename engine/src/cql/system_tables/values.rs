//! Serializing the values virtual tables show.

use std::collections::BTreeMap;
use std::net::IpAddr;

use bytes::Bytes;

pub fn text(s: &str) -> Option<Bytes> {
    Some(Bytes::copy_from_slice(s.as_bytes()))
}

pub fn int(v: i32) -> Option<Bytes> {
    Some(Bytes::copy_from_slice(&v.to_be_bytes()))
}

/// A `timestamp` (milliseconds since the epoch).
pub fn timestamp_millis(v: i64) -> Option<Bytes> {
    Some(Bytes::copy_from_slice(&v.to_be_bytes()))
}

pub fn double(v: f64) -> Option<Bytes> {
    Some(Bytes::copy_from_slice(&v.to_be_bytes()))
}

pub fn boolean(v: bool) -> Option<Bytes> {
    Some(Bytes::copy_from_slice(&[v as u8]))
}

pub fn uuid(v: uuid::Uuid) -> Option<Bytes> {
    Some(Bytes::copy_from_slice(v.as_bytes()))
}

pub fn inet(v: IpAddr) -> Option<Bytes> {
    Some(match v {
        IpAddr::V4(a) => Bytes::copy_from_slice(&a.octets()),
        IpAddr::V6(a) => Bytes::copy_from_slice(&a.octets()),
    })
}

fn put(out: &mut Vec<u8>, item: &[u8]) {
    out.extend((item.len() as i32).to_be_bytes());
    out.extend_from_slice(item);
}

/// `map<text, text>` (keys already sorted: a BTreeMap).
pub fn text_map(map: &BTreeMap<String, String>) -> Option<Bytes> {
    let mut out = (map.len() as i32).to_be_bytes().to_vec();
    for (k, v) in map {
        put(&mut out, k.as_bytes());
        put(&mut out, v.as_bytes());
    }
    Some(Bytes::from(out))
}

/// `set<text>` or `list<text>` (a set's items must come sorted and unique).
pub fn text_collection<S: AsRef<str>>(items: &[S]) -> Option<Bytes> {
    let mut out = (items.len() as i32).to_be_bytes().to_vec();
    for item in items {
        put(&mut out, item.as_ref().as_bytes());
    }
    Some(Bytes::from(out))
}
