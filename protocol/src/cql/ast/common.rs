//! Pieces shared by many statements: qualified names, orderings, `WITH` options and the
//! `USING` clause.

use super::term::{Literal, Term};

/// `[keyspace.]name`. Unquoted parts are lowercased; quoted parts keep their case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QualifiedName {
    pub keyspace: Option<String>,
    pub name: String,
}

impl QualifiedName {
    /// A name without keyspace.
    pub fn unqualified(name: impl Into<String>) -> Self {
        QualifiedName { keyspace: None, name: name.into() }
    }

    /// A name with a keyspace.
    pub fn qualified(keyspace: impl Into<String>, name: impl Into<String>) -> Self {
        QualifiedName { keyspace: Some(keyspace.into()), name: name.into() }
    }
}

/// Sort direction in `ORDER BY` and `CLUSTERING ORDER BY`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ordering {
    Asc,
    Desc,
}

/// The value of one `WITH name = value` property.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    /// A constant: `'x'`, `1`, `0.1`, `true`, …
    Constant(Literal),
    /// A bare word (an unquoted, non-reserved keyword or identifier), as written
    /// (Cassandra keeps the text of an unreserved keyword here).
    Identifier(String),
    /// `{'k': 'v', …}`: keys and values are constants, in the order written.
    Map(Vec<(Literal, Literal)>),
}

/// `WITH a = 1 AND b = {...}`: property names (lowercased unless quoted) in order written.
/// A name never appears twice (the parser rejects duplicates).
pub type Options = Vec<(String, OptionValue)>;

/// `USING TTL t AND TIMESTAMP ts AND TIMEOUT d`. Which parts a statement accepts is
/// checked by the parser (e.g. `DELETE` takes no TTL, `SELECT` only a timeout).
/// TTL and timestamp are an integer literal or a bind marker; the timeout (a ScyllaDB
/// extension) is any term, normally a duration literal (`5000ms`) or a bind marker.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct UsingClause {
    pub ttl: Option<Term>,
    pub timestamp: Option<Term>,
    pub timeout: Option<Term>,
}
