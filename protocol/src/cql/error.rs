//! The syntax error returned for any CQL text the grammar rejects.
//!
//! The wording follows Cassandra's (ANTLR's) messages — `mismatched input 'FRM' expecting
//! K_FROM`, `no viable alternative at input 'x'` — followed, like Cassandra, by a snippet of
//! the statement with the offending token in brackets. The engine maps it to the CQL
//! `Syntax error` code (0x2000).

/// A syntax error at a position in the statement text.
///
/// `line` is 1-based; `column` is the 0-based character offset in that line, as Cassandra
/// reports it, so `line 1:0` is the first character of the statement.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}:{column} {message}")]
pub struct ParseError {
    pub line: u32,
    pub column: u32,
    pub message: String,
}

impl ParseError {
    pub fn new(line: u32, column: u32, message: impl Into<String>) -> Self {
        ParseError { line, column, message: message.into() }
    }
}
