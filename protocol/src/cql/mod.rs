//! The CQL grammar: text → tokens → AST.
//!
//! [`parse_statement`] turns one statement into a [`ParsedStatement`]: the [`Statement`]
//! AST plus its bind markers in order. Errors are [`ParseError`]s positioned and worded
//! like Cassandra's. Any input — random bytes included — yields a statement or an error,
//! never a panic, and nesting is bounded by [`NESTING_DEPTH_MAX`].
//!
//! Layout: `token` and `lexer` (Cassandra's `Lexer.g`), `keywords` (reserved words,
//! native types), `ast/` (the tree, by statement family), `parser/` (Cassandra's
//! `Parser.g`, by statement family), `error`.

pub mod ast;
mod error;
pub mod keywords;
mod lexer;
mod parser;
mod token;

#[cfg(test)]
mod tests;

pub use ast::*;
pub use error::ParseError;
pub use parser::{parse_statement, NESTING_DEPTH_MAX};
