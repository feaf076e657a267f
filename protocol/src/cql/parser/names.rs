//! Identifiers and qualified names.
//!
//! An identifier is an unquoted word that is not a reserved keyword (lowercased), or a
//! `"quoted name"` (verbatim). Cassandra's `ident`, `cident`, `noncol_ident` and `fident`
//! differ only in details that do not matter here, except that only column references
//! (`cident`) accept the empty quoted name `""`.

use super::super::ast::QualifiedName;
use super::super::keywords::is_reserved;
use super::super::token::{Symbol, Token, TokenKind};
use super::cursor::{PResult, Parser};

/// Whether `token` can be an identifier.
pub fn is_ident(token: &Token) -> bool {
    match token.kind {
        TokenKind::Word => !is_reserved(&token.text),
        TokenKind::QuotedName => true,
        _ => false,
    }
}

/// Whether `token` can name a function: an identifier, or the reserved `token`.
pub fn is_function_name(token: &Token) -> bool {
    is_ident(token) || token.is_word("token")
}

/// The identifier's name: lowercased when unquoted.
fn ident_text(token: &Token) -> String {
    match token.kind {
        TokenKind::Word => token.text.to_ascii_lowercase(),
        _ => token.text.clone(),
    }
}

impl Parser<'_> {
    pub fn at_ident(&self) -> bool {
        is_ident(self.peek())
    }

    /// An identifier (not the empty quoted name).
    pub fn parse_ident(&mut self) -> PResult<String> {
        let token = self.peek();
        if is_ident(token) && !(token.kind == TokenKind::QuotedName && token.text.is_empty()) {
            let name = ident_text(token);
            self.advance();
            Ok(name)
        } else {
            Err(self.no_viable())
        }
    }

    /// A column reference: an identifier or `""`.
    pub fn parse_cident(&mut self) -> PResult<String> {
        if self.at_ident() {
            let name = ident_text(self.peek());
            self.advance();
            Ok(name)
        } else {
            Err(self.no_viable())
        }
    }

    /// A keyspace, table, type or index name part; `what` is used in the error for `?`.
    fn parse_schema_name(&mut self, what: &str) -> PResult<String> {
        if self.at_symbol(Symbol::QMark) {
            return Err(self.error_at_current(format!("Bind variables cannot be used for {what} names")));
        }
        self.parse_ident()
    }

    pub fn parse_keyspace_name(&mut self) -> PResult<String> {
        self.parse_schema_name("keyspace")
    }

    /// `[ks.]name`; `what` ("table", "index", "type") names the object in errors.
    pub fn parse_qualified_name(&mut self, what: &str) -> PResult<QualifiedName> {
        let first = self.parse_schema_name(if self.at_symbol_at(1, Symbol::Dot) { "keyspace" } else { what })?;
        if self.eat_symbol(Symbol::Dot) {
            let name = self.parse_schema_name(what)?;
            Ok(QualifiedName::qualified(first, name))
        } else {
            Ok(QualifiedName::unqualified(first))
        }
    }

    /// Whether a function call starts here: `name(` or `ks.name(`.
    pub fn at_function_call(&self) -> bool {
        if !is_function_name(self.peek()) {
            return false;
        }
        if self.at_symbol_at(1, Symbol::LParen) {
            return true;
        }
        is_ident(self.peek())
            && self.at_symbol_at(1, Symbol::Dot)
            && is_function_name(self.peek_at(2))
            && self.at_symbol_at(3, Symbol::LParen)
    }

    /// `[ks.]name` of a function (the caller checked [`Self::at_function_call`]).
    pub fn parse_function_name(&mut self) -> PResult<QualifiedName> {
        let first = self.function_name_part()?;
        if self.eat_symbol(Symbol::Dot) {
            let name = self.function_name_part()?;
            Ok(QualifiedName::qualified(first, name))
        } else {
            Ok(QualifiedName::unqualified(first))
        }
    }

    fn function_name_part(&mut self) -> PResult<String> {
        if is_function_name(self.peek()) {
            let name = ident_text(self.peek());
            self.advance();
            Ok(name)
        } else {
            Err(self.no_viable())
        }
    }

    /// `(a, b, …)`: a parenthesised, non-empty list of identifiers.
    pub fn parse_ident_tuple(&mut self) -> PResult<Vec<String>> {
        self.expect_symbol(Symbol::LParen)?;
        let mut names = vec![self.parse_cident()?];
        while self.eat_symbol(Symbol::Comma) {
            names.push(self.parse_cident()?);
        }
        self.expect_symbol(Symbol::RParen)?;
        Ok(names)
    }
}
