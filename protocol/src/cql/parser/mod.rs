//! Recursive-descent parser for CQL statements, following Cassandra's `Parser.g` plus
//! ScyllaDB's extensions (`USING TIMEOUT`, `BYPASS CACHE`).
//!
//! Layout: `cursor` (state, token access, errors, nesting limit, backtracking) → `names`
//! (identifiers) → `term`, `type_expr`, `options` (shared pieces) → one file per statement
//! family. Each file adds methods to [`Parser`]. Only a few places look ahead or backtrack
//! (type hints, `SELECT JSON`/`DISTINCT`, `IF EXISTS`, parenthesised relations); the rest
//! decides on the current token.

mod cursor;
mod describe;
mod index;
mod keyspace;
mod modification;
mod names;
mod options;
mod relation;
mod select;
mod table;
mod term;
mod type_expr;
mod user_type;

pub use cursor::NESTING_DEPTH_MAX;

use super::ast::{ParsedStatement, Statement};
use super::error::ParseError;
use super::lexer::tokenize;
use super::token::{Symbol, TokenKind};
use cursor::{PResult, Parser};

/// Parses one CQL statement. A trailing `;` (or several), whitespace and comments are
/// allowed around it; anything else after the statement is an error.
pub fn parse_statement(text: &str) -> Result<ParsedStatement, ParseError> {
    let tokens = tokenize(text)?;
    let mut parser = Parser::new(text, tokens);
    let statement = parser.parse_any_statement()?;
    while parser.eat_symbol(Symbol::Semicolon) {}
    if !parser.at_eof() {
        return Err(parser.mismatch("EOF"));
    }
    Ok(ParsedStatement { statement, bind_markers: parser.bind_markers })
}

impl Parser<'_> {
    fn parse_any_statement(&mut self) -> PResult<Statement> {
        let token = self.peek();
        if token.kind != TokenKind::Word {
            return Err(self.no_viable());
        }
        match token.text.to_ascii_lowercase().as_str() {
            "select" => self.parse_select(),
            "insert" => self.parse_insert(),
            "update" => self.parse_update(),
            "delete" => self.parse_delete(),
            "begin" => self.parse_batch(),
            "use" => self.parse_use(),
            "truncate" => self.parse_truncate(),
            "describe" | "desc" => self.parse_describe(),
            "create" => {
                self.advance();
                self.parse_create()
            }
            "alter" => {
                self.advance();
                self.parse_alter()
            }
            "drop" => {
                self.advance();
                self.parse_drop()
            }
            _ => Err(self.no_viable()),
        }
    }

    fn parse_create(&mut self) -> PResult<Statement> {
        if self.at_word("keyspace") || self.at_word("schema") {
            self.parse_create_keyspace()
        } else if self.at_word("table") || self.at_word("columnfamily") {
            self.parse_create_table()
        } else if self.at_word("type") {
            self.parse_create_type()
        } else if self.at_word("index") || self.at_word("custom") {
            self.parse_create_index()
        } else {
            Err(self.no_viable())
        }
    }

    fn parse_alter(&mut self) -> PResult<Statement> {
        if self.at_word("keyspace") || self.at_word("schema") {
            self.parse_alter_keyspace()
        } else if self.at_word("table") || self.at_word("columnfamily") {
            self.parse_alter_table()
        } else if self.at_word("type") {
            self.parse_alter_type()
        } else {
            Err(self.no_viable())
        }
    }

    fn parse_drop(&mut self) -> PResult<Statement> {
        if self.at_word("keyspace") || self.at_word("schema") {
            self.parse_drop_keyspace()
        } else if self.at_word("table") || self.at_word("columnfamily") {
            self.parse_drop_table()
        } else if self.at_word("type") {
            self.parse_drop_type()
        } else if self.at_word("index") {
            self.parse_drop_index()
        } else {
            Err(self.no_viable())
        }
    }
}
