//! What UPDATE's `SET` items and DELETE's selectors do to one column, analysed against the
//! column's type with Cassandra's refusals: overwrites, collection appends, prepends,
//! additions and removals, element writes and deletions, counter increments, and the field
//! writes and deletions of non-frozen user types.

use percore_protocol::cql::ast::{Assignment, DeleteSelector, Literal, Term};
use percore_protocol::types::{CqlType, UdtType};

use crate::cql::bind::ValueExpr;
use crate::cql::error::CqlError;
use crate::cql::term::{analyze_term, BindSpecs, Receiver};
use crate::model::mutation::ColumnId;
use crate::schema::TableDef;

use super::restrictions::column_id;

/// One `SET` item (or an INSERT value, always [`Operation::Set`]).
#[derive(Debug)]
pub enum Operation {
    /// `c = v`: for a non-frozen collection, the old elements are deleted.
    Set(ValueExpr),
    /// `c = c + v`: list append, set/map addition, counter increment.
    Add(ValueExpr),
    /// `c = v + c`: list prepend.
    Prepend(ValueExpr),
    /// `c = c - v`: set/map element removal (`v` is a set of keys for a map), list value
    /// removal, counter decrement.
    Subtract(ValueExpr),
    /// `m[k] = v` or `l[i] = v`.
    SetElement { key: ValueExpr, value: ValueExpr },
    /// `u.f = v` on a non-frozen user type: the field at this position.
    SetField { field: u16, value: ValueExpr },
}

impl Operation {
    /// Whether the operation depends on the current value, read on the owner shard.
    pub fn reads_current_value(&self, ty: &CqlType) -> bool {
        match self {
            Operation::Add(_) | Operation::Subtract(_) if ty.is_counter() => true,
            Operation::Subtract(_) | Operation::SetElement { .. } => matches!(ty, CqlType::List(_)),
            _ => false,
        }
    }
}

/// One DELETE selector.
#[derive(Debug)]
pub enum Deletion {
    /// `DELETE c`: the cell or the whole collection.
    Column,
    /// `DELETE c[k]`: a map key, a set element or a list index.
    Element(ValueExpr),
    /// `DELETE u.f`: the field at this position of a non-frozen user type.
    Field(u16),
}

impl Deletion {
    pub fn reads_current_value(&self, ty: &CqlType) -> bool {
        matches!(self, Deletion::Element(_)) && matches!(ty, CqlType::List(_))
    }
}

fn receiver(table: &TableDef, name: String, ty: CqlType) -> Receiver {
    Receiver { keyspace: table.keyspace.clone(), table: table.name.clone(), name, ty }
}

fn column_receiver(table: &TableDef, id: ColumnId) -> Receiver {
    let c = table.column(id);
    receiver(table, c.name.clone(), c.ty.clone())
}

