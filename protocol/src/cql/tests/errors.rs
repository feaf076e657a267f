//! Error positions and wording.

use super::parse_err;
use crate::cql::ParseError;

fn at(text: &str) -> (u32, u32) {
    let ParseError { line, column, .. } = parse_err(text);
    (line, column)
}

#[test]
fn mismatched_keyword() {
    let error = parse_err("SELECT a, b FRM t");
    assert_eq!((error.line, error.column), (1, 12));
    assert_eq!(error.message, "mismatched input 'FRM' expecting K_FROM (SELECT a, b [FRM] t)");
    assert_eq!(error.to_string(), "line 1:12 mismatched input 'FRM' expecting K_FROM (SELECT a, b [FRM] t)");
}

#[test]
fn no_viable_alternative() {
    let error = parse_err("SELECT * FROM t WHERE x");
    assert_eq!(error.to_string(), "line 1:23 no viable alternative at input '<EOF>'");
    let error = parse_err("FOO bar");
    assert_eq!(error.to_string(), "line 1:0 no viable alternative at input 'FOO' ([FOO] bar)");
    let error = parse_err("SELECT * FROM select");
    assert_eq!((error.line, error.column), (1, 14));
    assert!(error.message.starts_with("no viable alternative at input 'select'"));
}

#[test]
fn trailing_garbage() {
    let error = parse_err("SELECT * FROM t WHRE a = 1");
    assert_eq!((error.line, error.column), (1, 16));
    assert!(error.message.starts_with("mismatched input 'WHRE' expecting EOF"), "{error}");
    assert_eq!(at("SELECT * FROM t; x"), (1, 17));
}

#[test]
fn positions_on_later_lines() {
    let error = parse_err("SELECT a,\n       b\n  FROM t\n WHERE a = = 1");
    assert_eq!((error.line, error.column), (4, 11));
    assert!(error.message.contains("[=]"), "{error}");
}

#[test]
fn empty_and_blank_input() {
    assert_eq!(at(""), (1, 0));
    assert_eq!(at("  -- nothing\n "), (2, 1));
    assert_eq!(at(";"), (1, 0));
}

#[test]
fn reserved_words_are_not_names() {
    assert_eq!(at("CREATE TABLE t (select int PRIMARY KEY)"), (1, 16));
    assert_eq!(at("SELECT from FROM t"), (1, 7));
    assert_eq!(at("INSERT INTO t (a) VALUES (true)x"), (1, 31));
}

#[test]
fn unsupported_statements_are_syntax_errors() {
    assert_eq!(at("CREATE ROLE r"), (1, 7));
    assert_eq!(at("LIST ROLES"), (1, 0));
    assert_eq!(at("GRANT SELECT ON t TO r"), (1, 0));
    assert_eq!(at("CREATE MATERIALIZED VIEW v AS SELECT * FROM t"), (1, 7));
}

#[test]
fn snippet_elides_distant_tokens() {
    let error = parse_err("SELECT a, b, c, d, e, f, g, h FROM t WHERE a = 1 AND b = 2 AND AND c = 3 AND d = 4");
    assert_eq!((error.line, error.column), (1, 63));
    assert!(error.message.ends_with("(...t WHERE a = 1 AND b = 2 AND [AND] c =...)"), "{error}");
}

#[test]
fn misc_positions() {
    assert_eq!(at("INSERT INTO t (a, b) VALUES (1, )"), (1, 32));
    assert_eq!(at("UPDATE t SET a = 1"), (1, 18));
    assert_eq!(at("CREATE TABLE t (a int PRIMARY KEY, b list<int)"), (1, 45));
    assert_eq!(at("SELECT * FROM t WHERE a = 0x123"), (1, 26));
    assert_eq!(at("CREATE TABLE t (a vector<float, 3000000000> PRIMARY KEY)"), (1, 32));
    assert_eq!(at("SELECT * FROM t WHERE a IN (1, 2"), (1, 32));
    assert_eq!(at("SELECT * FROM t WHERE a = ()"), (1, 27));
    assert_eq!(at("CREATE TABLE t (a int PRIMARY KEY) WITH CLUSTERING ORDER BY (a)"), (1, 62));
}
