//! Cassandra's JSON forms to serialized CQL values (`fromJson()`, `INSERT JSON`), following
//! each type's `fromJSONObject`: which JSON kinds a type takes, how numbers and strings are
//! read, and the `MarshalException` messages.
//!
//! Collections are serialized as given (`[int] n` then `[bytes]` elements): sets are neither
//! sorted nor deduplicated, nor maps sorted by key; that is the caller's job.

use std::borrow::Cow;
use std::collections::HashSet;

use super::value::{java_parse_double, java_parse_float, JsonValue};
use super::JsonError;
use crate::types::literal::{
    parse_blob_hex, parse_date, parse_decimal, parse_duration, parse_inet, parse_time, parse_timestamp, parse_uuid,
    parse_varint,
};
use crate::types::{push_vector_element, CqlType, CqlValue, UdtType, ValueError, MAX_TYPE_NESTING_DEPTH};

/// The UUID version a `timeuuid` must have (time-based).
const TIMEUUID_VERSION: usize = 1;

/// `fromJson(json)` for a receiver of type `ty`: the serialized value, `None` for `null`.
pub fn json_to_value(ty: &CqlType, json: &str) -> Result<Option<Vec<u8>>, JsonError> {
    let value = JsonValue::parse(json).map_err(|reason| JsonError::Syntax { json: json.to_string(), reason })?;
    json_value_to_bytes(ty, &value)
}

/// `INSERT JSON`: the members of the top-level object as (column name, value) pairs, in
/// document order. Names follow [`json_key_to_column_name`]; two keys naming the same
/// column are an error. Values stay unconverted (`JsonValue::Null` included, which the
/// caller treats as an explicit null) until the caller knows the column types and calls
/// [`json_value_to_bytes`]; unknown columns are the caller's to report
/// (`JSON values map contains unrecognized column: <name>`).
pub fn json_object_to_columns(json: &str) -> Result<Vec<(String, JsonValue)>, JsonError> {
    let not_a_map = |reason: String| JsonError::NotAMap { json: json.to_string(), reason };
    let members = match JsonValue::parse(json).map_err(not_a_map)? {
        JsonValue::Object(members) => members,
        JsonValue::Null => return Err(JsonError::NullMap),
        other => return Err(not_a_map(format!("expected a JSON object, but got a {}", other.java_class()))),
    };
    let mut seen = HashSet::with_capacity(members.len());
    let mut out = Vec::with_capacity(members.len());
    for (key, value) in members {
        let name = json_key_to_column_name(&key);
        if !seen.insert(name.clone()) {
            return Err(JsonError::DuplicateColumn(name));
        }
        out.push((name, value));
    }
    Ok(out)
}

/// Cassandra's reading of a JSON key as a column or UDT field name: a key wrapped in double
/// quotes (`"\"MyCol\""`) names `MyCol` exactly; any other key is lower-cased.
pub fn json_key_to_column_name(key: &str) -> String {
    match key.strip_prefix('"').and_then(|k| k.strip_suffix('"')) {
        Some(quoted) => quoted.to_string(),
        None => key.to_lowercase(),
    }
}

/// Converts a parsed JSON value for type `ty`: `None` for `null`, else the serialized value.
pub fn json_value_to_bytes(ty: &CqlType, value: &JsonValue) -> Result<Option<Vec<u8>>, JsonError> {
    if *value == JsonValue::Null {
        return Ok(None);
    }
    let mut out = Vec::new();
    write_value(ty, value, 0, &mut out)?;
    Ok(Some(out))
}

fn write_value(ty: &CqlType, v: &JsonValue, depth: usize, out: &mut Vec<u8>) -> Result<(), JsonError> {
    if depth >= MAX_TYPE_NESTING_DEPTH {
        return Err(ValueError::TooDeep { max: MAX_TYPE_NESTING_DEPTH }.into());
    }
    let child = depth + 1;
    match ty {
        CqlType::Frozen(inner) => write_value(inner, v, child, out),
        CqlType::List(e) => write_list(e, v, "list", "a list", child, out),
        CqlType::Set(e) => write_list(e, v, "set", "a list (representing a set)", child, out),
        CqlType::Map(k, val) => write_map(k, val, v, child, out),
        CqlType::Tuple(types) => write_tuple(types, v, child, out),
        CqlType::Udt(udt) => write_udt(udt, v, child, out),
        CqlType::Vector(e, dimension) => write_vector(e, *dimension, v, child, out),
        _ => write_scalar(ty, v, out),
    }
}

