//! `IF` clauses of lightweight transactions analysed against the table: `IF NOT EXISTS`,
//! `IF EXISTS`, and column conditions (`=`, `!=`, `<`, `<=`, `>`, `>=`, `IN`, on whole
//! columns, map elements, list indexes and user type fields), with Cassandra's refusals.

use percore_protocol::cql::ast::{Condition, ConditionTarget, InValues, Operator, Term};
use percore_protocol::types::CqlType;

use crate::cql::bind::ValueExpr;
use crate::cql::error::CqlError;
use crate::cql::term::{analyze_term, BindSpecs, Receiver};
use crate::model::mutation::ColumnId;
use crate::schema::TableDef;

use super::restrictions::column_id;

/// What a conditional statement requires of the current row.
#[derive(Debug)]
pub enum ConditionPlan {
    NotExists,
    Exists,
    Columns(Vec<ColumnCondition>),
}

/// One `IF` condition on a column (or one element of it).
#[derive(Debug)]
pub struct ColumnCondition {
    pub column: ColumnId,
    /// `m[k]` / `l[i]`: the key or index, and the type of the element compared.
    pub element: Option<(ValueExpr, CqlType)>,
    /// `u.f`: the position and type of the user type field compared.
    pub field: Option<(u16, CqlType)>,
    pub op: Operator,
    pub values: ConditionValues,
}

#[derive(Debug)]
pub enum ConditionValues {
    One(ValueExpr),
    /// `IN (a, b)`.
    List(Vec<ValueExpr>),
    /// `IN ?`: one marker bound to a list.
    Marker(ValueExpr),
}

impl ConditionPlan {
    /// The columns the conditions read (shown with `[applied] = false`): regular columns
    /// first, then static ones, each in order of appearance, as Cassandra lists them.
    pub fn columns(&self, table: &TableDef) -> Vec<ColumnId> {
        let mut out = Vec::new();
        if let ConditionPlan::Columns(conditions) = self {
            for statics in [false, true] {
                for c in conditions {
                    let is_static = table.column(c.column).kind == crate::schema::ColumnKind::Static;
                    if is_static == statics && !out.contains(&c.column) {
                        out.push(c.column);
                    }
                }
            }
        }
        out
    }
}

fn receiver(table: &TableDef, name: String, ty: CqlType) -> Receiver {
    Receiver { keyspace: table.keyspace.clone(), table: table.name.clone(), name, ty }
}

/// Analyses the IF clause of a statement (`if_not_exists` for INSERT, `if_exists` and
/// `conditions` for UPDATE and DELETE).
pub fn analyze(
    table: &TableDef,
    if_not_exists: bool,
    if_exists: bool,
    conditions: &[Condition],
    binds: &mut BindSpecs,
) -> Result<Option<ConditionPlan>, CqlError> {
    if if_not_exists {
        return Ok(Some(ConditionPlan::NotExists));
    }
    if if_exists {
        return Ok(Some(ConditionPlan::Exists));
    }
    if conditions.is_empty() {
        return Ok(None);
    }
    let analysed = conditions.iter().map(|c| analyze_condition(table, c, binds)).collect::<Result<_, _>>()?;
    Ok(Some(ConditionPlan::Columns(analysed)))
}

fn analyze_condition(
    table: &TableDef,
    condition: &Condition,
    binds: &mut BindSpecs,
) -> Result<ColumnCondition, CqlError> {
    let target = match condition {
        Condition::Compare { target, .. } | Condition::In { target, .. } => target,
    };
    let (name, key, field) = match target {
        ConditionTarget::Column(n) => (n, None, None),
        ConditionTarget::Element { column, key } => (column, Some(key), None),
        ConditionTarget::Field { column, field } => (column, None, Some(field)),
    };
    let id = column_id(table, name)?;
    let column = table.column(id);
    if column.kind.is_primary_key() {
        return Err(CqlError::invalid(format!("PRIMARY KEY column '{name}' cannot have IF conditions")));
    }
    let element = match key {
        None => None,
        Some(key) => {
            let (key_ty, value_ty, key_name) = match column.ty.unfrozen() {
                CqlType::List(e) => (CqlType::Int, (**e).clone(), "idx"),
                CqlType::Map(k, v) => ((**k).clone(), (**v).clone(), "key"),
                _ => {
                    return Err(CqlError::invalid(format!(
                        "Invalid element access syntax for non-collection column {name}"
                    )))
                }
            };
            let key = analyze_term(key, &receiver(table, format!("{key_name}({name})"), key_ty), binds)?;
            Some((key, value_ty))
        }
    };
    let (field, name) = match field {
        Some(f) => (Some(udt_field(&column.ty, name, f)?), format!("{name}.{f}")),
        None => (None, name.clone()),
    };
    let name = &name;
    let compared_ty = match (&element, &field) {
        (Some((_, ty)), _) | (_, Some((_, ty))) => ty.clone(),
        _ => column.ty.clone(),
    };
    let value_receiver = receiver(table, name.clone(), compared_ty.clone());
    let (op, values) = match condition {
        Condition::Compare { op, value, .. } => {
            if matches!(op, Operator::Contains | Operator::ContainsKey | Operator::Like) {
                return Err(CqlError::invalid(format!(
                    "Unsupported operator {} in a condition on {name}",
                    super::cql_text::operator_text(*op)
                )));
            }
            if is_null(value) && !matches!(op, Operator::Eq | Operator::Neq) {
                return Err(CqlError::invalid(format!(
                    "Invalid comparison with null for operator \"{}\"",
                    op_text(*op)
                )));
            }
            (*op, ConditionValues::One(analyze_term(value, &value_receiver, binds)?))
        }
        Condition::In { values: InValues::List(items), .. } => {
            let items = items.iter().map(|t| analyze_term(t, &value_receiver, binds)).collect::<Result<_, _>>()?;
            (Operator::Eq, ConditionValues::List(items))
        }
        Condition::In { values: InValues::Marker(m), .. } => {
            let list = receiver(table, format!("in({name})"), CqlType::List(Box::new(compared_ty)));
            (Operator::Eq, ConditionValues::Marker(analyze_term(&Term::Bind(m.clone()), &list, binds)?))
        }
    };
    Ok(ColumnCondition { column: id, element, field, op, values })
}

/// The position and type of field `field` of a user type column.
fn udt_field(ty: &CqlType, column: &str, field: &str) -> Result<(u16, CqlType), CqlError> {
    let CqlType::Udt(udt) = ty.unfrozen() else {
        return Err(CqlError::invalid(format!(
            "Invalid field selection: {column} of type {} is not a user type",
            ty.cql_name()
        )));
    };
    udt.fields
        .iter()
        .position(|(f, _)| f == field)
        .and_then(|i| Some((u16::try_from(i).ok()?, udt.fields[i].1.clone())))
        .ok_or_else(|| CqlError::invalid(format!("Unknown field {field} for column {column}")))
}

fn is_null(term: &Term) -> bool {
    matches!(term, Term::Literal(percore_protocol::cql::ast::Literal::Null))
}

pub fn op_text(op: Operator) -> &'static str {
    match op {
        Operator::Eq => "=",
        Operator::Neq => "!=",
        Operator::Lt => "<",
        Operator::Lte => "<=",
        Operator::Gt => ">",
        Operator::Gte => ">=",
        Operator::Contains => "CONTAINS",
        Operator::ContainsKey => "CONTAINS KEY",
        Operator::Like => "LIKE",
    }
}
