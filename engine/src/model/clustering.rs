//! Byte-comparable clustering keys. A row's clustering values are encoded into one byte
//! string whose unsigned lexicographic order is the table's clustering order (each
//! component ordered like Cassandra's comparator for its type, descending components
//! inverted). Memtables (and later SSTables) then order rows by plain byte comparison, and
//! a clustering prefix is a byte prefix.
//!
//! Every component encoding is prefix-free and starts with a presence byte (`0x00` for the
//! empty value, which Cassandra sorts first; `0x01` otherwise), so concatenations compare
//! component by component, and inverting a component's bytes reverses its order.

use percore_protocol::types::literal::{decimal_order_key, varint_order_key};
use percore_protocol::types::{split_vector, CqlType};

const EMPTY_VALUE: u8 = 0x00;
const PRESENT_VALUE: u8 = 0x01;
const ESCAPED_ZERO: [u8; 2] = [0x00, 0xff];
/// Ends an escaped value; `00 00` never occurs inside one, so encodings are prefix-free
/// (and stay so when inverted for descending order).
const TERMINATOR: [u8; 2] = [0x00, 0x00];
/// Tuple and user type components: the end of the list sorts first, then a null, then a
/// value.
const COMPONENTS_END: u8 = 0x00;
const COMPONENT_NULL: u8 = 0x01;
const COMPONENT_PRESENT: u8 = 0x02;

/// Order of one clustering column, as declared by `CLUSTERING ORDER BY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ClusteringOrder {
    #[default]
    Asc,
    Desc,
}

/// The order-preserving key of one value in ascending order: comparing two keys compares
/// the values as Cassandra's comparator for `ty` does.
pub fn order_key(ty: &CqlType, value: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(value.len() + 2);
    encode_component(ty, value, ClusteringOrder::Asc, &mut key);
    key
}

/// Appends the order-preserving encoding of one clustering value (its serialized CQL bytes).
pub fn encode_component(ty: &CqlType, value: &[u8], order: ClusteringOrder, out: &mut Vec<u8>) {
    let start = out.len();
    if value.is_empty() {
        out.push(EMPTY_VALUE);
    } else {
        out.push(PRESENT_VALUE);
        encode_present(ty, value, out);
    }
    if order == ClusteringOrder::Desc {
        for b in &mut out[start..] {
            *b = !*b;
        }
    }
}

fn encode_present(ty: &CqlType, value: &[u8], out: &mut Vec<u8>) {
    match ty {
        CqlType::Int
        | CqlType::Bigint
        | CqlType::Smallint
        | CqlType::Tinyint
        | CqlType::Timestamp
        | CqlType::Time
        | CqlType::Counter => encode_signed(value, out),
        CqlType::Boolean | CqlType::Date => out.extend_from_slice(value),
        CqlType::Float | CqlType::Double => encode_float(value, out),
        CqlType::Varint => varint_order_key(value, out),
        CqlType::Decimal => encode_decimal(value, out),
        CqlType::Uuid => encode_uuid(value, out),
        CqlType::Timeuuid => encode_timeuuid(value, out),
        CqlType::Frozen(inner) => encode_present(inner, value, out),
        CqlType::Tuple(types) => encode_components(types.iter(), value, out),
        CqlType::Udt(udt) => encode_components(udt.fields.iter().map(|(_, t)| t), value, out),
        CqlType::Vector(element, dimension) => encode_vector(element, *dimension, value, out),
        // Text, ascii, blob and inet compare as unsigned bytes in Cassandra. Frozen
        // collections are ordered by their serialized bytes for now.
        _ => encode_escaped(value, out),
    }
}

/// Tuples and user types compare component by component, as Cassandra's `TupleType`: a null
/// before any value, and missing trailing components equal to nulls (a value written before
/// `ALTER TYPE ... ADD` equals the same value with the new field null). Each component is
/// [`COMPONENT_NULL`] or [`COMPONENT_PRESENT`] and its encoding; trailing nulls are left out
/// and [`COMPONENTS_END`] closes the list. A malformed value falls back to its raw bytes.
fn encode_components<'a>(types: impl Iterator<Item = &'a CqlType>, value: &[u8], out: &mut Vec<u8>) {
    let Some(components) = split_components(value) else { return encode_escaped(value, out) };
    let last_present = components.iter().rposition(Option::is_some).map_or(0, |i| i + 1);
    let mut types = types;
    for component in &components[..last_present] {
        let Some(ty) = types.next() else { break };
        match component {
            Some(bytes) => {
                out.push(COMPONENT_PRESENT);
                encode_component(ty, bytes, ClusteringOrder::Asc, out);
            }
            None => out.push(COMPONENT_NULL),
        }
    }
    out.push(COMPONENTS_END);
}

