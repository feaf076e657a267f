//! Secondary index DDL.

use super::common::{Options, QualifiedName};

/// `CREATE [CUSTOM] INDEX [IF NOT EXISTS] [name] ON t (target) [USING 'class'] [WITH …]`
#[derive(Debug, Clone, PartialEq)]
pub struct CreateIndexStatement {
    pub name: Option<String>,
    pub table: QualifiedName,
    pub target: IndexTarget,
    pub if_not_exists: bool,
    /// `CUSTOM` was written.
    pub custom: bool,
    /// `USING 'class'`
    pub custom_class: Option<String>,
    pub options: Options,
}

/// The indexed column and which part of it is indexed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexTarget {
    pub column: String,
    pub kind: IndexTargetKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexTargetKind {
    /// `(col)`
    Simple,
    /// `(VALUES(col))`
    Values,
    /// `(KEYS(col))`
    Keys,
    /// `(ENTRIES(col))`
    Entries,
    /// `(FULL(col))`
    Full,
}

/// `DROP INDEX [IF EXISTS] [ks.]name`
#[derive(Debug, Clone, PartialEq)]
pub struct DropIndexStatement {
    pub name: QualifiedName,
    pub if_exists: bool,
}
