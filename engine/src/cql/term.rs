//! Terms of a statement (literals, markers, collection literals, function calls) analysed
//! for the column that receives them: literals are serialized once, at analysis, with
//! Cassandra's rules for which literal kinds each type accepts; markers get the receiver's
//! name and type for the PREPARED metadata. `[…]` for a vector receiver is a vector
//! literal (`super::vector`), not a list.

use bytes::Bytes;
use percore_protocol::cql::ast::{Literal, Term};
use percore_protocol::response::ColumnSpec;
use percore_protocol::types::literal::{
    parse_date, parse_decimal, parse_duration, parse_inet, parse_time, parse_timestamp, parse_uuid, parse_varint,
};
use percore_protocol::types::{CqlType, CqlValue};

use super::bind::ValueExpr;
use super::error::CqlError;
use super::functions::Function;
use crate::model::clustering::{encode_component, ClusteringOrder};

/// The column (or pseudo-column like `[limit]`) a term is assigned to.
#[derive(Debug, Clone)]
pub struct Receiver {
    pub keyspace: String,
    pub table: String,
    pub name: String,
    pub ty: CqlType,
}

/// Types of the bind markers, filled in as the statement is analysed.
#[derive(Debug, Default)]
pub struct BindSpecs {
    specs: Vec<Option<ColumnSpec>>,
    names: Vec<Option<String>>,
}

impl BindSpecs {
    pub fn new(names: Vec<Option<String>>) -> BindSpecs {
        BindSpecs { specs: vec![None; names.len()], names }
    }

    fn set(&mut self, index: usize, receiver: &Receiver) {
        let name = self.names.get(index).cloned().flatten().unwrap_or_else(|| receiver.name.clone());
        if let Some(slot) = self.specs.get_mut(index) {
            *slot = Some(ColumnSpec {
                keyspace: receiver.keyspace.clone(),
                table: receiver.table.clone(),
                name,
                ty: receiver.ty.clone(),
            });
        }
    }

    /// Every marker's spec; a marker whose type could not be inferred is an error.
    pub fn finish(self) -> Result<(Vec<ColumnSpec>, Vec<Option<String>>), CqlError> {
        let specs = self
            .specs
            .into_iter()
            .enumerate()
            .map(|(i, s)| s.ok_or_else(|| CqlError::invalid(format!("Cannot infer the type of bind marker {i}"))))
            .collect::<Result<_, _>>()?;
        Ok((specs, self.names))
    }
}

pub fn analyze_term(term: &Term, receiver: &Receiver, binds: &mut BindSpecs) -> Result<ValueExpr, CqlError> {
    match term {
        Term::Bind(marker) => {
            binds.set(marker.index, receiver);
            Ok(ValueExpr::Bind(marker.index))
        }
        Term::FunctionCall { name, args } if name.name.eq_ignore_ascii_case("fromjson") => {
            let [arg] = args.as_slice() else {
                return Err(CqlError::invalid(
                    "Invalid number of arguments in call to function system.fromjson: 1 required".into(),
                ));
            };
            let text = Receiver { ty: CqlType::Text, name: format!("fromjson({})", receiver.name), ..receiver.clone() };
            Ok(ValueExpr::FromJson(Box::new(analyze_term(arg, &text, binds)?)))
        }
        Term::FunctionCall { name, args } => {
            let f = Function::lookup(&name.name)
                .ok_or_else(|| CqlError::invalid(format!("Unknown function {}", name.name)))?;
            if !compatible(&f.return_type(), &receiver.ty) {
                return Err(CqlError::invalid(format!(
                    "Type error: cannot assign result of function {} (type {}) to {} (type {})",
                    name.name,
                    f.return_type().cql_name(),
                    receiver.name,
                    receiver.ty.cql_name()
                )));
            }
            let arg_types = f.argument_types();
            if args.len() != arg_types.len() {
                return Err(CqlError::invalid(format!(
                    "Invalid number of arguments in call to function {}",
                    name.name
                )));
            }
            let args = args
                .iter()
                .zip(arg_types)
                .map(|(a, ty)| {
                    analyze_term(a, &Receiver { ty, name: format!("{}(arg)", name.name), ..receiver.clone() }, binds)
                })
                .collect::<Result<_, _>>()?;
            Ok(ValueExpr::Function(f, args))
        }
        Term::TypeCast { term, .. } => analyze_term(term, receiver, binds),
        Term::List(items) if matches!(receiver.ty.unfrozen(), CqlType::Vector(..)) => {
            super::vector::analyze_literal(items, receiver, binds)
        }
        Term::Tuple(_) | Term::List(_) | Term::Set(_) | Term::Map(_)
            if super::composite_literal::has_non_constant_part(term) =>
        {
            super::composite_literal::analyze(term, receiver, binds)
        }
        Term::Udt(entries) => match receiver.ty.unfrozen() {
            CqlType::Udt(udt) => super::udt::analyze_literal(entries, udt, receiver, binds),
            _ => Err(not_allowed(term, &receiver.ty, &receiver.name)),
        },
        constant => Ok(ValueExpr::Const(constant_bytes(constant, &receiver.ty, &receiver.name)?)),
    }
}

