//! No input panics the parser: random text, random token soups, deep nesting.

use crate::cql::{parse_statement, NESTING_DEPTH_MAX};
use proptest::prelude::*;

/// Fragments that steer random statements into every corner of the grammar.
const FRAGMENTS: &[&str] = &[
    "SELECT",
    "INSERT",
    "INTO",
    "UPDATE",
    "DELETE",
    "FROM",
    "WHERE",
    "AND",
    "SET",
    "VALUES",
    "BEGIN",
    "BATCH",
    "APPLY",
    "UNLOGGED",
    "COUNTER",
    "USING",
    "TTL",
    "TIMESTAMP",
    "TIMEOUT",
    "IF",
    "NOT",
    "EXISTS",
    "IN",
    "CONTAINS",
    "KEY",
    "LIKE",
    "IS",
    "NULL",
    "TOKEN",
    "JSON",
    "DISTINCT",
    "COUNT",
    "WRITETIME",
    "CAST",
    "AS",
    "LIMIT",
    "PER",
    "PARTITION",
    "ORDER",
    "BY",
    "GROUP",
    "ASC",
    "DESC",
    "ALLOW",
    "FILTERING",
    "BYPASS",
    "CACHE",
    "CREATE",
    "ALTER",
    "DROP",
    "TRUNCATE",
    "USE",
    "KEYSPACE",
    "TABLE",
    "TYPE",
    "INDEX",
    "CUSTOM",
    "ON",
    "WITH",
    "PRIMARY",
    "STATIC",
    "CLUSTERING",
    "COMPACT",
    "STORAGE",
    "ADD",
    "RENAME",
    "TO",
    "DESCRIBE",
    "FULL",
    "SCHEMA",
    "KEYSPACES",
    "TABLES",
    "MATERIALIZED",
    "VIEW",
    "INTERNALS",
    "DEFAULT",
    "UNSET",
    "int",
    "text",
    "map",
    "list",
    "set",
    "tuple",
    "frozen",
    "vector",
    "a",
    "b",
    "ks",
    "t",
    "\"Q\"",
    "\"\"",
    "now",
    "1",
    "-1",
    "1.5",
    "NaN",
    "-Infinity",
    "true",
    "0xab",
    "0x1",
    "1h",
    "P1D",
    "'s'",
    "$$x$$",
    "123e4567-e89b-12d3-a456-426655440000",
    "?",
    ":n",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    ";",
    ".",
    ":",
    "=",
    "<",
    ">",
    "<=",
    ">=",
    "!=",
    "+",
    "-",
    "*",
    "/",
    "%",
    "+=",
    "-=",
    "..",
];

fn soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(FRAGMENTS), 0..40).prop_map(|parts| parts.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn random_text_never_panics(text in any::<String>()) {
        let _ = parse_statement(&text);
    }

    #[test]
    fn random_ascii_never_panics(text in "[ -~\\n\\t]{0,80}") {
        let _ = parse_statement(&text);
    }

    #[test]
    fn random_token_soup_never_panics(text in soup()) {
        if let Ok(parsed) = parse_statement(&text) {
            // Marker indices are positions in the marker list.
            let rendered = format!("{:?}", parsed.statement);
            for (index, _) in parsed.bind_markers.iter().enumerate() {
                let needle = format!("index: {index},");
                prop_assert!(rendered.contains(&needle), "{text}: marker {index} missing");
            }
        }
    }

    #[test]
    fn error_positions_are_inside_the_text(text in soup()) {
        if let Err(error) = parse_statement(&text) {
            let lines: Vec<&str> = text.split('\n').collect();
            let line = usize::try_from(error.line).unwrap_or(usize::MAX);
            prop_assert!(line >= 1 && line <= lines.len().max(1), "{error} for {text:?}");
            let width = lines.get(line - 1).map_or(0, |l| l.chars().count());
            prop_assert!(usize::try_from(error.column).unwrap_or(usize::MAX) <= width, "{error} for {text:?}");
        }
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = 100_000;
    let nested_lists = format!("SELECT * FROM t WHERE a = {}1{}", "[".repeat(deep), "]".repeat(deep));
    let nested_tuples = format!("SELECT * FROM t WHERE a = {}1{}", "(".repeat(deep), ")".repeat(deep));
    let nested_maps = format!("SELECT * FROM t WHERE a = {}", "{1: ".repeat(deep));
    let nested_relations = format!("SELECT * FROM t WHERE {}a = 1", "(".repeat(deep));
    let nested_types = format!("CREATE TABLE t (a {}int PRIMARY KEY)", "frozen<".repeat(deep));
    let nested_selectors = format!("SELECT {}a FROM t", "f(".repeat(deep));
    let nested_casts = format!("SELECT * FROM t WHERE a = {}1", "(int) ".repeat(deep));
    let nested_distinct = format!("SELECT JSON {}a FROM t", "DISTINCT ".repeat(deep));
    for text in [
        nested_lists,
        nested_tuples,
        nested_maps,
        nested_relations,
        nested_types,
        nested_selectors,
        nested_casts,
        nested_distinct,
    ] {
        assert!(parse_statement(&text).is_err());
    }
}

#[test]
fn nesting_up_to_the_limit_is_accepted() {
    // Each list level is one term level; the relation itself takes one more.
    let depth = NESTING_DEPTH_MAX - 2;
    let text = format!("SELECT * FROM t WHERE a = {}1{}", "[".repeat(depth), "]".repeat(depth));
    assert!(parse_statement(&text).is_ok());
    let depth = NESTING_DEPTH_MAX + 1;
    let text = format!("SELECT * FROM t WHERE a = {}1{}", "[".repeat(depth), "]".repeat(depth));
    let error = parse_statement(&text).err();
    assert!(error.is_some_and(|e| e.message.contains("nesting depth")));
}
