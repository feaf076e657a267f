//! CQL values to Cassandra's JSON text (`toJson()`, `SELECT JSON`), following each type's
//! `toJSONString`: see the module docs of `json` for the forms.

use std::fmt::Write as _;
use std::net::IpAddr;

use super::value::{java_double_string, java_float_string};
use crate::types::literal::{
    format_date, format_decimal, format_duration, format_time, format_timestamp, format_varint, DurationValue,
};
use crate::types::{CqlType, CqlValue, ValueError};

/// The JSON text of a serialized value of `ty`; `None` (a null) is `null`. Fails only when
/// the bytes are not a valid value of the type.
pub fn value_to_json(ty: &CqlType, value: Option<&[u8]>) -> Result<String, ValueError> {
    let Some(bytes) = value else {
        return Ok("null".to_string());
    };
    let decoded = ty.decode(bytes)?;
    let mut out = String::new();
    cql_value_to_json(ty, &decoded, &mut out);
    Ok(out)
}

/// Appends the JSON text of a decoded value of `ty`. The type supplies what the value does
/// not carry: UDT field names and tuple arity (missing trailing components print `null`),
/// and element types for nested values.
pub fn cql_value_to_json(ty: &CqlType, value: &CqlValue, out: &mut String) {
    let ty = ty.unfrozen();
    match value {
        CqlValue::Empty => out.push_str("\"\""),
        CqlValue::Ascii(s) | CqlValue::Text(s) => write_json_string(out, s),
        CqlValue::Bigint(v) | CqlValue::Counter(v) => push_display(out, v),
        CqlValue::Int(v) => push_display(out, v),
        CqlValue::Smallint(v) => push_display(out, v),
        CqlValue::Tinyint(v) => push_display(out, v),
        CqlValue::Varint(bytes) if bytes.is_empty() => out.push_str("\"\""),
        CqlValue::Varint(bytes) => out.push_str(&format_varint(bytes)),
        CqlValue::Decimal { scale, unscaled } => out.push_str(&format_decimal(*scale, unscaled)),
        // JSON has no NaN or infinities: Cassandra prints them as null.
        CqlValue::Double(v) if !v.is_finite() => out.push_str("null"),
        CqlValue::Double(v) => out.push_str(&java_double_string(*v)),
        CqlValue::Float(v) if !v.is_finite() => out.push_str("null"),
        CqlValue::Float(v) => out.push_str(&java_float_string(*v)),
        CqlValue::Boolean(b) => out.push_str(if *b { "true" } else { "false" }),
        CqlValue::Blob(bytes) => {
            out.push_str("\"0x");
            for b in bytes.iter() {
                let _ = write!(out, "{b:02x}");
            }
            out.push('"');
        }
        CqlValue::Timestamp(ms) => push_quoted(out, &format_timestamp(*ms)),
        CqlValue::Date(days) => push_quoted(out, &format_date(*days)),
        CqlValue::Time(nanos) => push_quoted(out, &format_time(*nanos)),
        CqlValue::Uuid(u) | CqlValue::Timeuuid(u) => push_quoted(out, &u.hyphenated().to_string()),
        CqlValue::Inet(ip) => push_quoted(out, &java_host_address(ip)),
        CqlValue::Duration { months, days, nanos } => {
            let d = DurationValue { months: *months, days: *days, nanos: *nanos };
            push_quoted(out, &format_duration(&d));
        }
        CqlValue::List(items) | CqlValue::Set(items) | CqlValue::Vector(items) => {
            let elem = match ty {
                CqlType::List(e) | CqlType::Set(e) | CqlType::Vector(e, _) => e.as_ref(),
                other => other,
            };
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                separator(out, i);
                cql_value_to_json(elem, item, out);
            }
            out.push(']');
        }
        CqlValue::Map(entries) => write_map(ty, entries, out),
        CqlValue::Tuple(items) => write_tuple(ty, items, out),
        CqlValue::Udt(fields) => write_udt(ty, fields, out),
    }
}

fn write_map(ty: &CqlType, entries: &[(CqlValue, CqlValue)], out: &mut String) {
    let (key_ty, value_ty) = match ty {
        CqlType::Map(k, v) => (k.as_ref(), v.as_ref()),
        other => (other, other),
    };
    out.push('{');
    let mut key = String::new();
    for (i, (k, v)) in entries.iter().enumerate() {
        separator(out, i);
        // JSON keys are strings: a key whose JSON is not a string becomes a string of it.
        key.clear();
        cql_value_to_json(key_ty, k, &mut key);
        if key.starts_with('"') {
            out.push_str(&key);
        } else {
            write_json_string(out, &key);
        }
        out.push_str(": ");
        cql_value_to_json(value_ty, v, out);
    }
    out.push('}');
}

fn write_tuple(ty: &CqlType, items: &[Option<CqlValue>], out: &mut String) {
    out.push('[');
    match ty {
        CqlType::Tuple(types) => {
            for (i, t) in types.iter().enumerate() {
                separator(out, i);
                write_nullable(t, items.get(i).and_then(Option::as_ref), out);
            }
        }
        other => {
            for (i, item) in items.iter().enumerate() {
                separator(out, i);
                write_nullable(other, item.as_ref(), out);
            }
        }
    }
    out.push(']');
}

fn write_udt(ty: &CqlType, fields: &[(String, Option<CqlValue>)], out: &mut String) {
    out.push('{');
    match ty {
        CqlType::Udt(udt) => {
            for (i, (name, t)) in udt.fields.iter().enumerate() {
                separator(out, i);
                write_field_name(out, name);
                write_nullable(t, fields.get(i).and_then(|(_, v)| v.as_ref()), out);
            }
        }
        other => {
            for (i, (name, v)) in fields.iter().enumerate() {
                separator(out, i);
                write_field_name(out, name);
                write_nullable(other, v.as_ref(), out);
            }
        }
    }
    out.push('}');
}

/// A UDT field name as a JSON key: double-quoted inside the string when it is not all
/// lower case (`UserType.toJSONString`), so that it reads back case-sensitively.
fn write_field_name(out: &mut String, name: &str) {
    if name.to_lowercase() == name {
        write_json_string(out, name);
    } else {
        write_json_string(out, &format!("\"{name}\""));
    }
    out.push_str(": ");
}

fn write_nullable(ty: &CqlType, value: Option<&CqlValue>, out: &mut String) {
    match value {
        Some(v) => cql_value_to_json(ty, v, out),
        None => out.push_str("null"),
    }
}

fn separator(out: &mut String, index: usize) {
    if index > 0 {
        out.push_str(", ");
    }
}

fn push_display(out: &mut String, v: &dyn std::fmt::Display) {
    let _ = write!(out, "{v}");
}

fn push_quoted(out: &mut String, text: &str) {
    write_json_string(out, text);
}

/// Appends `s` as a JSON string literal, escaped as Jackson's `JsonStringEncoder` does:
/// `"` and `\` backslash-escaped, `\b \t \n \f \r` by name, other control characters as
/// `\u00XX` (upper-case hex); everything else, non-ASCII included, as is.
pub fn write_json_string(out: &mut String, s: &str) {
    out.reserve(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Java's `InetAddress.getHostAddress`: dotted IPv4; IPv6 as eight lower-case hex groups
/// without leading zeros and without `::` compression. IPv4-mapped IPv6 addresses
/// (`::ffff:a.b.c.d`) print as IPv4, as Java turns them into `Inet4Address`.
fn java_host_address(ip: &IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let groups: Vec<String> = v6.segments().iter().map(|g| format!("{g:x}")).collect();
                groups.join(":")
            }
        },
    }
}