/// Types that accept each other's values (`text` and `varchar` are one type).
pub fn compatible(a: &CqlType, b: &CqlType) -> bool {
    a.unfrozen() == b.unfrozen() || (a.unfrozen() == &CqlType::Timeuuid && b.unfrozen() == &CqlType::Uuid)
}

fn constant_bytes(term: &Term, ty: &CqlType, name: &str) -> Result<Option<Bytes>, CqlError> {
    let mut out = Vec::new();
    match term {
        Term::Literal(Literal::Null) => return Ok(None),
        Term::Literal(l) => literal_into(l, ty, name, &mut out)?,
        _ => collection_into(term, ty, name, &mut out)?,
    }
    Ok(Some(Bytes::from(out)))
}

fn not_allowed(term: &Term, ty: &CqlType, name: &str) -> CqlError {
    let (kind, text) = match term {
        Term::Literal(l) => literal_kind(l),
        Term::List(_) | Term::Set(_) | Term::Map(_) => {
            let kind = match term {
                Term::List(_) => "list",
                Term::Set(_) => "set",
                _ => "map",
            };
            return CqlError::invalid(format!("Invalid {kind} literal for {name} of type {}", ty.cql_name()));
        }
        Term::EmptyBraces => ("set".into(), "{...}".into()),
        Term::Tuple(_) => ("tuple".into(), "(...)".into()),
        Term::Udt(_) => {
            return CqlError::invalid(format!("Invalid user type literal for {name} of type {}", ty.cql_name()))
        }
        _ => ("value".into(), String::new()),
    };
    CqlError::invalid(format!("Invalid {kind} constant ({text}) for \"{name}\" of type {}", ty.cql_name()))
}

