//! User-defined type DDL.

use super::common::QualifiedName;
use super::type_expr::TypeExpr;

/// `CREATE TYPE [IF NOT EXISTS] t (field type, …)`
#[derive(Debug, Clone, PartialEq)]
pub struct CreateTypeStatement {
    pub name: QualifiedName,
    pub if_not_exists: bool,
    pub fields: Vec<(String, TypeExpr)>,
}

/// `ALTER TYPE t action`
#[derive(Debug, Clone, PartialEq)]
pub struct AlterTypeStatement {
    pub name: QualifiedName,
    pub action: AlterTypeAction,
}

#[derive(Debug, Clone, PartialEq)]
pub enum AlterTypeAction {
    /// `ADD field type`
    Add(String, TypeExpr),
    /// `RENAME a TO b [AND c TO d …]`
    Rename(Vec<(String, String)>),
    /// `ALTER field TYPE type`
    AlterField(String, TypeExpr),
}

/// `DROP TYPE [IF EXISTS] t`
#[derive(Debug, Clone, PartialEq)]
pub struct DropTypeStatement {
    pub name: QualifiedName,
    pub if_exists: bool,
}
