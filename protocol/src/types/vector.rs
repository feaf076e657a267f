//! Serialized `vector<element, n>` values, as Cassandra 5.0's `VectorType` lays them out:
//! exactly `n` elements, no count and no nulls. Elements of a fixed-size type
//! ([`CqlType::fixed_value_length`]: `float`, `int`, `bigint`, `uuid`…) are concatenated
//! as they are; elements of a variable-size type (`text`, `varint`, collections…) each
//! carry an unsigned vint length first. A `vector<float, 3>` is 12 bytes.
//!
//! Validation follows `VectorType`'s serializers and messages: an empty value is refused
//! (`Invalid empty vector value`), a short one is `Not enough bytes to read a
//! vector<float, 3>`, leftover bytes are `Unexpected 4 extraneous bytes after
//! vector<float, 3> value`, and every element is validated as its own type.

use super::cql_type::CqlType;
use super::value::CqlValue;
use super::value_error::ValueError;
use super::vint::{read_unsigned_vint, write_unsigned_vint};

impl CqlType {
    /// The size of every value of this type when it is fixed (Cassandra's
    /// `valueLengthIfFixed`): what decides whether vector elements carry a length.
    pub fn fixed_value_length(&self) -> Option<usize> {
        Some(match self {
            CqlType::Boolean | CqlType::Tinyint => 1,
            CqlType::Smallint => 2,
            CqlType::Int | CqlType::Float | CqlType::Date => 4,
            CqlType::Bigint | CqlType::Counter | CqlType::Double | CqlType::Timestamp | CqlType::Time => 8,
            CqlType::Uuid | CqlType::Timeuuid => 16,
            CqlType::Frozen(inner) => return inner.fixed_value_length(),
            CqlType::Vector(element, dimension) => {
                return element.fixed_value_length()?.checked_mul(usize::try_from(*dimension).ok()?)
            }
            _ => return None,
        })
    }
}

/// The CQL name of `vector<element, dimension>`, for messages.
fn vector_name(element: &CqlType, dimension: u32) -> String {
    CqlType::Vector(Box::new(element.clone()), dimension).cql_name()
}

/// Walks the elements of a serialized `vector<element, dimension>`: `f` decodes or
/// validates each one. `validate` passes `T = ()` to build nothing.
pub(super) fn walk_vector<'a, T>(
    element: &CqlType,
    dimension: u32,
    bytes: &'a [u8],
    mut f: impl FnMut(&CqlType, &'a [u8]) -> Result<T, ValueError>,
) -> Result<Vec<T>, ValueError> {
    if bytes.is_empty() {
        return Err(ValueError::EmptyVector);
    }
    let too_short = || ValueError::VectorTooShort { ty: vector_name(element, dimension) };
    let count = usize::try_from(dimension).map_err(|_| too_short())?;
    let fixed = element.fixed_value_length();
    if let Some(size) = fixed {
        if size.checked_mul(count).is_none_or(|total| bytes.len() < total) {
            return Err(too_short());
        }
    }
    let mut rest = bytes;
    // Every element takes at least one byte (fixed sizes are positive, vints one byte).
    let mut out = Vec::with_capacity(count.min(bytes.len()));
    for _ in 0..count {
        let size = match fixed {
            Some(size) => size,
            None => {
                if rest.is_empty() {
                    return Err(too_short());
                }
                let size = read_unsigned_vint(&mut rest).map_err(|_| too_short())?;
                usize::try_from(size).map_err(|_| too_short())?
            }
        };
        let (item, tail) = rest.split_at_checked(size).ok_or_else(too_short)?;
        out.push(f(element, item)?);
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(ValueError::VectorTrailing { extra: rest.len(), ty: vector_name(element, dimension) });
    }
    Ok(out)
}

/// The serialized elements of a `vector<element, dimension>` value, checking its layout
/// (not the elements themselves).
pub fn split_vector<'a>(element: &CqlType, dimension: u32, bytes: &'a [u8]) -> Result<Vec<&'a [u8]>, ValueError> {
    walk_vector(element, dimension, bytes, |_, item| Ok(item))
}

