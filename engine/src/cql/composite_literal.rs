//! Tuple, list, set and map literals with bind markers or functions among their parts,
//! e.g. `SET tags = tags + {?}` or `(c, d) IN ((?, ?), (?, ?))`. Each part is analysed
//! against its element's type (so nested literals and user types work at any depth) and
//! the value is serialized when the statement is executed, with Cassandra's rules: a null
//! element is refused inside a collection, an unset element makes the whole collection
//! unset, and a tuple component may be null but not unset.

use bytes::Bytes;
use percore_protocol::cql::ast::Term;
use percore_protocol::types::CqlType;

use super::bind::{BoundValues, Evaluated, ValueExpr};
use super::error::CqlError;
use super::term::{analyze_term, sorted_unique, write_items, BindSpecs, Receiver};

/// Whether a literal has a bind marker or a function call anywhere inside it.
pub fn has_non_constant_part(term: &Term) -> bool {
    match term {
        Term::Bind(_) | Term::FunctionCall { .. } => true,
        Term::Tuple(items) | Term::List(items) | Term::Set(items) => items.iter().any(has_non_constant_part),
        Term::Map(entries) => entries.iter().any(|(k, v)| has_non_constant_part(k) || has_non_constant_part(v)),
        Term::Udt(fields) => fields.iter().any(|(_, t)| has_non_constant_part(t)),
        Term::TypeCast { term, .. } => has_non_constant_part(term),
        _ => false,
    }
}

fn part_receiver(receiver: &Receiver, name: String, ty: &CqlType) -> Receiver {
    Receiver { name, ty: ty.clone(), ..receiver.clone() }
}

fn analyze_parts<'a>(
    terms: impl Iterator<Item = (&'a Term, Receiver)>,
    binds: &mut BindSpecs,
) -> Result<Vec<ValueExpr>, CqlError> {
    terms.map(|(t, r)| analyze_term(t, &r, binds)).collect()
}

/// Analyses a tuple, list, set or map literal whose parts are not all constants; the
/// marker names are Cassandra's (`value(c)`, `key(c)`, `c[i]`).
pub fn analyze(term: &Term, receiver: &Receiver, binds: &mut BindSpecs) -> Result<ValueExpr, CqlError> {
    let name = &receiver.name;
    let parts = match (term, receiver.ty.unfrozen()) {
        (Term::List(items), CqlType::List(e)) | (Term::Set(items) | Term::List(items), CqlType::Set(e)) => {
            analyze_parts(items.iter().map(|t| (t, part_receiver(receiver, format!("value({name})"), e))), binds)?
        }
        (Term::Map(entries), CqlType::Map(k, v)) => analyze_parts(
            entries.iter().flat_map(|(kt, vt)| {
                [
                    (kt, part_receiver(receiver, format!("key({name})"), k)),
                    (vt, part_receiver(receiver, format!("value({name})"), v)),
                ]
            }),
            binds,
        )?,
        (Term::Tuple(items), CqlType::Tuple(types)) => {
            if items.len() > types.len() {
                return Err(CqlError::invalid(format!(
                    "Invalid tuple literal for {name}: too many elements. Type {} expects {} but got {}",
                    receiver.ty.cql_name(),
                    types.len(),
                    items.len()
                )));
            }
            analyze_parts(
                items
                    .iter()
                    .zip(types)
                    .enumerate()
                    .map(|(i, (t, ty))| (t, part_receiver(receiver, format!("{name}[{i}]"), ty))),
                binds,
            )?
        }
        _ => {
            return Err(CqlError::invalid(format!("Invalid literal for \"{name}\" of type {}", receiver.ty.cql_name())))
        }
    };
    Ok(ValueExpr::Composite(Box::new(receiver.ty.clone()), parts))
}

