//! `SELECT`.

use super::common::{Ordering, QualifiedName};
use super::relation::Relation;
use super::term::Term;
use super::type_expr::TypeExpr;

/// `SELECT [JSON] [DISTINCT] selection FROM table [WHERE …] [GROUP BY …] [ORDER BY …]
/// [PER PARTITION LIMIT n] [LIMIT n] [ALLOW FILTERING] [BYPASS CACHE] [USING TIMEOUT d]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SelectStatement {
    pub json: bool,
    pub distinct: bool,
    pub selection: Selection,
    pub from: QualifiedName,
    pub where_clause: Vec<Relation>,
    pub group_by: Vec<String>,
    pub order_by: Vec<(String, Ordering)>,
    pub per_partition_limit: Option<Term>,
    pub limit: Option<Term>,
    pub allow_filtering: bool,
    /// ScyllaDB's `BYPASS CACHE`.
    pub bypass_cache: bool,
    /// ScyllaDB's `USING TIMEOUT d`.
    pub timeout: Option<Term>,
}

/// What a `SELECT` returns.
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    /// `*`
    All,
    Selectors(Vec<Selector>),
}

/// One selected expression with its optional `AS alias`.
#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    pub expr: SelectorExpr,
    pub alias: Option<String>,
}

/// A selected expression.
#[derive(Debug, Clone, PartialEq)]
pub enum SelectorExpr {
    Column(String),
    /// `fn(a, b)`; the name is lowercased unless quoted. `count(x)` (other than `count(*)`
    /// and `count(1)`) is a function call named `count`.
    FunctionCall {
        name: QualifiedName,
        args: Vec<SelectorExpr>,
    },
    /// `COUNT(*)` or `COUNT(1)`.
    CountAll,
    /// `WRITETIME(col)`
    WriteTime(String),
    /// `TTL(col)`
    Ttl(String),
    /// `CAST(expr AS type)`
    Cast {
        expr: Box<SelectorExpr>,
        ty: TypeExpr,
    },
    /// A constant, `NULL` or a bind marker.
    Term(Term),
    /// `expr.field` (a UDT field).
    FieldAccess {
        expr: Box<SelectorExpr>,
        field: String,
    },
    /// `expr[key]` (a collection element).
    ElementAccess {
        expr: Box<SelectorExpr>,
        key: Term,
    },
}
