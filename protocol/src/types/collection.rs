//! Walking serialized collections, tuples and UDTs (spec §6.11–6.13, §6.20, §7).
//!
//! Lists and sets are `[int] n` then n `[bytes]` elements; maps are `[int] n` then n
//! key/value `[bytes]` pairs; nulls are refused inside all three. Tuples and UDTs are a
//! sequence of `[bytes]` (negative length = null), possibly fewer than the type has.
//! The walkers take the element decoder as a closure so that `decode` (building values)
//! and `validate` (building nothing: `T = ()`) share one implementation.

use super::cql_type::CqlType;
use super::value_error::ValueError;

/// Bytes of an `[int]` count or length prefix.
const INT_BYTES: usize = 4;

fn read_i32(buf: &mut &[u8]) -> Option<i32> {
    let (head, rest) = buf.split_first_chunk::<INT_BYTES>()?;
    *buf = rest;
    Some(i32::from_be_bytes(*head))
}

fn read_count(buf: &mut &[u8], what: &'static str) -> Result<usize, ValueError> {
    let n = read_i32(buf).ok_or_else(|| ValueError::not_enough(format!("a {what}")))?;
    usize::try_from(n).map_err(|_| ValueError::NegativeCount { what, count: n })
}

/// Reads one `[bytes]` element; `Ok(None)` is a null (negative length).
fn read_element<'a>(buf: &mut &'a [u8], what: impl Fn() -> String) -> Result<Option<&'a [u8]>, ValueError> {
    let len = read_i32(buf).ok_or_else(|| ValueError::not_enough(what()))?;
    let Ok(len) = usize::try_from(len) else {
        return Ok(None);
    };
    let (elem, rest) = buf.split_at_checked(len).ok_or_else(|| ValueError::not_enough(what()))?;
    *buf = rest;
    Ok(Some(elem))
}

fn non_null<'a>(buf: &mut &'a [u8], what: &'static str) -> Result<&'a [u8], ValueError> {
    read_element(buf, || format!("a {what}"))?.ok_or(ValueError::NullInCollection)
}

/// A safe capacity for `n` elements when each takes at least `min_bytes`.
fn capacity(n: usize, remaining: usize, min_bytes: usize) -> usize {
    n.min(remaining / min_bytes)
}

/// Walks a list or set (`what` = "list" / "set").
pub(super) fn walk_list<T>(
    elem: &CqlType,
    bytes: &[u8],
    what: &'static str,
    mut f: impl FnMut(&CqlType, &[u8]) -> Result<T, ValueError>,
) -> Result<Vec<T>, ValueError> {
    let mut buf = bytes;
    let n = read_count(&mut buf, what)?;
    let mut out = Vec::with_capacity(capacity(n, buf.len(), INT_BYTES));
    for _ in 0..n {
        out.push(f(elem, non_null(&mut buf, what)?)?);
    }
    if !buf.is_empty() {
        return Err(ValueError::TrailingBytes { what });
    }
    Ok(out)
}

/// Walks a map.
pub(super) fn walk_map<T>(
    key: &CqlType,
    value: &CqlType,
    bytes: &[u8],
    mut f: impl FnMut(&CqlType, &[u8]) -> Result<T, ValueError>,
) -> Result<Vec<(T, T)>, ValueError> {
    const WHAT: &str = "map";
    let mut buf = bytes;
    let n = read_count(&mut buf, WHAT)?;
    let mut out = Vec::with_capacity(capacity(n, buf.len(), 2 * INT_BYTES));
    for _ in 0..n {
        let k = f(key, non_null(&mut buf, WHAT)?)?;
        let v = f(value, non_null(&mut buf, WHAT)?)?;
        out.push((k, v));
    }
    if !buf.is_empty() {
        return Err(ValueError::TrailingBytes { what: WHAT });
    }
    Ok(out)
}

/// Walks the components of a tuple or the fields of a UDT. Stops early when the bytes
/// end (a value may carry fewer components than its type); bytes left after the last
/// component are an error.
pub(super) fn walk_components<'t, T>(
    types: impl ExactSizeIterator<Item = &'t CqlType>,
    bytes: &[u8],
    what: &'static str,
    mut f: impl FnMut(&CqlType, &[u8]) -> Result<T, ValueError>,
) -> Result<Vec<Option<T>>, ValueError> {
    let mut buf = bytes;
    let declared = types.len();
    let mut out = Vec::with_capacity(capacity(declared, buf.len(), INT_BYTES));
    for (i, ty) in types.enumerate() {
        if buf.is_empty() {
            break;
        }
        let elem = read_element(&mut buf, || format!("{i}th component of a {what}"))?;
        out.push(elem.map(|e| f(ty, e)).transpose()?);
    }
    if !buf.is_empty() {
        return Err(if what == "UDT" {
            ValueError::TooManyFields { fields: declared }
        } else {
            ValueError::TrailingBytes { what }
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lens(ty: &CqlType, b: &[u8]) -> Result<usize, ValueError> {
        let _ = ty;
        Ok(b.len())
    }

    #[test]
    fn list_walk() {
        let bytes = [0, 0, 0, 2, 0, 0, 0, 1, 9, 0, 0, 0, 0];
        assert_eq!(walk_list(&CqlType::Int, &bytes, "list", lens).unwrap(), [1, 0]);
        let null = [0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFF];
        assert_eq!(walk_list(&CqlType::Int, &null, "list", lens), Err(ValueError::NullInCollection));
        let hostile = [0x7F, 0xFF, 0xFF, 0xFF];
        assert!(walk_list(&CqlType::Int, &hostile, "set", lens).is_err());
        let negative = [0xFF, 0xFF, 0xFF, 0xFE];
        assert!(matches!(walk_list(&CqlType::Int, &negative, "set", lens), Err(ValueError::NegativeCount { .. })));
        assert!(walk_list(&CqlType::Int, &[0, 0, 0, 0, 1], "list", lens).is_err());
    }

    #[test]
    fn components_may_be_short_but_not_long() {
        let types = [CqlType::Int, CqlType::Int];
        let one = [0, 0, 0, 1, 5];
        assert_eq!(walk_components(types.iter(), &one, "tuple", lens).unwrap(), [Some(1)]);
        let null = [0xFF, 0xFF, 0xFF, 0xFF];
        assert_eq!(walk_components(types.iter(), &null, "tuple", lens).unwrap(), [None]);
        let three = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        assert!(walk_components(types.iter(), &three, "tuple", lens).is_err());
        assert!(walk_components(types.iter(), &[0, 0], "UDT", lens).is_err());
    }
}