/// The text of a term as Cassandra prints it in error messages.
pub fn term_text(term: &Term) -> String {
    let list = |items: &[Term]| items.iter().map(term_text).collect::<Vec<_>>().join(", ");
    match term {
        Term::Literal(Literal::String(s)) => format!("'{}'", s.replace('\'', "''")),
        Term::Literal(Literal::Integer(s) | Literal::Float(s) | Literal::Uuid(s) | Literal::Duration(s)) => s.clone(),
        Term::Literal(Literal::Boolean(b)) => b.to_string(),
        Term::Literal(Literal::Blob(b)) => format!("0x{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>()),
        Term::Literal(Literal::Null) => "null".into(),
        Term::Bind(m) => m.name.as_ref().map_or("?".into(), |n| format!(":{n}")),
        Term::List(items) => format!("[{}]", list(items)),
        Term::Set(items) => format!("{{{}}}", list(items)),
        Term::Tuple(items) => format!("({})", list(items)),
        Term::EmptyBraces => "{}".into(),
        Term::Map(entries) => format!(
            "{{{}}}",
            entries.iter().map(|(k, v)| format!("{}: {}", term_text(k), term_text(v))).collect::<Vec<_>>().join(", ")
        ),
        Term::Udt(fields) => format!(
            "{{{}}}",
            fields.iter().map(|(k, v)| format!("{k}: {}", term_text(v))).collect::<Vec<_>>().join(", ")
        ),
        Term::FunctionCall { name, args } => format!("{}({})", name.name, list(args)),
        Term::TypeCast { ty, term } => format!("({ty:?}){}", term_text(term)),
    }
}

/// The position and type of `field` in the type of `column`.
fn udt_field(udt: &UdtType, column: &str, field: &str) -> Result<(u16, CqlType), CqlError> {
    udt.fields
        .iter()
        .position(|(f, _)| f == field)
        .and_then(|i| Some((u16::try_from(i).ok()?, udt.fields[i].1.clone())))
        .ok_or_else(|| CqlError::invalid(format!("UDT column {column} does not have a field named {field}")))
}

fn refuse_primary_key(table: &TableDef, id: ColumnId) -> Result<(), CqlError> {
    let c = table.column(id);
    if c.kind.is_primary_key() {
        return Err(CqlError::invalid(format!("PRIMARY KEY part {} found in SET part", c.name)));
    }
    Ok(())
}

/// Analyses one `SET` item.
pub fn analyze_assignment(
    a: &Assignment,
    table: &TableDef,
    binds: &mut BindSpecs,
) -> Result<(ColumnId, Operation), CqlError> {
    let (column, text) = match a {
        Assignment::Set { column, value } => (column, format!("{column} = {}", term_text(value))),
        Assignment::Add { column, value } => (column, format!("{column} = {column} + {}", term_text(value))),
        Assignment::Subtract { column, value } => (column, format!("{column} = {column} - {}", term_text(value))),
        Assignment::Prepend { column, value } => (column, format!("{column} = {} + {column}", term_text(value))),
        Assignment::SetElement { column, key, value } => {
            (column, format!("{column}[{}] = {}", term_text(key), term_text(value)))
        }
        Assignment::SetField { column, field, value } => (column, format!("{column}.{field} = {}", term_text(value))),
    };
    let id = column_id(table, column)?;
    refuse_primary_key(table, id)?;
    let ty = table.column(id).ty.clone();
    let invalid = |what: &str| Err(CqlError::invalid(format!("Invalid operation ({text}) for {what} column {column}")));
    let op = match a {
        Assignment::Set { value, .. } => {
            if ty.is_counter() {
                return Err(CqlError::invalid(format!(
                    "Cannot set the value of counter column {column} (counters can only be incremented/decremented, not set)"
                )));
            }
            Operation::Set(analyze_term(value, &column_receiver(table, id), binds)?)
        }
        Assignment::Add { value, .. } | Assignment::Subtract { value, .. } => {
            let is_add = matches!(a, Assignment::Add { .. });
            let value_receiver = match &ty {
                CqlType::Counter => column_receiver(table, id),
                CqlType::Map(k, _) if !is_add => receiver(table, column.clone(), CqlType::Set(k.clone())),
                CqlType::List(_) | CqlType::Set(_) | CqlType::Map(..) => column_receiver(table, id),
                t if t.is_collection() => return invalid("frozen collection"),
                CqlType::Tuple(_) => return invalid("tuple"),
                _ => return invalid("non counter"),
            };
            let value = analyze_term(value, &value_receiver, binds)?;
            if is_add {
                Operation::Add(value)
            } else {
                Operation::Subtract(value)
            }
        }
        Assignment::Prepend { value, .. } => match &ty {
            CqlType::List(_) => Operation::Prepend(analyze_term(value, &column_receiver(table, id), binds)?),
            t if matches!(t.unfrozen(), CqlType::List(_)) => return invalid("frozen list"),
            _ => return invalid("non list"),
        },
        Assignment::SetElement { key, value, .. } => {
            let (key_ty, value_ty) = match &ty {
                CqlType::List(e) => (CqlType::Int, (**e).clone()),
                CqlType::Map(k, v) => ((**k).clone(), (**v).clone()),
                CqlType::Set(_) => return invalid("set"),
                t if t.is_collection() => return invalid("frozen collection"),
                _ => return invalid("non collection"),
            };
            let key_name = if matches!(ty, CqlType::List(_)) { "idx" } else { "key" };
            let key = analyze_term(key, &receiver(table, format!("{key_name}({column})"), key_ty), binds)?;
            let value = analyze_term(value, &receiver(table, format!("value({column})"), value_ty), binds)?;
            Operation::SetElement { key, value }
        }
        Assignment::SetField { field, value, .. } => {
            let CqlType::Udt(udt) = &ty else {
                return invalid(if matches!(ty.unfrozen(), CqlType::Udt(_)) { "frozen UDT" } else { "non-UDT" });
            };
            let (index, field_ty) = udt_field(udt, column, field)?;
            let value = analyze_term(value, &receiver(table, format!("{column}.{field}"), field_ty), binds)?;
            Operation::SetField { field: index, value }
        }
    };
    Ok((id, op))
}

/// Analyses one DELETE selector.
pub fn analyze_deletion(
    selector: &DeleteSelector,
    table: &TableDef,
    binds: &mut BindSpecs,
) -> Result<(ColumnId, Deletion), CqlError> {
    let name = match selector {
        DeleteSelector::Column(n)
        | DeleteSelector::Element { column: n, .. }
        | DeleteSelector::Field { column: n, .. } => n,
    };
    let id = column_id(table, name)?;
    if table.column(id).kind.is_primary_key() {
        return Err(CqlError::invalid(format!(
            "Invalid identifier {name} for deletion (should not be a PRIMARY KEY part)"
        )));
    }
    let ty = table.column(id).ty.clone();
    let deletion = match selector {
        DeleteSelector::Column(_) => Deletion::Column,
        DeleteSelector::Element { key, .. } => {
            let key_ty = match &ty {
                CqlType::List(_) => CqlType::Int,
                CqlType::Set(e) => (**e).clone(),
                CqlType::Map(k, _) => (**k).clone(),
                t if t.is_collection() => {
                    return Err(CqlError::invalid(format!(
                        "Invalid deletion operation for frozen collection column {name}"
                    )))
                }
                _ => {
                    return Err(CqlError::invalid(format!(
                        "Invalid deletion operation for non collection column {name}"
                    )))
                }
            };
            let key_name = if matches!(ty, CqlType::List(_)) { "idx" } else { "key" };
            Deletion::Element(analyze_term(key, &receiver(table, format!("{key_name}({name})"), key_ty), binds)?)
        }
        DeleteSelector::Field { field, .. } => match &ty {
            CqlType::Udt(udt) => Deletion::Field(udt_field(udt, name, field)?.0),
            t if matches!(t.unfrozen(), CqlType::Udt(_)) => {
                return Err(CqlError::invalid(format!("Frozen UDT column {name} does not support field deletion")))
            }
            _ => return Err(CqlError::invalid(format!("Invalid field deletion operation for non-UDT column {name}"))),
        },
    };
    Ok((id, deletion))
}
