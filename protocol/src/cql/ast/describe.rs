//! `DESCRIBE` / `DESC` (served by the server so that cqlsh shows real schema).

use super::common::QualifiedName;

/// `DESCRIBE target [WITH INTERNALS]`
#[derive(Debug, Clone, PartialEq)]
pub struct DescribeStatement {
    pub target: DescribeTarget,
    pub with_internals: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DescribeTarget {
    Cluster,
    Keyspaces,
    /// `[FULL] SCHEMA`
    Schema {
        full: bool,
    },
    /// `[ONLY] KEYSPACE [ks]`; no name means the current keyspace.
    Keyspace {
        name: Option<String>,
        only: bool,
    },
    Tables,
    /// `TABLE t` / `COLUMNFAMILY t`
    Table(QualifiedName),
    Types,
    Type(QualifiedName),
    Functions,
    Function(QualifiedName),
    Aggregates,
    Aggregate(QualifiedName),
    Index(QualifiedName),
    MaterializedView(QualifiedName),
    /// `DESCRIBE x` / `DESCRIBE ks.x`: whatever `x` names.
    Generic(QualifiedName),
}