fn literal_kind(l: &Literal) -> (String, String) {
    match l {
        Literal::String(s) => ("STRING".into(), s.clone()),
        Literal::Integer(s) => ("INTEGER".into(), s.clone()),
        Literal::Float(s) => ("FLOAT".into(), s.clone()),
        Literal::Boolean(b) => ("BOOLEAN".into(), b.to_string()),
        Literal::Uuid(s) => ("UUID".into(), s.clone()),
        Literal::Blob(b) => ("HEX".into(), format!("0x{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>())),
        Literal::Duration(s) => ("DURATION".into(), s.clone()),
        Literal::Null => ("NULL".into(), "null".into()),
    }
}

fn literal_into(l: &Literal, ty: &CqlType, name: &str, out: &mut Vec<u8>) -> Result<(), CqlError> {
    if literal_value(l, ty, name, out)? {
        Ok(())
    } else {
        Err(not_allowed(&Term::Literal(l.clone()), ty, name))
    }
}

/// Whether a literal of this kind can be a value of `ty` (Cassandra's `testAssignment` of
/// constants): it may still be out of range or malformed.
pub fn literal_fits(l: &Literal, ty: &CqlType) -> bool {
    !matches!(literal_value(l, ty, "", &mut Vec::new()), Ok(false))
}

/// Serializes a literal for `ty`; `Ok(false)` when the type takes no literal of its kind.
fn literal_value(l: &Literal, ty: &CqlType, name: &str, out: &mut Vec<u8>) -> Result<bool, CqlError> {
    let bad = || not_allowed(&Term::Literal(l.clone()), ty, name);
    // The parsers' messages are Cassandra's own (its `fromString` exceptions, unadorned).
    let parse_err = |e: &dyn std::fmt::Display| CqlError::invalid(e.to_string());
    let int = |s: &str| s.parse::<i128>().map_err(|_| bad());
    // Cassandra's `Int32Serializer`-style refusal of an integer literal out of range.
    let range = |java: &str| {
        let text = match l {
            Literal::Integer(s) => s.as_str(),
            _ => "",
        };
        CqlError::invalid(format!("Unable to make {java} from '{text}'"))
    };
    match (l, ty.unfrozen()) {
        (Literal::String(s), CqlType::Text) => out.extend_from_slice(s.as_bytes()),
        (Literal::String(s), CqlType::Ascii) => {
            if !s.is_ascii() {
                return Err(CqlError::invalid(
                    "Invalid ASCII character in string literal: java.nio.charset.UnmappableCharacterException: \
                     Input length = 1"
                        .into(),
                ));
            }
            out.extend_from_slice(s.as_bytes())
        }
        (Literal::String(s), CqlType::Timestamp) => {
            out.extend(parse_timestamp(s).map_err(|e| parse_err(&e))?.to_be_bytes())
        }
        (Literal::String(s), CqlType::Date) => out.extend(parse_date(s).map_err(|e| parse_err(&e))?.to_be_bytes()),
        (Literal::String(s), CqlType::Time) => out.extend(parse_time(s).map_err(|e| parse_err(&e))?.to_be_bytes()),
        (Literal::String(s), CqlType::Inet) => match parse_inet(s).map_err(|e| parse_err(&e))? {
            std::net::IpAddr::V4(a) => out.extend(a.octets()),
            std::net::IpAddr::V6(a) => out.extend(a.octets()),
        },
        (Literal::String(s) | Literal::Uuid(s), CqlType::Uuid | CqlType::Timeuuid) => {
            let u = parse_uuid(s).map_err(|e| parse_err(&e))?;
            if matches!(ty.unfrozen(), CqlType::Timeuuid) && u.get_version_num() != 1 {
                return Err(CqlError::invalid("TimeUUID supports only version 1 UUIDs".into()));
            }
            out.extend(u.as_bytes())
        }
        (Literal::String(s) | Literal::Duration(s) | Literal::Integer(s), CqlType::Duration) => {
            let d = parse_duration(s).map_err(|e| parse_err(&e))?;
            CqlValue::Duration { months: d.months, days: d.days, nanos: d.nanos }.encode(out)
        }
        (Literal::Integer(s), CqlType::Int) => {
            out.extend(i32::try_from(int(s)?).map_err(|_| range("int"))?.to_be_bytes())
        }
        (Literal::Integer(s), CqlType::Time) => out.extend(parse_time(s).map_err(|e| parse_err(&e))?.to_be_bytes()),
        (Literal::Integer(s), CqlType::Bigint | CqlType::Counter | CqlType::Timestamp) => {
            out.extend(i64::try_from(int(s)?).map_err(|_| range("long"))?.to_be_bytes())
        }
        (Literal::Integer(s), CqlType::Smallint) => {
            out.extend(i16::try_from(int(s)?).map_err(|_| range("short"))?.to_be_bytes())
        }
        (Literal::Integer(s), CqlType::Tinyint) => {
            out.extend(i8::try_from(int(s)?).map_err(|_| range("byte"))?.to_be_bytes())
        }
        (Literal::Integer(s), CqlType::Date) => out.extend(
            u32::try_from(int(s)?)
                .map_err(|_| CqlError::invalid(format!("Unable to make unsigned int (for date) from: '{s}'")))?
                .to_be_bytes(),
        ),
        (Literal::Integer(s), CqlType::Varint) => out.extend(parse_varint(s).map_err(|e| parse_err(&e))?),
        (Literal::Integer(s) | Literal::Float(s), CqlType::Decimal) => {
            let (scale, unscaled) = parse_decimal(s).map_err(|e| parse_err(&e))?;
            out.extend(scale.to_be_bytes());
            out.extend(unscaled);
        }
        (Literal::Integer(s) | Literal::Float(s), CqlType::Float) => {
            out.extend(parse_float(s).ok_or_else(bad)?.to_be_bytes())
        }
        (Literal::Integer(s) | Literal::Float(s), CqlType::Double) => {
            out.extend(parse_double(s).ok_or_else(bad)?.to_be_bytes())
        }
        (Literal::Boolean(b), CqlType::Boolean) => out.push(*b as u8),
        (Literal::Blob(b), CqlType::Blob | CqlType::Custom(_)) => out.extend_from_slice(b),
        _ => return Ok(false),
    }
    Ok(true)
}

fn parse_double(s: &str) -> Option<f64> {
    match s {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => s.parse().ok(),
    }
}

fn parse_float(s: &str) -> Option<f32> {
    parse_double(s).map(|d| d as f32)
}

/// Appends one element of a collection or tuple as `[bytes]`.
fn element_into(term: &Term, ty: &CqlType, name: &str, out: &mut Vec<u8>) -> Result<(), CqlError> {
    match constant_bytes(term, ty, name)? {
        Some(b) => {
            out.extend((b.len() as i32).to_be_bytes());
            out.extend_from_slice(&b);
        }
        None => out.extend((-1i32).to_be_bytes()),
    }
    Ok(())
}

fn element_bytes(term: &Term, ty: &CqlType, name: &str) -> Result<Bytes, CqlError> {
    if matches!(term, Term::Bind(_) | Term::FunctionCall { .. }) {
        return Err(CqlError::invalid(format!(
            "Bind markers and functions inside collection literals are not supported yet (\"{name}\")"
        )));
    }
    constant_bytes(term, ty, name)?.ok_or_else(|| CqlError::invalid("null is not supported inside collections".into()))
}

/// Sorts and deduplicates set elements / map entries the way the type orders them.
pub(crate) fn sorted_unique(mut items: Vec<(Bytes, Option<Bytes>)>, key_ty: &CqlType) -> Vec<(Bytes, Option<Bytes>)> {
    let order_key = |b: &Bytes| {
        let mut k = Vec::new();
        encode_component(key_ty, b, ClusteringOrder::Asc, &mut k);
        k
    };
    items.sort_by_cached_key(|(k, _)| order_key(k));
    // Later duplicates win, as Cassandra's map literal does.
    let mut out: Vec<(Bytes, Option<Bytes>)> = Vec::with_capacity(items.len());
    for item in items {
        match out.last_mut() {
            Some(last) if last.0 == item.0 => *last = item,
            _ => out.push(item),
        }
    }
    out
}

/// A frozen set or map value in its canonical form (elements sorted and unique by the
/// type's order, as Cassandra stores them); other values unchanged.
pub fn normalize_collection(ty: &CqlType, value: Bytes) -> Result<Bytes, CqlError> {
    let (pairs, key_ty) = match ty.unfrozen() {
        CqlType::Set(e) => (false, e),
        CqlType::Map(k, _) => (true, k),
        _ => return Ok(value),
    };
    let items = crate::cql::write::cell_ops::collection_items(&value, pairs)?;
    let mut out = Vec::with_capacity(value.len());
    write_items(&mut out, &sorted_unique(items, key_ty));
    Ok(Bytes::from(out))
}

pub(crate) fn write_items(out: &mut Vec<u8>, items: &[(Bytes, Option<Bytes>)]) {
    out.extend((items.len() as i32).to_be_bytes());
    for (k, v) in items {
        out.extend((k.len() as i32).to_be_bytes());
        out.extend_from_slice(k);
        if let Some(v) = v {
            out.extend((v.len() as i32).to_be_bytes());
            out.extend_from_slice(v);
        }
    }
}

/// Cassandra's refusal of a literal element of the wrong kind inside a collection or tuple
/// literal (`Invalid list literal for l: value 'a' is not of type int`).
fn check_element_kind(term: &Term, element: &CqlType, literal: &str, name: &str, part: &str) -> Result<(), CqlError> {
    match term {
        Term::Literal(l) if !matches!(l, Literal::Null) && !literal_fits(l, element) => {
            let part = if literal == "tuple" {
                part.to_string()
            } else {
                format!("{part} {}", super::statement::operation::term_text(term))
            };
            Err(CqlError::invalid(format!(
                "Invalid {literal} literal for {name}: {part} is not of type {}",
                element.cql_name()
            )))
        }
        _ => Ok(()),
    }
}

fn collection_into(term: &Term, ty: &CqlType, name: &str, out: &mut Vec<u8>) -> Result<(), CqlError> {
    match (term, ty.unfrozen()) {
        (Term::List(items), CqlType::List(e)) => {
            items.iter().try_for_each(|t| check_element_kind(t, e, "list", name, "value"))?
        }
        (Term::Set(items), CqlType::Set(e)) => {
            items.iter().try_for_each(|t| check_element_kind(t, e, "set", name, "value"))?
        }
        (Term::Map(entries), CqlType::Map(k, v)) => entries.iter().try_for_each(|(kt, vt)| {
            check_element_kind(kt, k, "map", name, "key")?;
            check_element_kind(vt, v, "map", name, "value")
        })?,
        (Term::Tuple(items), CqlType::Tuple(types)) => items
            .iter()
            .zip(types)
            .enumerate()
            .try_for_each(|(i, (t, e))| check_element_kind(t, e, "tuple", name, &format!("component {i}")))?,
        _ => {}
    }
    match (term, ty.unfrozen()) {
        (Term::List(items), CqlType::List(e)) => {
            let items =
                items.iter().map(|t| Ok((element_bytes(t, e, name)?, None))).collect::<Result<Vec<_>, CqlError>>()?;
            write_items(out, &items);
        }
        (Term::Set(items), CqlType::Set(e)) => {
            let items =
                items.iter().map(|t| Ok((element_bytes(t, e, name)?, None))).collect::<Result<Vec<_>, CqlError>>()?;
            write_items(out, &sorted_unique(items, e));
        }
        (Term::Map(entries), CqlType::Map(k, v)) => {
            let items = entries
                .iter()
                .map(|(kt, vt)| Ok((element_bytes(kt, k, name)?, Some(element_bytes(vt, v, name)?))))
                .collect::<Result<Vec<_>, CqlError>>()?;
            write_items(out, &sorted_unique(items, k));
        }
        (Term::EmptyBraces, CqlType::Set(_) | CqlType::Map(..)) | (Term::List(_), CqlType::Set(_))
            if is_empty(term) =>
        {
            out.extend(0i32.to_be_bytes())
        }
        (Term::Tuple(items), CqlType::Tuple(types)) => {
            if items.len() > types.len() {
                return Err(CqlError::invalid(format!(
                    "Invalid tuple literal for {name}: too many elements. Type {} expects {} but got {}",
                    ty.cql_name(),
                    types.len(),
                    items.len()
                )));
            }
            for (t, ety) in items.iter().zip(types) {
                element_into(t, ety, name, out)?;
            }
        }
        (Term::Udt(entries), CqlType::Udt(udt)) => {
            let receiver =
                Receiver { keyspace: String::new(), table: String::new(), name: name.into(), ty: ty.clone() };
            super::udt::literal_into(entries, udt, &receiver, out)?
        }
        (Term::List(items), CqlType::Vector(..)) => {
            let receiver =
                Receiver { keyspace: String::new(), table: String::new(), name: name.into(), ty: ty.clone() };
            super::vector::literal_into(items, &receiver, out)?
        }
        _ => return Err(not_allowed(term, ty, name)),
    }
    Ok(())
}

fn is_empty(term: &Term) -> bool {
    matches!(term, Term::EmptyBraces) || matches!(term, Term::List(v) if v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recv(ty: CqlType) -> Receiver {
        Receiver { keyspace: "ks".into(), table: "t".into(), name: "c".into(), ty }
    }

    fn constant(term: Term, ty: CqlType) -> Result<Option<Bytes>, CqlError> {
        match analyze_term(&term, &recv(ty), &mut BindSpecs::new(vec![]))? {
            ValueExpr::Const(b) => Ok(b),
            other => panic!("not constant: {other:?}"),
        }
    }

    #[test]
    fn literals_serialize_per_type() {
        let int = constant(Term::Literal(Literal::Integer("-2".into())), CqlType::Int).unwrap().unwrap();
        assert_eq!(&int[..], &(-2i32).to_be_bytes());
        let big = constant(Term::Literal(Literal::Integer("5".into())), CqlType::Bigint).unwrap().unwrap();
        assert_eq!(&big[..], &5i64.to_be_bytes());
        assert!(constant(Term::Literal(Literal::Integer("3000000000".into())), CqlType::Int).is_err());
        assert!(constant(Term::Literal(Literal::String("x".into())), CqlType::Int).is_err());
        assert_eq!(constant(Term::Literal(Literal::Null), CqlType::Int).unwrap(), None);
    }

    #[test]
    fn sets_are_sorted_and_deduplicated() {
        let t = Term::Set(vec![
            Term::Literal(Literal::Integer("3".into())),
            Term::Literal(Literal::Integer("1".into())),
            Term::Literal(Literal::Integer("3".into())),
        ]);
        let b = constant(t, CqlType::Set(Box::new(CqlType::Int))).unwrap().unwrap();
        let expected: Vec<u8> =
            [2i32.to_be_bytes(), 4i32.to_be_bytes(), 1i32.to_be_bytes(), 4i32.to_be_bytes(), 3i32.to_be_bytes()]
                .concat();
        assert_eq!(&b[..], &expected[..]);
    }

    #[test]
    fn markers_take_the_receiver_type() {
        let mut binds = BindSpecs::new(vec![None]);
        let e = analyze_term(
            &Term::Bind(percore_protocol::cql::ast::BindMarker { index: 0, name: None }),
            &recv(CqlType::Text),
            &mut binds,
        )
        .unwrap();
        assert!(matches!(e, ValueExpr::Bind(0)));
        let (specs, _) = binds.finish().unwrap();
        assert_eq!(specs[0].ty, CqlType::Text);
        assert_eq!(specs[0].name, "c");
    }
}