/// Serializes a composite literal for one execution.
pub fn bind_literal(
    ty: &CqlType,
    parts: &[ValueExpr],
    values: &BoundValues,
    receiver: &str,
) -> Result<Evaluated, CqlError> {
    let element = |part: &ValueExpr, ty: &CqlType| -> Result<Option<Bytes>, CqlError> {
        match part.eval(values, ty, receiver)? {
            Evaluated::Value(b) => Ok(Some(b)),
            Evaluated::Null => Err(CqlError::invalid("null is not supported inside collections".into())),
            Evaluated::Unset => Ok(None),
        }
    };
    let mut out = Vec::new();
    match ty.unfrozen() {
        CqlType::List(e) | CqlType::Set(e) => {
            let mut items = Vec::with_capacity(parts.len());
            for part in parts {
                let Some(b) = element(part, e)? else { return Ok(Evaluated::Unset) };
                items.push((b, None));
            }
            if matches!(ty.unfrozen(), CqlType::Set(_)) {
                items = sorted_unique(items, e);
            }
            write_items(&mut out, &items);
        }
        CqlType::Map(k, v) => {
            let mut items = Vec::with_capacity(parts.len() / 2);
            for pair in parts.chunks_exact(2) {
                let (Some(key), Some(value)) = (element(&pair[0], k)?, element(&pair[1], v)?) else {
                    return Ok(Evaluated::Unset);
                };
                items.push((key, Some(value)));
            }
            write_items(&mut out, &sorted_unique(items, k));
        }
        CqlType::Tuple(types) => {
            for (i, (part, ty)) in parts.iter().zip(types).enumerate() {
                match part.eval(values, ty, receiver)? {
                    Evaluated::Value(b) => {
                        out.extend((b.len() as i32).to_be_bytes());
                        out.extend_from_slice(&b);
                    }
                    Evaluated::Null => out.extend((-1i32).to_be_bytes()),
                    Evaluated::Unset => {
                        return Err(CqlError::invalid(format!("Invalid unset value for tuple field number {i}")))
                    }
                }
            }
        }
        other => unreachable!("composite literal of type {}", other.cql_name()),
    }
    ty.validate(&out).map_err(|e| CqlError::invalid(format!("Invalid value for {receiver}: {e}")))?;
    Ok(Evaluated::Value(Bytes::from(out)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use percore_protocol::cql::ast::BindMarker;
    use percore_protocol::wire::Value;

    fn marker(index: usize) -> Term {
        Term::Bind(BindMarker { index, name: None })
    }

    fn receiver(ty: CqlType) -> Receiver {
        Receiver { keyspace: "ks".into(), table: "t".into(), name: "c".into(), ty }
    }

    fn int(v: i32) -> Value {
        Value::Bytes(Bytes::copy_from_slice(&v.to_be_bytes()))
    }

    fn bound(values: Vec<Value>) -> BoundValues {
        let names = vec![None; values.len()];
        BoundValues::resolve(percore_protocol::request::Values::Positional(values), &names).unwrap()
    }

    #[test]
    fn set_elements_are_sorted_and_deduplicated_when_bound() {
        let ty = CqlType::Set(Box::new(CqlType::Int));
        let term = Term::Set(vec![marker(0), marker(1), marker(2)]);
        let mut binds = BindSpecs::default();
        let expr = analyze(&term, &receiver(ty.clone()), &mut binds).unwrap();
        let got = expr.eval(&bound(vec![int(3), int(1), int(3)]), &ty, "c").unwrap();
        let mut want = 2i32.to_be_bytes().to_vec();
        for v in [1i32, 3] {
            want.extend(4i32.to_be_bytes());
            want.extend(v.to_be_bytes());
        }
        assert_eq!(got, Evaluated::Value(Bytes::from(want)));
    }

    #[test]
    fn null_element_is_refused_and_unset_makes_the_collection_unset() {
        let ty = CqlType::List(Box::new(CqlType::Int));
        let term = Term::List(vec![marker(0), marker(1)]);
        let expr = analyze(&term, &receiver(ty.clone()), &mut BindSpecs::default()).unwrap();
        let err = expr.eval(&bound(vec![int(1), Value::Null]), &ty, "c").unwrap_err();
        assert!(err.to_string().contains("null is not supported inside collections"), "{err}");
        assert_eq!(expr.eval(&bound(vec![int(1), Value::Unset]), &ty, "c").unwrap(), Evaluated::Unset);
    }

    #[test]
    fn tuple_components_may_be_null() {
        let ty = CqlType::Tuple(vec![CqlType::Int, CqlType::Int]);
        let term = Term::Tuple(vec![marker(0), marker(1)]);
        let expr = analyze(&term, &receiver(ty.clone()), &mut BindSpecs::default()).unwrap();
        let got = expr.eval(&bound(vec![int(7), Value::Null]), &ty, "c").unwrap();
        let mut want = 4i32.to_be_bytes().to_vec();
        want.extend(7i32.to_be_bytes());
        want.extend((-1i32).to_be_bytes());
        assert_eq!(got, Evaluated::Value(Bytes::from(want)));
    }
}
