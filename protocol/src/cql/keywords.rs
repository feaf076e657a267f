//! Which words are reserved, and which name native types.
//!
//! Cassandra reserves only a few keywords (`reserved_keywords.txt`); every other keyword
//! (`key`, `type`, `ttl`, `count`, `values`, `json`, native type names, …) may be used as a
//! table, column or keyspace name. `true`/`false` are never names either: the lexer makes
//! them boolean literals.

/// Keywords that can never be an unquoted identifier (Cassandra's reserved list).
const RESERVED_KEYWORDS: &[&str] = &[
    "add",
    "allow",
    "alter",
    "and",
    "apply",
    "asc",
    "authorize",
    "batch",
    "begin",
    "by",
    "columnfamily",
    "create",
    "delete",
    "desc",
    "describe",
    "drop",
    "entries",
    "execute",
    "from",
    "full",
    "grant",
    "if",
    "in",
    "index",
    "infinity",
    "insert",
    "into",
    "is",
    "keyspace",
    "limit",
    "materialized",
    "modify",
    "nan",
    "norecursive",
    "not",
    "null",
    "of",
    "on",
    "or",
    "order",
    "primary",
    "rename",
    "revoke",
    "schema",
    "select",
    "set",
    "table",
    "to",
    "token",
    "truncate",
    "unlogged",
    "update",
    "use",
    "using",
    "view",
    "where",
    "with",
];

/// Native CQL type names (`native_type` in Cassandra's grammar).
const NATIVE_TYPES: &[&str] = &[
    "ascii",
    "bigint",
    "blob",
    "boolean",
    "counter",
    "date",
    "decimal",
    "double",
    "duration",
    "float",
    "inet",
    "int",
    "smallint",
    "text",
    "time",
    "timestamp",
    "timeuuid",
    "tinyint",
    "uuid",
    "varchar",
    "varint",
];

/// Names Cassandra refuses for user types although they are not native types.
const RESERVED_TYPE_NAMES: &[&str] = &["byte", "complex", "enum", "date", "interval", "macaddr", "bitstring"];

/// Whether `word` (any case) is a reserved keyword.
pub fn is_reserved(word: &str) -> bool {
    RESERVED_KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word))
}

/// The canonical (lowercase) native type name for `word`, if it names one.
pub fn native_type(word: &str) -> Option<&'static str> {
    NATIVE_TYPES.iter().copied().find(|t| t.eq_ignore_ascii_case(word))
}

/// Whether `word` (any case) may not name a user type.
pub fn is_reserved_type_name(word: &str) -> bool {
    RESERVED_TYPE_NAMES.iter().any(|k| k.eq_ignore_ascii_case(word))
}