/// Collections, tuples and UDTs also take a string holding their JSON.
fn structured(v: &JsonValue) -> Result<Cow<'_, JsonValue>, JsonError> {
    match v {
        JsonValue::String(s) => JsonValue::parse(s).map(Cow::Owned).map_err(JsonError::NestedSyntax),
        other => Ok(Cow::Borrowed(other)),
    }
}

fn wrong_kind(expected: &'static str, v: &JsonValue) -> JsonError {
    JsonError::WrongKind { expected, class: v.java_class(), value: v.java_string() }
}

fn write_list(
    elem: &CqlType,
    v: &JsonValue,
    what: &'static str,
    expected: &'static str,
    depth: usize,
    out: &mut Vec<u8>,
) -> Result<(), JsonError> {
    let v = structured(v)?;
    let JsonValue::Array(items) = v.as_ref() else {
        return Err(wrong_kind(expected, &v));
    };
    write_i32(out, items.len())?;
    for item in items {
        if *item == JsonValue::Null {
            return Err(JsonError::NullElement { what });
        }
        write_element(out, |out| write_value(elem, item, depth, out))?;
    }
    Ok(())
}

/// `VectorType.fromJSONObject`: an array of exactly `dimension` non-null elements.
fn write_vector(
    elem: &CqlType,
    dimension: u32,
    v: &JsonValue,
    depth: usize,
    out: &mut Vec<u8>,
) -> Result<(), JsonError> {
    let v = structured(v)?;
    let JsonValue::Array(items) = v.as_ref() else {
        return Err(wrong_kind("a list", &v));
    };
    if usize::try_from(dimension).ok() != Some(items.len()) {
        return Err(JsonError::VectorSize { expected: dimension, given: items.len(), value: v.java_string() });
    }
    let mut element = Vec::new();
    for item in items {
        if *item == JsonValue::Null {
            return Err(JsonError::NullElement { what: "list" });
        }
        element.clear();
        write_value(elem, item, depth, &mut element)?;
        push_vector_element(elem, &element, out)?;
    }
    Ok(())
}

fn write_map(key: &CqlType, value: &CqlType, v: &JsonValue, depth: usize, out: &mut Vec<u8>) -> Result<(), JsonError> {
    let v = structured(v)?;
    let JsonValue::Object(members) = v.as_ref() else {
        return Err(wrong_kind("a map", &v));
    };
    write_i32(out, members.len())?;
    for (k, val) in members {
        if *val == JsonValue::Null {
            return Err(JsonError::NullMapValue);
        }
        // JSON keys are strings; each key type reads its own string form.
        let k = JsonValue::String(k.clone());
        write_element(out, |out| write_value(key, &k, depth, out))?;
        write_element(out, |out| write_value(value, val, depth, out))?;
    }
    Ok(())
}

fn write_tuple(types: &[CqlType], v: &JsonValue, depth: usize, out: &mut Vec<u8>) -> Result<(), JsonError> {
    let v = structured(v)?;
    let JsonValue::Array(items) = v.as_ref() else {
        return Err(wrong_kind("a list representation of a tuple", &v));
    };
    let expected = types.len();
    if items.len() > expected {
        return Err(JsonError::TupleTooLong { expected, value: v.java_string() });
    }
    if items.len() < expected {
        return Err(JsonError::TupleTooShort { expected, value: v.java_string() });
    }
    for (t, item) in types.iter().zip(items) {
        write_nullable(t, Some(item), depth, out)?;
    }
    Ok(())
}

fn write_udt(udt: &UdtType, v: &JsonValue, depth: usize, out: &mut Vec<u8>) -> Result<(), JsonError> {
    let v = structured(v)?;
    let JsonValue::Object(members) = v.as_ref() else {
        return Err(wrong_kind("a map", &v));
    };
    let named: Vec<(String, &JsonValue)> = members.iter().map(|(k, val)| (json_key_to_column_name(k), val)).collect();
    for (field, t) in &udt.fields {
        // Like Jackson's map, the last of several keys for one field wins.
        let value = named.iter().rev().find(|(n, _)| n == field).map(|(_, val)| *val);
        write_nullable(t, value, depth, out)?;
    }
    if let Some((unknown, _)) = named.iter().find(|(n, _)| !udt.fields.iter().any(|(f, _)| f == n)) {
        return Err(JsonError::UnknownField { field: unknown.clone(), udt: udt.name.clone() });
    }
    Ok(())
}

