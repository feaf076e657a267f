//! User-type values in statements and results. A serialized value is its fields in type
//! order, each a `[bytes]` (length -1: null); a value may hold fewer fields than its type
//! (fields added since are null). Literals `{f: v, …}` are analysed against the receiving
//! type: fields in type order, missing ones null, unknown ones refused with Cassandra's
//! message; a literal with bind markers inside is assembled when bound.

use std::ops::Range;

use bytes::Bytes;
use percore_protocol::cql::ast::{Literal, Term};
use percore_protocol::types::UdtType;

use super::bind::{BoundValues, Evaluated, ValueExpr};
use super::error::CqlError;
use super::term::{analyze_term, BindSpecs, Receiver};

/// Where each field's bytes are in `value` (`None`: null), or `None` if malformed.
pub fn field_ranges(value: &[u8]) -> Option<Vec<Option<Range<usize>>>> {
    let mut fields = Vec::new();
    let mut at = 0;
    while at < value.len() {
        let len = i32::from_be_bytes(value.get(at..at + 4)?.try_into().ok()?);
        at += 4;
        if len < 0 {
            fields.push(None);
            continue;
        }
        let end = at.checked_add(len as usize).filter(|&e| e <= value.len())?;
        fields.push(Some(at..end));
        at = end;
    }
    Some(fields)
}

/// The field at `index` of a serialized value; `None` when null, absent or malformed.
pub fn field(value: &[u8], index: usize) -> Option<&[u8]> {
    let range = field_ranges(value)?.into_iter().nth(index)??;
    value.get(range)
}

/// The fields of a value as `Bytes` sharing its buffer, for writing them one cell each.
pub fn fields(value: &Bytes) -> Result<Vec<Option<Bytes>>, CqlError> {
    let ranges = field_ranges(value)
        .ok_or_else(|| CqlError::invalid("Invalid user type value: truncated or malformed".into()))?;
    Ok(ranges.into_iter().map(|r| r.map(|r| value.slice(r))).collect())
}

/// Appends one field as `[bytes]`.
pub fn push_field(out: &mut Vec<u8>, field: Option<&[u8]>) {
    match field {
        Some(b) => {
            out.extend_from_slice(&(b.len() as i32).to_be_bytes());
            out.extend_from_slice(b);
        }
        None => out.extend_from_slice(&(-1i32).to_be_bytes()),
    }
}

/// Refuses literal fields the type does not have.
fn check_fields(entries: &[(String, Term)], udt: &UdtType) -> Result<(), CqlError> {
    match entries.iter().find(|(name, _)| !udt.fields.iter().any(|(f, _)| f == name)) {
        Some((name, _)) => {
            Err(CqlError::invalid(format!("Unknown field '{name}' in value of user defined type {}", udt.name)))
        }
        None => Ok(()),
    }
}

/// The receiver of one field: `column.field`, of the field's type (Cassandra's naming).
fn field_receiver(receiver: &Receiver, name: &str, ty: &percore_protocol::types::CqlType) -> Receiver {
    Receiver { name: format!("{}.{name}", receiver.name), ty: ty.clone(), ..receiver.clone() }
}

/// A literal for a receiver of type `udt`: a constant, or an expression bound later when a
/// field holds a marker or a function call.
pub fn analyze_literal(
    entries: &[(String, Term)],
    udt: &UdtType,
    receiver: &Receiver,
    binds: &mut BindSpecs,
) -> Result<ValueExpr, CqlError> {
    check_fields(entries, udt)?;
    let null = Term::Literal(Literal::Null);
    let fields = udt
        .fields
        .iter()
        .map(|(name, ty)| {
            let term = entries.iter().find(|(f, _)| f == name).map_or(&null, |(_, t)| t);
            if let Term::Literal(l) = term {
                if !matches!(l, Literal::Null) && !crate::cql::term::literal_fits(l, ty) {
                    return Err(CqlError::invalid(format!(
                        "Invalid user type literal for {}: field {name} is not of type {}",
                        receiver.name,
                        ty.cql_name()
                    )));
                }
            }
            analyze_term(term, &field_receiver(receiver, name, ty), binds)
        })
        .collect::<Result<Vec<_>, _>>()?;
    if fields.iter().all(|f| matches!(f, ValueExpr::Const(_))) {
        let mut out = Vec::new();
        for f in &fields {
            if let ValueExpr::Const(b) = f {
                push_field(&mut out, b.as_deref());
            }
        }
        return Ok(ValueExpr::Const(Some(Bytes::from(out))));
    }
    Ok(ValueExpr::Udt(Box::new(udt.clone()), fields))
}

