//! Terms: the values written in statements — literals, bind markers, collections, tuples,
//! user-type literals, function calls and type hints.

use super::common::QualifiedName;
use super::type_expr::TypeExpr;

/// A constant as written. Numbers keep their raw text so that the engine converts them to
/// the receiver's type (an integer literal can be a `tinyint` or a `varint`).
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `'text'` or `$$text$$`, unescaped.
    String(String),
    /// `-?[0-9]+`, raw.
    Integer(String),
    /// `1.5`, `-2e10`, `NaN`, `Infinity`, `-Infinity`, raw (`NaN` and `-NaN` are `"NaN"`).
    Float(String),
    Boolean(bool),
    /// Unquoted UUID, raw.
    Uuid(String),
    /// `0x...`, hex-decoded.
    Blob(Vec<u8>),
    /// `1h30m`, `P1Y2M`, `PT2H`, `P2W`, raw.
    Duration(String),
    Null,
}

/// A bind marker (`?` or `:name`). `index` is its position among all markers of the
/// statement, which is also its index in [`ParsedStatement::bind_markers`].
///
/// [`ParsedStatement::bind_markers`]: super::ParsedStatement::bind_markers
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindMarker {
    pub index: usize,
    /// The name of a `:name` marker (lowercased unless quoted); `None` for `?`.
    pub name: Option<String>,
}

/// One bind marker of a statement, in order of appearance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindMarkerInfo {
    pub name: Option<String>,
}

/// A value expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Term {
    Literal(Literal),
    Bind(BindMarker),
    /// `[a, b]`
    List(Vec<Term>),
    /// `{a, b}` (at least one element)
    Set(Vec<Term>),
    /// `{k: v, …}` (at least one entry; keys are terms, e.g. strings)
    Map(Vec<(Term, Term)>),
    /// `{}`: an empty set or an empty map (or an empty UDT); only the receiver's type can
    /// tell which, so the engine decides. Cassandra reads it as an empty set literal that
    /// also converts to an empty map.
    EmptyBraces,
    /// `(a, b)`
    Tuple(Vec<Term>),
    /// `{field: v, …}` with unquoted or quoted identifier keys (lowercased unless quoted).
    Udt(Vec<(String, Term)>),
    /// `name(args)`, e.g. `now()`, `toTimestamp(now())`, `ks.fn(?)`, `token(?, ?)`.
    /// The name is lowercased unless quoted.
    FunctionCall {
        name: QualifiedName,
        args: Vec<Term>,
    },
    /// `(type) term`: a type hint.
    TypeCast {
        ty: TypeExpr,
        term: Box<Term>,
    },
}