/// A tuple component or UDT field: `null` (or absent) is a null `[bytes]`.
fn write_nullable(ty: &CqlType, v: Option<&JsonValue>, depth: usize, out: &mut Vec<u8>) -> Result<(), JsonError> {
    match v {
        None | Some(JsonValue::Null) => {
            out.extend_from_slice(&(-1i32).to_be_bytes());
            Ok(())
        }
        Some(v) => write_element(out, |out| write_value(ty, v, depth, out)),
    }
}

/// Writes a `[bytes]` element: reserves the length, writes the value, patches the length.
fn write_element(
    out: &mut Vec<u8>,
    write: impl FnOnce(&mut Vec<u8>) -> Result<(), JsonError>,
) -> Result<(), JsonError> {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    write(out)?;
    let len = i32::try_from(out.len() - at - 4).map_err(|_| JsonError::TooLarge)?;
    if let Some(slot) = out.get_mut(at..at + 4) {
        slot.copy_from_slice(&len.to_be_bytes());
    }
    Ok(())
}

fn write_i32(out: &mut Vec<u8>, n: usize) -> Result<(), JsonError> {
    let n = i32::try_from(n).map_err(|_| JsonError::TooLarge)?;
    out.extend_from_slice(&n.to_be_bytes());
    Ok(())
}

fn write_scalar(ty: &CqlType, v: &JsonValue, out: &mut Vec<u8>) -> Result<(), JsonError> {
    if matches!(v, JsonValue::String(s) if s.is_empty()) && reads_empty_string_as_empty(ty) {
        // `fromString("")` is the zero-length value; smallint, tinyint and duration then
        // fail validation.
        return ty.validate(&[]).map_err(JsonError::from);
    }
    let value = match ty {
        CqlType::Ascii => CqlValue::Ascii(ascii(v)?),
        CqlType::Text => CqlValue::Text(string(v, "a UTF-8 string")?.to_string()),
        CqlType::Int => match v {
            JsonValue::String(s) => CqlValue::Int(s.parse().map_err(|_| unparsable("int", s))?),
            JsonValue::Int(i) => CqlValue::Int(i32::try_from(*i).map_err(|_| wrong_kind("an int value", v))?),
            _ => return Err(wrong_kind("an int value", v)),
        },
        CqlType::Bigint => match v {
            JsonValue::String(s) => CqlValue::Bigint(s.parse().map_err(|_| unparsable("long", s))?),
            JsonValue::Int(i) => CqlValue::Bigint(i64::try_from(*i).map_err(|_| wrong_kind("a bigint value", v))?),
            _ => return Err(wrong_kind("a bigint value", v)),
        },
        CqlType::Smallint => {
            let text = number_text(v, "a short value")?;
            CqlValue::Smallint(text.parse().map_err(|_| unparsable("short", &text))?)
        }
        CqlType::Tinyint => {
            let text = number_text(v, "a byte value")?;
            CqlValue::Tinyint(text.parse().map_err(|_| unparsable("byte", &text))?)
        }
        CqlType::Varint => {
            let text = v.java_string();
            // Java's `new BigInteger(text)`; parse_varint alone would read "" as empty.
            let parsed = if text.is_empty() { None } else { parse_varint(&text).ok() };
            CqlValue::Varint(parsed.ok_or(JsonError::NotANumber { target: "varint", text })?)
        }
        CqlType::Decimal => {
            let text = v.java_string();
            let (scale, unscaled) =
                parse_decimal(&text).map_err(|_| JsonError::NotANumber { target: "decimal", text })?;
            CqlValue::Decimal { scale, unscaled }
        }
        CqlType::Double => CqlValue::Double(match v {
            JsonValue::String(s) => java_parse_double(s).ok_or_else(|| unparsable("double", s))?,
            JsonValue::Int(i) => *i as f64,
            JsonValue::Float(f) => *f,
            _ => return Err(wrong_kind("a double value", v)),
        }),
        CqlType::Float => CqlValue::Float(match v {
            JsonValue::String(s) => java_parse_float(s).ok_or_else(|| unparsable("float", s))?,
            JsonValue::Int(i) => *i as f32,
            JsonValue::Float(f) => *f as f32,
            _ => return Err(wrong_kind("a float value", v)),
        }),
        CqlType::Boolean => CqlValue::Boolean(match v {
            JsonValue::Bool(b) => *b,
            JsonValue::String(s) if s.is_empty() || s.eq_ignore_ascii_case("false") => false,
            JsonValue::String(s) if s.eq_ignore_ascii_case("true") => true,
            JsonValue::String(s) => return Err(unparsable("boolean", s)),
            _ => return Err(wrong_kind("a boolean value", v)),
        }),
        CqlType::Blob | CqlType::Custom(_) => CqlValue::Blob(blob(v)?.into()),
        CqlType::Timestamp => CqlValue::Timestamp(match v {
            // Jackson's `Long` only: integers within `int` range arrive as `Integer`, which
            // Cassandra's TimestampType refuses.
            JsonValue::Int(i) if i32::try_from(*i).is_err() => i64::try_from(*i).map_err(|_| timestamp_kind(v))?,
            JsonValue::String(s) => parse_timestamp(s)?,
            _ => return Err(timestamp_kind(v)),
        }),
        CqlType::Date => CqlValue::Date(parse_date(string(v, "a string representation of a date value")?)?),
        CqlType::Time => CqlValue::Time(parse_time(string(v, "a string representation of a time value")?)?),
        CqlType::Uuid => CqlValue::Uuid(parse_uuid(string(v, "a string representation of a uuid")?)?),
        CqlType::Timeuuid => {
            let s = string(v, "a string representation of a timeuuid")?;
            let u = parse_uuid(s).map_err(|_| JsonError::TimeUuidSyntax(s.to_string()))?;
            if u.get_version_num() != TIMEUUID_VERSION {
                return Err(JsonError::NotTimeUuid);
            }
            CqlValue::Timeuuid(u)
        }
        CqlType::Inet => CqlValue::Inet(parse_inet(string(v, "a string representation of an inet value")?)?),
        CqlType::Duration => {
            let d = parse_duration(string(v, "a string representation of a duration")?)?;
            CqlValue::Duration { months: d.months, days: d.days, nanos: d.nanos }
        }
        CqlType::Counter => return Err(JsonError::Counter),
        CqlType::List(_)
        | CqlType::Set(_)
        | CqlType::Map(..)
        | CqlType::Tuple(_)
        | CqlType::Udt(_)
        | CqlType::Vector(..)
        | CqlType::Frozen(_) => return Err(wrong_kind("a scalar value", v)),
    };
    value.encode(out);
    Ok(())
}

