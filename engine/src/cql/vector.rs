//! Vector values in statements, as Cassandra 5.0's `Vectors.Literal` has them: `[e1, …, en]`
//! for a `vector<element, n>` receiver must have exactly `n` elements, each of a kind the
//! element type takes (a marker inside is named `value(v)`, like a list element's). A literal
//! of constants is serialized at analysis; one with markers or function calls inside is
//! assembled when bound. No element may be null or unset. Vectors are not collections:
//! element writes and additions are refused where operations are analysed, with
//! Cassandra's non-collection messages.

use bytes::Bytes;
use percore_protocol::cql::ast::{Literal, Term, TypeExpr};
use percore_protocol::types::{push_vector_element, CqlType, ValueError};

use super::bind::{BoundValues, Evaluated, ValueExpr};
use super::error::CqlError;
use super::statement::operation::term_text;
use super::term::{analyze_term, literal_fits, BindSpecs, Receiver};

/// The receiver's element type and dimension; `None` when it is not a vector.
fn vector_of(receiver: &Receiver) -> Option<(&CqlType, u32)> {
    match receiver.ty.unfrozen() {
        CqlType::Vector(element, dimension) => Some((element, *dimension)),
        _ => None,
    }
}

fn null_inside() -> CqlError {
    CqlError::invalid(ValueError::NullInVector.to_string())
}

/// `Vectors.Literal.prepare`'s checks: the element count, then each element's kind.
fn check_literal(items: &[Term], element: &CqlType, dimension: u32, receiver: &Receiver) -> Result<(), CqlError> {
    if usize::try_from(dimension).ok() != Some(items.len()) {
        return Err(CqlError::invalid(format!(
            "Invalid vector literal for {} of type {}; expected {dimension} elements, but given {}",
            receiver.name,
            receiver.ty.cql_name(),
            items.len()
        )));
    }
    let not_of_type = |text: String| {
        CqlError::invalid(format!(
            "Invalid vector literal for {}: value {text} is not of type {}",
            receiver.name,
            element.cql_name()
        ))
    };
    for item in items {
        match item {
            Term::Literal(Literal::Null) => return Err(null_inside()),
            Term::Literal(l) if !literal_fits(l, element.unfrozen()) => return Err(not_of_type(term_text(item))),
            Term::TypeCast { ty: TypeExpr::Native(name), term }
                if CqlType::from_native_name(name).as_ref() != Some(element.unfrozen()) =>
            {
                return Err(not_of_type(format!("({}){}", name.to_ascii_lowercase(), term_text(term))));
            }
            _ => {}
        }
    }
    Ok(())
}

/// The receiver of the elements: `value(v)`, of the element type.
fn element_receiver(receiver: &Receiver, element: &CqlType) -> Receiver {
    Receiver { name: format!("value({})", receiver.name), ty: element.clone(), ..receiver.clone() }
}

/// Appends one element's bytes to a vector value being built.
fn push_element(element: &CqlType, bytes: &[u8], out: &mut Vec<u8>) -> Result<(), CqlError> {
    push_vector_element(element, bytes, out).map_err(|e| CqlError::invalid(e.to_string()))
}

/// A literal for a vector receiver: a constant, or an expression bound later when an
/// element holds a marker or a function call.
pub fn analyze_literal(items: &[Term], receiver: &Receiver, binds: &mut BindSpecs) -> Result<ValueExpr, CqlError> {
    let Some((element, dimension)) = vector_of(receiver) else {
        return Err(CqlError::server(format!(
            "vector literal for {} of type {}",
            receiver.name,
            receiver.ty.cql_name()
        )));
    };
    check_literal(items, element, dimension, receiver)?;
    let element_receiver = element_receiver(receiver, element);
    let exprs = items.iter().map(|t| analyze_term(t, &element_receiver, binds)).collect::<Result<Vec<_>, _>>()?;
    if !exprs.iter().all(|e| matches!(e, ValueExpr::Const(_))) {
        return Ok(ValueExpr::Vector(Box::new(element.clone()), exprs));
    }
    let mut out = Vec::new();
    for expr in &exprs {
        match expr {
            ValueExpr::Const(Some(b)) => push_element(element, b, &mut out)?,
            _ => return Err(null_inside()),
        }
    }
    Ok(ValueExpr::Const(Some(Bytes::from(out))))
}

/// A vector literal inside a collection or another literal: constants only.
pub fn literal_into(items: &[Term], receiver: &Receiver, out: &mut Vec<u8>) -> Result<(), CqlError> {
    if items.iter().any(|t| matches!(t, Term::Bind(_) | Term::FunctionCall { .. })) {
        return Err(CqlError::invalid(format!(
            "Bind markers and functions inside nested vector literals are not supported yet (\"{}\")",
            receiver.name
        )));
    }
    match analyze_literal(items, receiver, &mut BindSpecs::new(vec![]))? {
        ValueExpr::Const(Some(b)) => out.extend_from_slice(&b),
        _ => return Err(CqlError::server(format!("non-constant vector literal for {}", receiver.name))),
    }
    Ok(())
}