/// Vectors compare element by element (Cassandra's `VectorType.compareCustom`). Their
/// elements are all there, so the element encodings (each prefix-free, with its presence
/// byte) are simply concatenated. A malformed value falls back to its raw bytes.
fn encode_vector(element: &CqlType, dimension: u32, value: &[u8], out: &mut Vec<u8>) {
    let Ok(elements) = split_vector(element, dimension, value) else { return encode_escaped(value, out) };
    for bytes in elements {
        encode_component(element, bytes, ClusteringOrder::Asc, out);
    }
}

/// The `[bytes]` components of a tuple or user type value (`None`: null).
fn split_components(value: &[u8]) -> Option<Vec<Option<&[u8]>>> {
    let mut components = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        let (len, tail) = rest.split_first_chunk::<4>()?;
        let len = i32::from_be_bytes(*len);
        if len < 0 {
            components.push(None);
            rest = tail;
            continue;
        }
        let (bytes, tail) = tail.split_at_checked(len as usize)?;
        components.push(Some(bytes));
        rest = tail;
    }
    Some(components)
}

/// Two's complement big-endian with the sign bit flipped orders like the signed integer.
fn encode_signed(value: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(value);
    out[start] ^= 0x80;
}

/// IEEE-754 total order as Java's `Float.compare`/`Double.compare`: -0.0 < 0.0, NaN last.
fn encode_float(value: &[u8], out: &mut Vec<u8>) {
    let negative = value[0] & 0x80 != 0;
    for (i, &b) in value.iter().enumerate() {
        out.push(if negative {
            !b
        } else if i == 0 {
            b ^ 0x80
        } else {
            b
        });
    }
}

fn encode_decimal(value: &[u8], out: &mut Vec<u8>) {
    if value.len() < 4 {
        return encode_escaped(value, out);
    }
    let (scale, unscaled) = value.split_at(4);
    let scale = i32::from_be_bytes([scale[0], scale[1], scale[2], scale[3]]);
    decimal_order_key(scale, unscaled, out);
}

/// Cassandra's UUIDType: version first, then for time-based UUIDs the timestamp, then the
/// raw bytes.
fn encode_uuid(value: &[u8], out: &mut Vec<u8>) {
    if value.len() != 16 {
        return encode_escaped(value, out);
    }
    let version = value[6] >> 4;
    out.push(version);
    if version == 1 {
        encode_timeuuid(value, out);
    } else {
        out.extend_from_slice(value);
    }
}

/// TimeUUIDType: the 60-bit timestamp (time_hi, time_mid, time_low), then the clock sequence
/// and node compared as signed bytes.
fn encode_timeuuid(value: &[u8], out: &mut Vec<u8>) {
    if value.len() != 16 {
        return encode_escaped(value, out);
    }
    out.push(value[6] & 0x0f);
    out.push(value[7]);
    out.extend_from_slice(&value[4..6]);
    out.extend_from_slice(&value[0..4]);
    out.extend(value[8..].iter().map(|b| b ^ 0x80));
}