/// The types whose `fromJSONObject("")` gives the zero-length value (through
/// `fromString`); the others read `""` as text, `false`, or fail.
fn reads_empty_string_as_empty(ty: &CqlType) -> bool {
    matches!(
        ty,
        CqlType::Int
            | CqlType::Bigint
            | CqlType::Smallint
            | CqlType::Tinyint
            | CqlType::Float
            | CqlType::Double
            | CqlType::Timestamp
            | CqlType::Uuid
            | CqlType::Timeuuid
            | CqlType::Inet
            | CqlType::Duration
    )
}

fn unparsable(target: &'static str, text: &str) -> JsonError {
    JsonError::Unparsable { target, text: text.to_string() }
}

fn timestamp_kind(v: &JsonValue) -> JsonError {
    wrong_kind("a long or a datestring representation of a timestamp value", v)
}

/// The string of a type that only takes strings (Java's `(String) parsed` cast).
fn string<'a>(v: &'a JsonValue, expected: &'static str) -> Result<&'a str, JsonError> {
    match v {
        JsonValue::String(s) => Ok(s),
        _ => Err(wrong_kind(expected, v)),
    }
}

/// `smallint`/`tinyint` read `String.valueOf(parsed)` of a string or any number.
fn number_text(v: &JsonValue, expected: &'static str) -> Result<String, JsonError> {
    match v {
        JsonValue::String(_) | JsonValue::Int(_) | JsonValue::Float(_) => Ok(v.java_string()),
        _ => Err(wrong_kind(expected, v)),
    }
}

fn ascii(v: &JsonValue) -> Result<String, JsonError> {
    let s = string(v, "an ascii string")?;
    match s.chars().find(|c| !c.is_ascii()) {
        Some(c) => Err(JsonError::NonAscii { input_length: c.len_utf16() }),
        None => Ok(s.to_string()),
    }
}

fn blob(v: &JsonValue) -> Result<Vec<u8>, JsonError> {
    let err = |reason: String| JsonError::Blob { value: v.java_string(), reason };
    let JsonValue::String(s) = v else {
        return Err(err(format!("class {} cannot be cast to class java.lang.String", v.java_class_qualified())));
    };
    let Some(hex) = s.strip_prefix("0x") else {
        return Err(err(format!("String representation of blob is missing 0x prefix: {s}")));
    };
    parse_blob_hex(s).map_err(|_| err(format!("cannot parse '{hex}' as hex bytes")))
}
