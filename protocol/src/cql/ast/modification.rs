//! Data modification: `INSERT`, `UPDATE`, `DELETE` and `BATCH`.

use super::common::{QualifiedName, UsingClause};
use super::relation::{Condition, Relation};
use super::term::Term;
use super::Statement;

/// `INSERT INTO t (cols) VALUES (vals) | JSON value [DEFAULT NULL|UNSET] [IF NOT EXISTS]
/// [USING …]`.
#[derive(Debug, Clone, PartialEq)]
pub struct InsertStatement {
    pub table: QualifiedName,
    pub values: InsertValues,
    pub if_not_exists: bool,
    pub using: UsingClause,
}

/// The two forms of `INSERT`.
#[derive(Debug, Clone, PartialEq)]
pub enum InsertValues {
    /// `(a, b) VALUES (1, ?)`. The parser does not check that the counts match: the engine
    /// reports that as an invalid request, like Cassandra.
    Columns { columns: Vec<String>, values: Vec<Term> },
    /// `JSON '…'` or `JSON ?`; `default_unset` is `DEFAULT UNSET` (the default is `NULL`).
    Json { value: Term, default_unset: bool },
}

/// `UPDATE t [USING …] SET assignments WHERE relations [IF EXISTS | IF conditions]`.
#[derive(Debug, Clone, PartialEq)]
pub struct UpdateStatement {
    pub table: QualifiedName,
    pub using: UsingClause,
    pub assignments: Vec<Assignment>,
    pub where_clause: Vec<Relation>,
    pub if_exists: bool,
    pub conditions: Vec<Condition>,
}

/// One `SET` item.
#[derive(Debug, Clone, PartialEq)]
pub enum Assignment {
    /// `c = v`
    Set { column: String, value: Term },
    /// `c[k] = v`
    SetElement { column: String, key: Term, value: Term },
    /// `c.f = v`
    SetField { column: String, field: String, value: Term },
    /// `c = c + v` or `c += v`. `c = c -1` (lexed as the integer `-1`) is, as in
    /// Cassandra, an addition of `-1`.
    Add { column: String, value: Term },
    /// `c = c - v` or `c -= v`
    Subtract { column: String, value: Term },
    /// `c = v + c`
    Prepend { column: String, value: Term },
}

/// `DELETE [selectors] FROM t [USING TIMESTAMP ts | TIMEOUT d] WHERE relations
/// [IF EXISTS | IF conditions]`.
#[derive(Debug, Clone, PartialEq)]
pub struct DeleteStatement {
    /// Empty means the whole row(s).
    pub columns: Vec<DeleteSelector>,
    pub table: QualifiedName,
    pub using: UsingClause,
    pub where_clause: Vec<Relation>,
    pub if_exists: bool,
    pub conditions: Vec<Condition>,
}

/// What a `DELETE` removes.
#[derive(Debug, Clone, PartialEq)]
pub enum DeleteSelector {
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

/// `BEGIN [UNLOGGED | COUNTER] BATCH [USING …] statements APPLY BATCH`.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchStatement {
    pub kind: BatchKind,
    pub using: UsingClause,
    /// Only [`Statement::Insert`], [`Statement::Update`] and [`Statement::Delete`].
    pub statements: Vec<Statement>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BatchKind {
    Logged,
    Unlogged,
    Counter,
}