/// A literal inside a collection or another literal: constants only.
pub fn literal_into(
    entries: &[(String, Term)],
    udt: &UdtType,
    receiver: &Receiver,
    out: &mut Vec<u8>,
) -> Result<(), CqlError> {
    if entries.iter().any(|(_, t)| matches!(t, Term::Bind(_) | Term::FunctionCall { .. })) {
        return Err(CqlError::invalid(format!(
            "Bind markers and functions inside nested user type literals are not supported yet (\"{}\")",
            receiver.name
        )));
    }
    match analyze_literal(entries, udt, receiver, &mut BindSpecs::new(vec![]))? {
        ValueExpr::Const(Some(b)) => out.extend_from_slice(&b),
        _ => return Err(CqlError::server(format!("non-constant user type literal for {}", receiver.name))),
    }
    Ok(())
}

/// Binds a literal with markers: every field evaluated, unset ones refused.
pub fn bind_literal(
    udt: &UdtType,
    fields: &[ValueExpr],
    values: &BoundValues,
    receiver: &str,
) -> Result<Evaluated, CqlError> {
    let mut out = Vec::new();
    for ((name, ty), expr) in udt.fields.iter().zip(fields) {
        match expr.eval(values, ty, receiver)? {
            Evaluated::Value(b) => push_field(&mut out, Some(&b)),
            Evaluated::Null => push_field(&mut out, None),
            Evaluated::Unset => {
                return Err(CqlError::invalid(format!(
                    "Invalid unset value for field '{name}' of user defined type {}",
                    udt.name
                )))
            }
        }
    }
    Ok(Evaluated::Value(Bytes::from(out)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use percore_protocol::cql::ast::BindMarker;
    use percore_protocol::types::CqlType;

    fn udt() -> UdtType {
        UdtType {
            keyspace: "ks".into(),
            name: "t".into(),
            fields: vec![("a".into(), CqlType::Int), ("b".into(), CqlType::Text)],
        }
    }

    fn recv() -> Receiver {
        Receiver { keyspace: "ks".into(), table: "x".into(), name: "v".into(), ty: CqlType::Udt(udt()) }
    }

    fn int(s: &str) -> Term {
        Term::Literal(Literal::Integer(s.into()))
    }

    #[test]
    fn literals_serialize_fields_in_type_order_with_nulls() {
        let entries = vec![("b".to_string(), Term::Literal(Literal::String("x".into())))];
        let e = analyze_literal(&entries, &udt(), &recv(), &mut BindSpecs::new(vec![])).unwrap();
        let ValueExpr::Const(Some(b)) = e else { panic!("not constant") };
        assert_eq!(&b[..], &[255, 255, 255, 255, 0, 0, 0, 1, b'x'][..]);
        assert_eq!(field(&b, 0), None);
        assert_eq!(field(&b, 1), Some(&b"x"[..]));
        assert_eq!(field(&b, 2), None);
    }

    #[test]
    fn unknown_fields_are_refused() {
        let entries = vec![("zz".to_string(), int("1"))];
        let e = analyze_literal(&entries, &udt(), &recv(), &mut BindSpecs::new(vec![])).unwrap_err();
        assert_eq!(e.message, "Unknown field 'zz' in value of user defined type t");
    }

    #[test]
    fn markers_inside_take_the_field_spec() {
        let entries = vec![("a".to_string(), Term::Bind(BindMarker { index: 0, name: None }))];
        let mut binds = BindSpecs::new(vec![None]);
        let e = analyze_literal(&entries, &udt(), &recv(), &mut binds).unwrap();
        assert!(matches!(e, ValueExpr::Udt(..)));
        let (specs, _) = binds.finish().unwrap();
        assert_eq!((specs[0].name.as_str(), &specs[0].ty), ("v.a", &CqlType::Int));
    }

    #[test]
    fn malformed_values_are_detected() {
        assert!(field_ranges(&[0, 0, 0, 5, 1]).is_none());
        assert_eq!(field_ranges(&[]).unwrap(), vec![]);
    }
}
