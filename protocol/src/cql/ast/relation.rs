//! `WHERE` relations and `IF` conditions.

use super::term::{BindMarker, Term};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Eq,
    Lt,
    Lte,
    Gt,
    Gte,
    Neq,
    Contains,
    ContainsKey,
    Like,
}

/// The right-hand side of `IN`.
#[derive(Debug, Clone, PartialEq)]
pub enum InValues {
    /// `IN (a, b, …)` (possibly empty; for multi-column `IN` the items are tuples or markers)
    List(Vec<Term>),
    /// `IN ?` / `IN :name`: one marker bound to the whole list.
    Marker(BindMarker),
}

/// One relation of a `WHERE` clause (the clause is their conjunction).
#[derive(Debug, Clone, PartialEq)]
pub enum Relation {
    /// `col op value`; op is any [`Operator`] (incl. `CONTAINS [KEY]`, `LIKE`).
    Simple { column: String, op: Operator, value: Term },
    /// `col[key] op value` (a map element).
    MapElement { column: String, key: Term, op: Operator, value: Term },
    /// `col IN …`
    In { column: String, values: InValues },
    /// `TOKEN(a, b) op value`; the value is often `token(?, ?)` (a function call term).
    Token { columns: Vec<String>, op: Operator, value: Term },
    /// `(a, b) op value`; the value is a tuple literal or a bind marker.
    MultiColumn { columns: Vec<String>, op: Operator, value: Term },
    /// `(a, b) IN …`
    MultiColumnIn { columns: Vec<String>, values: InValues },
    /// `col IS NOT NULL`
    IsNotNull { column: String },
}

/// What an `IF` condition tests.
#[derive(Debug, Clone, PartialEq)]
pub enum ConditionTarget {
    Column(String),
    /// `col[key]`
    Element {
        column: String,
        key: Term,
    },
    /// `col.field`
    Field {
        column: String,
        field: String,
    },
}

/// One condition of a lightweight transaction (`IF a = 1 AND b[2] > 3 AND c IN (…)`).
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Compare { target: ConditionTarget, op: Operator, value: Term },
    In { target: ConditionTarget, values: InValues },
}
