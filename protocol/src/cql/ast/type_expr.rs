//! CQL type expressions as written in DDL and type hints.

use super::common::QualifiedName;

/// A CQL type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeExpr {
    /// A native type by its lowercase name as written: `int`, `text`, `varchar`, `timeuuid`, …
    /// (`varchar` is not folded into `text`; that is the engine's business).
    Native(String),
    List(Box<TypeExpr>),
    Set(Box<TypeExpr>),
    Map(Box<TypeExpr>, Box<TypeExpr>),
    Tuple(Vec<TypeExpr>),
    Frozen(Box<TypeExpr>),
    /// A user-defined type, `[ks.]name`.
    UserDefined(QualifiedName),
    /// `'org.apache.cassandra.db.marshal.SomeType'`: a custom type by class name.
    Custom(String),
    /// `vector<float, 3>`: the dimension as written (any `int`; the engine refuses
    /// dimensions that are not positive, as Cassandra does when it builds the type).
    Vector(Box<TypeExpr>, i32),
}