fn encode_escaped(value: &[u8], out: &mut Vec<u8>) {
    for &b in value {
        if b == 0 {
            out.extend_from_slice(&ESCAPED_ZERO);
        } else {
            out.push(b);
        }
    }
    out.extend_from_slice(&TERMINATOR);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(ty: &CqlType, v: &[u8], order: ClusteringOrder) -> Vec<u8> {
        let mut out = Vec::new();
        encode_component(ty, v, order, &mut out);
        out
    }

    fn assert_sorted(ty: CqlType, values: &[Vec<u8>]) {
        for order in [ClusteringOrder::Asc, ClusteringOrder::Desc] {
            let keys: Vec<_> = values.iter().map(|v| key(&ty, v, order)).collect();
            for w in keys.windows(2) {
                match order {
                    ClusteringOrder::Asc => assert!(w[0] < w[1], "{ty:?} {order:?}"),
                    ClusteringOrder::Desc => assert!(w[0] > w[1], "{ty:?} {order:?}"),
                }
            }
        }
    }

    #[test]
    fn ints_order_like_signed_integers() {
        let v: Vec<_> = [i32::MIN, -5, -1, 0, 1, 7, i32::MAX].iter().map(|i| i.to_be_bytes().to_vec()).collect();
        let mut with_empty = vec![vec![]];
        with_empty.extend(v);
        assert_sorted(CqlType::Int, &with_empty);
    }

    #[test]
    fn doubles_order_like_java_compare() {
        let v: Vec<_> = [f64::NEG_INFINITY, -2.5, -0.0, 0.0, 1e-300, 3.0, f64::INFINITY, f64::NAN]
            .iter()
            .map(|f| f.to_be_bytes().to_vec())
            .collect();
        assert_sorted(CqlType::Double, &v);
    }

    #[test]
    fn text_orders_bytewise_and_prefix_first() {
        let v: Vec<Vec<u8>> = vec![b"".to_vec(), b"a".to_vec(), b"a\0".to_vec(), b"ab".to_vec(), b"b".to_vec()];
        assert_sorted(CqlType::Text, &v);
    }

    #[test]
    fn components_concatenate_in_order() {
        let mut a = Vec::new();
        encode_component(&CqlType::Text, b"a", ClusteringOrder::Asc, &mut a);
        encode_component(&CqlType::Int, &9i32.to_be_bytes(), ClusteringOrder::Desc, &mut a);
        let mut b = Vec::new();
        encode_component(&CqlType::Text, b"a", ClusteringOrder::Asc, &mut b);
        encode_component(&CqlType::Int, &3i32.to_be_bytes(), ClusteringOrder::Desc, &mut b);
        let mut c = Vec::new();
        encode_component(&CqlType::Text, b"ab", ClusteringOrder::Asc, &mut c);
        encode_component(&CqlType::Int, &100i32.to_be_bytes(), ClusteringOrder::Desc, &mut c);
        assert!(a < b && b < c);
    }

    fn tuple(items: &[Option<i32>]) -> Vec<u8> {
        let mut out = Vec::new();
        for item in items {
            match item {
                Some(v) => {
                    out.extend(4i32.to_be_bytes());
                    out.extend(v.to_be_bytes());
                }
                None => out.extend((-1i32).to_be_bytes()),
            }
        }
        out
    }

    #[test]
    fn tuples_order_component_by_component() {
        let ty = CqlType::Tuple(vec![CqlType::Int, CqlType::Int, CqlType::Int]);
        let values = [
            tuple(&[Some(-1), Some(5)]),
            tuple(&[Some(1)]),
            tuple(&[Some(1), None, Some(0)]),
            tuple(&[Some(1), Some(-3)]),
            tuple(&[Some(1), Some(2), Some(0)]),
            tuple(&[Some(2)]),
        ];
        assert_sorted(ty.clone(), &values);
        // Missing trailing components equal nulls.
        let short = key(&ty, &tuple(&[Some(1)]), ClusteringOrder::Asc);
        assert_eq!(short, key(&ty, &tuple(&[Some(1), None, None]), ClusteringOrder::Asc));
    }

    #[test]
    fn vectors_order_element_by_element() {
        let floats = |v: &[f32]| v.iter().flat_map(|f| f.to_be_bytes()).collect::<Vec<u8>>();
        let ty = CqlType::Vector(Box::new(CqlType::Float), 2);
        let values = [floats(&[-2.0, 9.0]), floats(&[-1.0, -5.0]), floats(&[-1.0, 0.5]), floats(&[0.0, -1.0])];
        assert_sorted(ty, &values);
        let texts = |v: &[&str]| {
            let mut out = Vec::new();
            for t in v {
                out.push(t.len() as u8);
                out.extend_from_slice(t.as_bytes());
            }
            out
        };
        let ty = CqlType::Vector(Box::new(CqlType::Text), 2);
        assert_sorted(ty, &[texts(&["", "z"]), texts(&["a", ""]), texts(&["a", "b"]), texts(&["ab", ""])]);
    }

    #[test]
    fn timeuuids_order_by_time() {
        let early = uuid::Uuid::parse_str("00000001-0000-1000-8000-000000000000").unwrap();
        let late = uuid::Uuid::parse_str("00000000-0001-1000-8000-000000000000").unwrap();
        assert_sorted(CqlType::Timeuuid, &[early.as_bytes().to_vec(), late.as_bytes().to_vec()]);
    }
}