/// Appends one element's serialized bytes to a vector value of element type `element`: as
/// is when the type has a fixed size (which the bytes must have; none is a null element),
/// after its unsigned vint length otherwise.
pub fn push_vector_element(element: &CqlType, bytes: &[u8], out: &mut Vec<u8>) -> Result<(), ValueError> {
    match element.fixed_value_length() {
        Some(_) if bytes.is_empty() => Err(ValueError::NullInVector),
        Some(size) if size != bytes.len() => {
            Err(ValueError::VectorElementSize { ty: element.cql_name(), expected: size, actual: bytes.len() })
        }
        Some(_) => {
            out.extend_from_slice(bytes);
            Ok(())
        }
        None => {
            write_unsigned_vint(out, bytes.len() as u64);
            out.extend_from_slice(bytes);
            Ok(())
        }
    }
}

/// Whether a decoded value is of a fixed-size type (its element in a vector has no
/// length): the value-side twin of [`CqlType::fixed_value_length`].
pub(super) fn is_fixed_size_value(value: &CqlValue) -> bool {
    match value {
        CqlValue::Boolean(_)
        | CqlValue::Tinyint(_)
        | CqlValue::Smallint(_)
        | CqlValue::Int(_)
        | CqlValue::Float(_)
        | CqlValue::Date(_)
        | CqlValue::Bigint(_)
        | CqlValue::Counter(_)
        | CqlValue::Double(_)
        | CqlValue::Timestamp(_)
        | CqlValue::Time(_)
        | CqlValue::Uuid(_)
        | CqlValue::Timeuuid(_) => true,
        CqlValue::Vector(items) => items.iter().all(is_fixed_size_value),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b(t: CqlType) -> Box<CqlType> {
        Box::new(t)
    }

    fn floats(values: &[f32]) -> Vec<u8> {
        values.iter().flat_map(|v| v.to_be_bytes()).collect()
    }

    fn err(ty: &CqlType, bytes: &[u8]) -> String {
        let decoded = ty.decode(bytes).unwrap_err();
        assert_eq!(ty.validate(bytes).unwrap_err(), decoded, "validate agrees with decode");
        decoded.to_string()
    }

    #[test]
    fn fixed_lengths_follow_cassandra() {
        assert_eq!(CqlType::Float.fixed_value_length(), Some(4));
        assert_eq!(CqlType::Uuid.fixed_value_length(), Some(16));
        assert_eq!(CqlType::Text.fixed_value_length(), None);
        assert_eq!(CqlType::Inet.fixed_value_length(), None);
        assert_eq!(CqlType::Vector(b(CqlType::Double), 3).fixed_value_length(), Some(24));
        assert_eq!(CqlType::Vector(b(CqlType::Text), 3).fixed_value_length(), None);
        assert_eq!(CqlType::Vector(b(CqlType::Bigint), u32::MAX).fixed_value_length(), Some(8 * u32::MAX as usize));
    }

    #[test]
    fn float_vectors_are_the_elements_concatenated() {
        let ty = CqlType::Vector(b(CqlType::Float), 3);
        let bytes = floats(&[1.0, 2.5, -3.75]);
        assert_eq!(bytes, [0x3f, 0x80, 0, 0, 0x40, 0x20, 0, 0, 0xc0, 0x70, 0, 0]);
        let value = ty.decode(&bytes).unwrap();
        assert_eq!(value, CqlValue::Vector(vec![CqlValue::Float(1.0), CqlValue::Float(2.5), CqlValue::Float(-3.75)]));
        assert_eq!(value.to_bytes(), bytes);
        assert!(ty.validate(&bytes).is_ok());
    }

    #[test]
    fn variable_size_elements_carry_a_vint_length() {
        let ty = CqlType::Vector(b(CqlType::Text), 2);
        let bytes = [1, b'a', 0];
        let value = ty.decode(&bytes).unwrap();
        assert_eq!(value, CqlValue::Vector(vec![CqlValue::Text("a".into()), CqlValue::Text(String::new())]));
        assert_eq!(value.to_bytes(), bytes);
        let mut built = Vec::new();
        push_vector_element(&CqlType::Text, b"a", &mut built).unwrap();
        push_vector_element(&CqlType::Text, b"", &mut built).unwrap();
        assert_eq!(built, bytes);
    }

    #[test]
    fn wrong_sizes_have_cassandras_messages() {
        let ty = CqlType::Vector(b(CqlType::Float), 3);
        assert_eq!(err(&ty, &[]), "Invalid empty vector value");
        assert_eq!(err(&ty, &floats(&[1.0, 2.0])), "Not enough bytes to read a vector<float, 3>");
        assert_eq!(
            err(&ty, &floats(&[1.0, 2.0, 3.0, 4.0])),
            "Unexpected 4 extraneous bytes after vector<float, 3> value"
        );
        let text = CqlType::Vector(b(CqlType::Text), 2);
        assert_eq!(err(&text, &[1, b'a']), "Not enough bytes to read a vector<text, 2>");
        assert_eq!(err(&text, &[5, b'a', 0]), "Not enough bytes to read a vector<text, 2>");
        assert_eq!(
            err(&text, &[1, b'a', 1, b'b', 1, b'c']),
            "Unexpected 2 extraneous bytes after vector<text, 2> value"
        );
        assert_eq!(err(&text, &[0xFF, 0xFF]), "Not enough bytes to read a vector<text, 2>");
        assert_eq!(err(&text, &[1, 0xFF, 0]), "String didn't validate.");
        let huge = CqlType::Vector(b(CqlType::Int), u32::MAX);
        assert_eq!(err(&huge, &[0; 8]), format!("Not enough bytes to read a vector<int, {}>", u32::MAX));
        let timeuuids = CqlType::Vector(b(CqlType::Timeuuid), 1);
        assert_eq!(err(&timeuuids, &[0; 16]), "Invalid version for TimeUUID type.");
    }

    #[test]
    fn split_gives_the_elements() {
        let bytes = floats(&[1.0, 2.0]);
        assert_eq!(split_vector(&CqlType::Float, 2, &bytes).unwrap(), [&bytes[..4], &bytes[4..]]);
        assert_eq!(split_vector(&CqlType::Text, 2, &[1, b'a', 0]).unwrap(), [&b"a"[..], &b""[..]]);
        assert!(split_vector(&CqlType::Float, 3, &bytes).is_err());
    }

    #[test]
    fn elements_are_checked_when_built() {
        let mut out = Vec::new();
        assert_eq!(push_vector_element(&CqlType::Float, &[], &mut out), Err(ValueError::NullInVector));
        assert_eq!(
            push_vector_element(&CqlType::Float, &[0; 8], &mut out).unwrap_err().to_string(),
            "Expected 4 bytes for a float element of a vector (8)"
        );
        assert!(out.is_empty());
    }

    #[test]
    fn nested_vectors_and_collections() {
        let inner = CqlType::Vector(b(CqlType::Int), 2);
        let ty = CqlType::Vector(b(inner), 2);
        let bytes: Vec<u8> = [1i32, 2, 3, 4].iter().flat_map(|v| v.to_be_bytes()).collect();
        let value = ty.decode(&bytes).unwrap();
        assert_eq!(value.to_bytes(), bytes);
        let lists = CqlType::Vector(b(CqlType::Frozen(b(CqlType::List(b(CqlType::Int))))), 1);
        let list = CqlValue::List(vec![CqlValue::Int(7)]).to_bytes();
        let mut bytes = vec![list.len() as u8];
        bytes.extend_from_slice(&list);
        assert_eq!(lists.decode(&bytes).unwrap().to_bytes(), bytes);
    }
}
