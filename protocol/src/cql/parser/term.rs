//! Terms (`term` in Cassandra's grammar): constants, `NULL`, bind markers, collection,
//! tuple and user-type literals, function calls and `(type)` hints.
//!
//! `{` opens a user-type literal when an identifier and `:` follow, otherwise a map or a
//! set; `{}` is [`Term::EmptyBraces`]. `(` opens a type hint when a type, `)` and a term
//! follow (tried by backtracking), otherwise a tuple.

use super::super::ast::{BindMarker, Literal, Term};
use super::super::token::{Symbol, Token, TokenKind};
use super::cursor::{PResult, Parser};
use super::names::is_ident;

/// Decodes the digits of a `0x…` literal.
fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let digits = text.get(2..)?.as_bytes();
    if digits.len() % 2 != 0 {
        return None;
    }
    let value = |b: u8| char::from(b).to_digit(16);
    digits
        .chunks(2)
        .map(|pair| match pair {
            [hi, lo] => Some(u8::try_from(value(*hi)? * 16 + value(*lo)?).ok()?),
            _ => None,
        })
        .collect()
}

impl Parser<'_> {
    /// The constant at the current token, if it is one (`NaN`/`Infinity` included, `NULL`
    /// not); an invalid blob is an error.
    fn constant_here(&self) -> Option<PResult<Literal>> {
        let token: &Token = self.peek();
        let text = token.text.clone();
        let literal = match token.kind {
            TokenKind::String => Literal::String(text),
            TokenKind::Integer => Literal::Integer(text),
            TokenKind::Float if text.eq_ignore_ascii_case("-nan") => Literal::Float("NaN".into()),
            TokenKind::Float if text.eq_ignore_ascii_case("-infinity") => Literal::Float("-Infinity".into()),
            TokenKind::Float => Literal::Float(text),
            TokenKind::Boolean => Literal::Boolean(text.eq_ignore_ascii_case("true")),
            TokenKind::Duration => Literal::Duration(text),
            TokenKind::Uuid => Literal::Uuid(text),
            TokenKind::Hex => match decode_hex(&text) {
                Some(bytes) => Literal::Blob(bytes),
                None => {
                    return Some(Err(self.error_at_current(format!(
                        "Invalid blob literal {text}: an even number of hex digits is required"
                    ))))
                }
            },
            TokenKind::Word if text.eq_ignore_ascii_case("nan") => Literal::Float("NaN".into()),
            TokenKind::Word if text.eq_ignore_ascii_case("infinity") => Literal::Float("Infinity".into()),
            _ => return None,
        };
        Some(Ok(literal))
    }

    /// A constant (`constant` in the grammar), consumed.
    pub fn parse_constant(&mut self) -> PResult<Literal> {
        match self.constant_here() {
            Some(Ok(literal)) => {
                self.advance();
                Ok(literal)
            }
            Some(Err(error)) => Err(error),
            None if self.at_symbol(Symbol::QMark) || self.at_symbol(Symbol::Colon) => {
                Err(self.error_at_current("bind variables are not supported in DDL queries".to_string()))
            }
            None => Err(self.no_viable()),
        }
    }

    /// Whether a constant, `NULL` or a bind marker starts here (`selectionLiteral`).
    pub fn at_simple_value(&self) -> bool {
        self.constant_here().is_some()
            || self.at_word("null")
            || self.at_symbol(Symbol::QMark)
            || self.at_symbol(Symbol::Colon)
    }

    /// `?` or `:name`, if present.
    pub fn parse_marker(&mut self) -> PResult<Option<BindMarker>> {
        if self.eat_symbol(Symbol::QMark) {
            return Ok(Some(self.new_marker(None)));
        }
        if self.eat_symbol(Symbol::Colon) {
            let name = self.parse_ident()?;
            return Ok(Some(self.new_marker(Some(name))));
        }
        Ok(None)
    }

    /// An integer literal or a bind marker (`intValue`: LIMIT, TTL, TIMESTAMP).
    pub fn parse_int_value(&mut self) -> PResult<Term> {
        if self.peek().kind == TokenKind::Integer {
            let text = self.advance().text;
            return Ok(Term::Literal(Literal::Integer(text)));
        }
        match self.parse_marker()? {
            Some(marker) => Ok(Term::Bind(marker)),
            None => Err(self.mismatch("INTEGER")),
        }
    }

    pub fn parse_term(&mut self) -> PResult<Term> {
        self.nested(Self::parse_term_unnested)
    }

    fn parse_term_unnested(&mut self) -> PResult<Term> {
        if let Some(literal) = self.constant_here() {
            let literal = literal?;
            self.advance();
            return Ok(Term::Literal(literal));
        }
        if self.eat_word("null") {
            return Ok(Term::Literal(Literal::Null));
        }
        if let Some(marker) = self.parse_marker()? {
            return Ok(Term::Bind(marker));
        }
        if self.at_function_call() {
            let name = self.parse_function_name()?;
            let args = self.parse_term_list(Symbol::LParen, Symbol::RParen)?;
            return Ok(Term::FunctionCall { name, args });
        }
        match self.peek().kind {
            TokenKind::Symbol(Symbol::LBracket) => {
                let items = self.parse_term_list(Symbol::LBracket, Symbol::RBracket)?;
                Ok(Term::List(items))
            }
            TokenKind::Symbol(Symbol::LBrace) => self.parse_braces(),
            TokenKind::Symbol(Symbol::LParen) => self.parse_cast_or_tuple(),
            _ => Err(self.no_viable()),
        }
    }

    /// `open [term (, term)*] close`
    pub fn parse_term_list(&mut self, open: Symbol, close: Symbol) -> PResult<Vec<Term>> {
        self.expect_symbol(open)?;
        let mut items = Vec::new();
        if self.eat_symbol(close) {
            return Ok(items);
        }
        loop {
            items.push(self.parse_term()?);
            if !self.eat_symbol(Symbol::Comma) {
                break;
            }
        }
        self.expect_symbol(close)?;
        Ok(items)
    }

    fn parse_braces(&mut self) -> PResult<Term> {
        self.expect_symbol(Symbol::LBrace)?;
        if self.eat_symbol(Symbol::RBrace) {
            return Ok(Term::EmptyBraces);
        }
        if is_ident(self.peek()) && self.at_symbol_at(1, Symbol::Colon) {
            let mut fields = Vec::new();
            loop {
                let field = self.parse_ident()?;
                self.expect_symbol(Symbol::Colon)?;
                fields.push((field, self.parse_term()?));
                if !self.eat_symbol(Symbol::Comma) {
                    break;
                }
            }
            self.expect_symbol(Symbol::RBrace)?;
            return Ok(Term::Udt(fields));
        }
        let first = self.parse_term()?;
        if self.eat_symbol(Symbol::Colon) {
            let mut entries = vec![(first, self.parse_term()?)];
            while self.eat_symbol(Symbol::Comma) {
                let key = self.parse_term()?;
                self.expect_symbol(Symbol::Colon)?;
                entries.push((key, self.parse_term()?));
            }
            self.expect_symbol(Symbol::RBrace)?;
            return Ok(Term::Map(entries));
        }
        let mut items = vec![first];
        while self.eat_symbol(Symbol::Comma) {
            items.push(self.parse_term()?);
        }
        self.expect_symbol(Symbol::RBrace)?;
        Ok(Term::Set(items))
    }

    fn parse_cast_or_tuple(&mut self) -> PResult<Term> {
        let hint = self.speculate(|p| {
            p.expect_symbol(Symbol::LParen)?;
            let ty = p.parse_type()?;
            p.expect_symbol(Symbol::RParen)?;
            if p.at_term_start() {
                Ok(ty)
            } else {
                Err(p.no_viable())
            }
        });
        if let Some(ty) = hint {
            let term = self.parse_term()?;
            return Ok(Term::TypeCast { ty, term: Box::new(term) });
        }
        let items = self.parse_term_list(Symbol::LParen, Symbol::RParen)?;
        if items.is_empty() {
            // `()` is not a tuple: report it at the closing parenthesis, as Cassandra would.
            self.rewind_one();
            return Err(self.no_viable());
        }
        Ok(Term::Tuple(items))
    }

    fn at_term_start(&self) -> bool {
        match self.peek().kind {
            TokenKind::Symbol(s) => {
                matches!(s, Symbol::QMark | Symbol::Colon | Symbol::LBracket | Symbol::LBrace | Symbol::LParen)
            }
            TokenKind::Eof => false,
            _ => true,
        }
    }
}
