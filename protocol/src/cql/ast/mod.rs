//! The CQL abstract syntax tree: what [`super::parse_statement`] returns.
//!
//! Names (keyspaces, tables, columns, fields, functions) are stored lowercased when written
//! unquoted and verbatim when `"quoted"`. Values stay close to the text ([`Term`]); typing
//! them against the schema is the engine's job. Everything is plain owned data (`Send`).

mod common;
mod describe;
mod index;
mod modification;
mod relation;
mod schema;
mod select;
mod term;
mod type_expr;
mod user_type;

pub use common::{OptionValue, Options, Ordering, QualifiedName, UsingClause};
pub use describe::{DescribeStatement, DescribeTarget};
pub use index::{CreateIndexStatement, DropIndexStatement, IndexTarget, IndexTargetKind};
pub use modification::{
    Assignment, BatchKind, BatchStatement, DeleteSelector, DeleteStatement, InsertStatement, InsertValues,
    UpdateStatement,
};
pub use relation::{Condition, ConditionTarget, InValues, Operator, Relation};
pub use schema::{
    AlterKeyspaceStatement, AlterTableAction, AlterTableStatement, ColumnDef, CreateKeyspaceStatement,
    CreateTableStatement, DropKeyspaceStatement, DropTableStatement, TruncateStatement, UseStatement,
};
pub use select::{SelectStatement, Selection, Selector, SelectorExpr};
pub use term::{BindMarker, BindMarkerInfo, Literal, Term};
pub use type_expr::TypeExpr;
pub use user_type::{AlterTypeAction, AlterTypeStatement, CreateTypeStatement, DropTypeStatement};

/// A parsed statement and its bind markers.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedStatement {
    pub statement: Statement,
    /// Every bind marker in order of appearance; `Term::Bind(m)` is `bind_markers[m.index]`.
    pub bind_markers: Vec<BindMarkerInfo>,
}

/// One CQL statement.
#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    Select(SelectStatement),
    Insert(InsertStatement),
    Update(UpdateStatement),
    Delete(DeleteStatement),
    Batch(BatchStatement),
    Use(UseStatement),
    CreateKeyspace(CreateKeyspaceStatement),
    AlterKeyspace(AlterKeyspaceStatement),
    DropKeyspace(DropKeyspaceStatement),
    CreateTable(CreateTableStatement),
    AlterTable(AlterTableStatement),
    DropTable(DropTableStatement),
    Truncate(TruncateStatement),
    CreateType(CreateTypeStatement),
    AlterType(AlterTypeStatement),
    DropType(DropTypeStatement),
    CreateIndex(CreateIndexStatement),
    DropIndex(DropIndexStatement),
    Describe(DescribeStatement),
}