/// Binds a literal with markers: every element evaluated; a null or unset one is refused
/// (`Vectors.DelayedValue.bind`).
pub fn bind_literal(
    element: &CqlType,
    items: &[ValueExpr],
    values: &BoundValues,
    receiver: &str,
) -> Result<Evaluated, CqlError> {
    let mut out = Vec::new();
    for expr in items {
        match expr.eval(values, element, receiver)? {
            Evaluated::Value(b) => push_element(element, &b, &mut out)?,
            Evaluated::Null | Evaluated::Unset => return Err(null_inside()),
        }
    }
    Ok(Evaluated::Value(Bytes::from(out)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use percore_protocol::cql::ast::BindMarker;
    use percore_protocol::request::Values;
    use percore_protocol::wire::Value;

    fn recv(ty: CqlType) -> Receiver {
        Receiver { keyspace: "ks".into(), table: "t".into(), name: "v".into(), ty }
    }

    fn floats3() -> CqlType {
        CqlType::Vector(Box::new(CqlType::Float), 3)
    }

    fn num(s: &str) -> Term {
        if s.contains('.') {
            Term::Literal(Literal::Float(s.into()))
        } else {
            Term::Literal(Literal::Integer(s.into()))
        }
    }

    fn analyze(items: Vec<Term>, ty: CqlType) -> Result<ValueExpr, CqlError> {
        analyze_term(&Term::List(items), &recv(ty), &mut BindSpecs::new(vec![None, None]))
    }

    #[test]
    fn constant_literals_serialize_without_lengths() {
        let ValueExpr::Const(Some(b)) = analyze(vec![num("1.0"), num("2.5"), num("3")], floats3()).unwrap() else {
            panic!("not a constant");
        };
        let expected: Vec<u8> = [1.0f32, 2.5, 3.0].iter().flat_map(|f| f.to_be_bytes()).collect();
        assert_eq!(&b[..], &expected[..]);
        let texts = CqlType::Vector(Box::new(CqlType::Text), 2);
        let items = vec![Term::Literal(Literal::String("ab".into())), Term::Literal(Literal::String(String::new()))];
        let ValueExpr::Const(Some(b)) = analyze(items, texts).unwrap() else { panic!("not a constant") };
        assert_eq!(&b[..], &[2, b'a', b'b', 0][..]);
    }

    #[test]
    fn refusals_have_cassandras_messages() {
        let message = |items, ty| analyze(items, ty).unwrap_err().message;
        assert_eq!(
            message(vec![num("1"), num("2")], floats3()),
            "Invalid vector literal for v of type vector<float, 3>; expected 3 elements, but given 2"
        );
        let ints = CqlType::Vector(Box::new(CqlType::Int), 2);
        assert_eq!(
            message(vec![Term::Literal(Literal::String("a".into())), num("2")], ints.clone()),
            "Invalid vector literal for v: value 'a' is not of type int"
        );
        assert_eq!(
            message(vec![num("1.5"), num("2")], ints.clone()),
            "Invalid vector literal for v: value 1.5 is not of type int"
        );
        let cast = Term::TypeCast { ty: TypeExpr::Native("bigint".into()), term: Box::new(num("1")) };
        assert_eq!(
            message(vec![cast, num("2")], ints.clone()),
            "Invalid vector literal for v: value (bigint)1 is not of type int"
        );
        assert_eq!(message(vec![Term::Literal(Literal::Null), num("2")], ints), "null is not supported inside vectors");
    }

    #[test]
    fn markers_inside_are_bound_and_checked() {
        let marker = |index| Term::Bind(BindMarker { index, name: None });
        let mut binds = BindSpecs::new(vec![None, None]);
        let expr =
            analyze_term(&Term::List(vec![num("1"), marker(0), marker(1)]), &recv(floats3()), &mut binds).unwrap();
        assert!(matches!(expr, ValueExpr::Vector(..)));
        let (specs, names) = binds.finish().unwrap();
        assert_eq!((specs[0].name.as_str(), &specs[0].ty), ("value(v)", &CqlType::Float));
        let bound = |a: Value, b: Value| BoundValues::resolve(Values::Positional(vec![a, b]), &names).unwrap();
        let two = Value::Bytes(Bytes::from(2.0f32.to_be_bytes().to_vec()));
        let values = bound(two.clone(), two.clone());
        let Evaluated::Value(b) = expr.eval(&values, &floats3(), "v").unwrap() else { panic!("no value") };
        assert_eq!(b.len(), 12);
        let values = bound(two.clone(), Value::Null);
        assert_eq!(expr.eval(&values, &floats3(), "v").unwrap_err().message, "null is not supported inside vectors");
        let values = bound(two, Value::Bytes(Bytes::new()));
        assert_eq!(expr.eval(&values, &floats3(), "v").unwrap_err().message, "null is not supported inside vectors");
    }
}
