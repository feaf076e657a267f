//! Keyspace and table DDL, `USE` and `TRUNCATE`.

use super::common::{Options, Ordering, QualifiedName};
use super::type_expr::TypeExpr;

/// `USE ks`
#[derive(Debug, Clone, PartialEq)]
pub struct UseStatement {
    pub keyspace: String,
}

/// `CREATE KEYSPACE [IF NOT EXISTS] ks WITH options`
#[derive(Debug, Clone, PartialEq)]
pub struct CreateKeyspaceStatement {
    pub name: String,
    pub if_not_exists: bool,
    pub options: Options,
}

/// `ALTER KEYSPACE ks WITH options`
#[derive(Debug, Clone, PartialEq)]
pub struct AlterKeyspaceStatement {
    pub name: String,
    pub options: Options,
}

/// `DROP KEYSPACE [IF EXISTS] ks`
#[derive(Debug, Clone, PartialEq)]
pub struct DropKeyspaceStatement {
    pub name: String,
    pub if_exists: bool,
}

/// A column in `CREATE TABLE` or `ALTER TABLE … ADD`.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    pub name: String,
    pub ty: TypeExpr,
    pub is_static: bool,
}

/// `CREATE TABLE [IF NOT EXISTS] t (columns, PRIMARY KEY (…)) [WITH …]`. The primary key,
/// declared inline (`k int PRIMARY KEY`) or as a clause, is always split into
/// `partition_key` (non-empty) and `clustering_key`.
#[derive(Debug, Clone, PartialEq)]
pub struct CreateTableStatement {
    pub name: QualifiedName,
    pub if_not_exists: bool,
    pub columns: Vec<ColumnDef>,
    pub partition_key: Vec<String>,
    pub clustering_key: Vec<String>,
    pub clustering_order: Vec<(String, Ordering)>,
    pub compact_storage: bool,
    pub options: Options,
}

/// `ALTER TABLE [IF EXISTS] t action`
#[derive(Debug, Clone, PartialEq)]
pub struct AlterTableStatement {
    pub name: QualifiedName,
    pub if_exists: bool,
    pub action: AlterTableAction,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AlterTableAction {
    /// `ADD c t [STATIC]` or `ADD (c t, …)`
    Add(Vec<ColumnDef>),
    /// `DROP c` or `DROP (c, …)`, optionally `USING TIMESTAMP t` (the drop's time in
    /// microseconds: cells written at or before it stay hidden if the column is re-added).
    Drop { columns: Vec<String>, timestamp: Option<i64> },
    /// `RENAME a TO b [AND c TO d …]`
    Rename(Vec<(String, String)>),
    /// `ALTER c TYPE t`
    AlterType(String, TypeExpr),
    /// `WITH options`
    WithOptions(Options),
    /// `DROP COMPACT STORAGE`
    DropCompactStorage,
}

/// `DROP TABLE [IF EXISTS] t`
#[derive(Debug, Clone, PartialEq)]
pub struct DropTableStatement {
    pub name: QualifiedName,
    pub if_exists: bool,
}

/// `TRUNCATE [TABLE] t`
#[derive(Debug, Clone, PartialEq)]
pub struct TruncateStatement {
    pub name: QualifiedName,
}
