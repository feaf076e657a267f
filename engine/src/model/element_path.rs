//! Paths of the cells of non-frozen collections and user types: where each element or
//! field sits in its column.
//!
//! A path is a byte string whose unsigned order is the collection's element order, so a
//! row keeps a column's elements sorted by plain byte comparison, like clustering keys.
//! * **Set and map elements**: the element (set) or key (map) in its order-preserving
//!   encoding ([`encode_component`]), then its serialized bytes, then their length as a
//!   big-endian `u32` — the encoding orders, the bytes give the value back
//!   ([`element_of`]). Equal elements have equal paths, so writing one twice is one cell.
//! * **List elements**: a 16-byte position, `i64` order key ‖ `u64` writer id. Appends
//!   take increasing positions from the wall clock (nanoseconds), prepends decreasing
//!   negative ones, so `[x] + l` sorts before and `l + [x]` after everything written
//!   earlier, and two writers never collide (each thread has its own random id).
//! * **Fields of a non-frozen user type**: the field's position in the type as a big-endian
//!   `u16` (fields are only ever added at the end, so a position never changes meaning).

use std::cell::Cell as StdCell;

use bytes::Bytes;
use percore_protocol::types::CqlType;

use super::clustering::{encode_component, ClusteringOrder};

/// Bytes of the trailing element length in a set/map path.
const ELEMENT_LEN_BYTES: usize = 4;
/// Bytes of a list element path.
pub const LIST_PATH_BYTES: usize = 16;

/// The path of a set element or map key with serialized bytes `raw`.
pub fn element_path(ty: &CqlType, raw: &[u8]) -> Bytes {
    let mut out = Vec::with_capacity(raw.len() * 2 + 8);
    encode_component(ty, raw, ClusteringOrder::Asc, &mut out);
    out.extend_from_slice(raw);
    out.extend_from_slice(&(raw.len() as u32).to_be_bytes());
    Bytes::from(out)
}

/// The serialized element (set) or key (map) a path was made from; `None` if the path is
/// malformed (never for paths made by [`element_path`]).
pub fn element_of(path: &[u8]) -> Option<&[u8]> {
    let len_at = path.len().checked_sub(ELEMENT_LEN_BYTES)?;
    let len = u32::from_be_bytes(path[len_at..].try_into().ok()?) as usize;
    let start = len_at.checked_sub(len)?;
    Some(&path[start..len_at])
}

/// The path of the field at `index` of a non-frozen user type.
pub fn field_path(index: u16) -> Bytes {
    Bytes::copy_from_slice(&index.to_be_bytes())
}

/// The field position a path was made from; `None` if it is not a field path.
pub fn field_of(path: &[u8]) -> Option<u16> {
    Some(u16::from_be_bytes(path.try_into().ok()?))
}

thread_local! {
    /// The last append position this thread handed out.
    static LAST_APPEND: StdCell<i64> = const { StdCell::new(0) };
    /// The last (lowest) prepend position this thread handed out.
    static LAST_PREPEND: StdCell<i64> = const { StdCell::new(0) };
    /// This thread's writer id, the tie-breaker between threads.
    static WRITER_ID: u64 = u64::from_be_bytes(uuid::Uuid::new_v4().as_bytes()[..8].try_into().unwrap_or([1; 8]));
}

fn now_nanos() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX / 2))
}

fn list_path(position: i64) -> Bytes {
    let mut out = Vec::with_capacity(LIST_PATH_BYTES);
    out.extend_from_slice(&((position as u64) ^ (1 << 63)).to_be_bytes());
    out.extend_from_slice(&WRITER_ID.with(|id| *id).to_be_bytes());
    Bytes::from(out)
}

/// Paths for `n` elements appended (`l = l + [...]`), after every earlier element.
pub fn append_paths(n: usize) -> Vec<Bytes> {
    let first = LAST_APPEND.with(|last| {
        let first = now_nanos().max(last.get() + 1);
        last.set(first + n as i64 - 1);
        first
    });
    (0..n as i64).map(|i| list_path(first + i)).collect()
}

/// Paths for `n` elements prepended (`l = [...] + l`), before every earlier element, in
/// the order given.
pub fn prepend_paths(n: usize) -> Vec<Bytes> {
    let first = LAST_PREPEND.with(|last| {
        let first = (-now_nanos()).min(last.get()) - n as i64;
        last.set(first);
        first
    });
    (0..n as i64).map(|i| list_path(first + i)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_paths_order_like_the_type_and_give_the_element_back() {
        let ints: Vec<Bytes> =
            [5i32, -3, 100, 0].iter().map(|v| element_path(&CqlType::Int, &v.to_be_bytes())).collect();
        let mut sorted = ints.clone();
        sorted.sort();
        let values: Vec<i32> =
            sorted.iter().map(|p| i32::from_be_bytes(element_of(p).unwrap().try_into().unwrap())).collect();
        assert_eq!(values, vec![-3, 0, 5, 100]);
        let a = element_path(&CqlType::Text, b"ab");
        let b = element_path(&CqlType::Text, b"b");
        assert!(a < b);
        assert_eq!(element_of(&element_path(&CqlType::Text, b"")).unwrap(), b"");
        assert_eq!(element_of(b"\x00\x01"), None);
    }

    #[test]
    fn field_paths_order_like_the_fields() {
        assert!(field_path(1) < field_path(2) && field_path(255) < field_path(256));
        assert_eq!(field_of(&field_path(300)), Some(300));
        assert_eq!(field_of(b"abc"), None);
    }

    #[test]
    fn appends_follow_and_prepends_precede_earlier_elements() {
        let first = append_paths(2);
        let later = append_paths(1);
        assert!(first[0] < first[1] && first[1] < later[0]);
        let pre = prepend_paths(2);
        let pre_later = prepend_paths(1);
        assert!(pre[0] < pre[1] && pre[1] < first[0]);
        assert!(pre_later[0] < pre[0]);
        assert!(first.iter().all(|p| p.len() == LIST_PATH_BYTES));
    }
}
