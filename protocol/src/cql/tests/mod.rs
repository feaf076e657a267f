//! Tests of the CQL grammar: statements real clients send, AST shapes, error positions,
//! the lexer, and robustness against arbitrary input.

mod accepted;
mod ddl_ast;
mod errors;
mod lexer;
mod modification_ast;
mod robustness;
mod select_ast;

use super::{parse_statement, ParseError, ParsedStatement, Statement};

/// Parses `text`, failing the test with the parse error if it is rejected.
fn parse_ok(text: &str) -> ParsedStatement {
    match parse_statement(text) {
        Ok(parsed) => parsed,
        Err(error) => panic!("failed to parse {text:?}: {error}"),
    }
}

/// The statement of `text`.
fn statement(text: &str) -> Statement {
    parse_ok(text).statement
}

/// The error for `text`, failing the test if it parses.
fn parse_err(text: &str) -> ParseError {
    match parse_statement(text) {
        Ok(parsed) => panic!("{text:?} should not parse, got {parsed:?}"),
        Err(error) => error,
    }
}
