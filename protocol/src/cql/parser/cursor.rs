//! The parser's state and its primitives: looking at and consuming tokens, building
//! errors in Cassandra's wording, limiting nesting, backtracking and numbering bind markers.

use super::super::ast::{BindMarker, BindMarkerInfo};
use super::super::error::ParseError;
use super::super::token::{Symbol, Token, TokenKind};

/// Deepest nesting of terms, types, selectors and parenthesised relations. Real statements
/// nest a handful of levels; the limit keeps recursion (and so the stack) bounded.
pub const NESTING_DEPTH_MAX: usize = 64;

/// Tokens shown before the offending one in an error snippet (as Cassandra's ErrorCollector).
const SNIPPET_TOKENS_BEFORE: usize = 10;
/// Tokens shown after the offending one in an error snippet.
const SNIPPET_TOKENS_AFTER: usize = 2;

pub type PResult<T> = Result<T, ParseError>;

/// A recursive-descent parser over the tokens of one statement.
pub struct Parser<'a> {
    source: &'a str,
    tokens: Vec<Token>,
    /// Returned by `peek` past the end, so that looking ahead never fails.
    eof: Token,
    pos: usize,
    depth: usize,
    pub(super) bind_markers: Vec<BindMarkerInfo>,
}

impl<'a> Parser<'a> {
    pub fn new(source: &'a str, tokens: Vec<Token>) -> Self {
        let eof = tokens.last().filter(|t| t.kind == TokenKind::Eof).cloned().unwrap_or(Token {
            kind: TokenKind::Eof,
            text: String::new(),
            line: 1,
            column: 0,
            start: source.len(),
            end: source.len(),
        });
        Parser { source, tokens, eof, pos: 0, depth: 0, bind_markers: Vec::new() }
    }

    pub fn peek(&self) -> &Token {
        self.peek_at(0)
    }

    pub fn peek_at(&self, ahead: usize) -> &Token {
        self.tokens.get(self.pos.saturating_add(ahead)).unwrap_or(&self.eof)
    }

    /// Consumes and returns the current token (EOF is never consumed).
    pub fn advance(&mut self) -> Token {
        let token = self.peek().clone();
        if token.kind != TokenKind::Eof {
            self.pos += 1;
        }
        token
    }

    /// Steps back one token (to point an error at the token just consumed).
    pub fn rewind_one(&mut self) {
        self.pos = self.pos.saturating_sub(1);
    }

    pub fn at_eof(&self) -> bool {
        self.peek().kind == TokenKind::Eof
    }

    pub fn at_word(&self, keyword: &str) -> bool {
        self.peek().is_word(keyword)
    }

    pub fn at_word_at(&self, ahead: usize, keyword: &str) -> bool {
        self.peek_at(ahead).is_word(keyword)
    }

    pub fn at_symbol(&self, symbol: Symbol) -> bool {
        self.peek().is_symbol(symbol)
    }

    pub fn at_symbol_at(&self, ahead: usize, symbol: Symbol) -> bool {
        self.peek_at(ahead).is_symbol(symbol)
    }

    pub fn eat_word(&mut self, keyword: &str) -> bool {
        let found = self.at_word(keyword);
        if found {
            self.advance();
        }
        found
    }

    pub fn eat_symbol(&mut self, symbol: Symbol) -> bool {
        let found = self.at_symbol(symbol);
        if found {
            self.advance();
        }
        found
    }

    /// Consumes the keyword or fails with `mismatched input 'x' expecting K_KEYWORD`.
    pub fn expect_word(&mut self, keyword: &str) -> PResult<()> {
        if self.eat_word(keyword) {
            Ok(())
        } else {
            Err(self.mismatch(&format!("K_{}", keyword.to_ascii_uppercase())))
        }
    }

    /// Consumes the symbol or fails with `mismatched input 'x' expecting ')'`.
    pub fn expect_symbol(&mut self, symbol: Symbol) -> PResult<()> {
        if self.eat_symbol(symbol) {
            Ok(())
        } else {
            Err(self.mismatch(&format!("'{}'", symbol.as_str())))
        }
    }

    /// `IF NOT EXISTS`, if present.
    pub fn eat_if_not_exists(&mut self) -> PResult<bool> {
        if !self.eat_word("if") {
            return Ok(false);
        }
        self.expect_word("not")?;
        self.expect_word("exists")?;
        Ok(true)
    }

    /// `IF EXISTS`, if present.
    pub fn eat_if_exists(&mut self) -> PResult<bool> {
        if !self.eat_word("if") {
            return Ok(false);
        }
        self.expect_word("exists")?;
        Ok(true)
    }

    /// `mismatched input 'x' expecting <expected>` at the current token.
    pub fn mismatch(&self, expected: &str) -> ParseError {
        let message = format!("mismatched input '{}' expecting {expected}", self.display(self.peek()));
        self.error_at_current(message)
    }

    /// `no viable alternative at input 'x'` at the current token.
    pub fn no_viable(&self) -> ParseError {
        let message = format!("no viable alternative at input '{}'", self.display(self.peek()));
        self.error_at_current(message)
    }

    /// An error at the current token, followed by a snippet of the statement.
    pub fn error_at_current(&self, message: String) -> ParseError {
        let token = self.peek();
        let snippet = self.snippet();
        ParseError::new(token.line, token.column, format!("{message}{snippet}"))
    }

    /// An error at `token` without snippet (for semantic checks such as duplicates).
    pub fn error_at(&self, token: &Token, message: impl Into<String>) -> ParseError {
        ParseError::new(token.line, token.column, message)
    }

    /// The token as ANTLR shows it: its source text, or `<EOF>`.
    fn display(&self, token: &Token) -> String {
        if token.kind == TokenKind::Eof {
            return "<EOF>".to_string();
        }
        self.source.get(token.start..token.end).unwrap_or(&token.text).to_string()
    }

    /// ` (SELECT * [FRM] t...)`: the statement around the current token, as Cassandra shows.
    fn snippet(&self) -> String {
        let Some(offending) = self.tokens.get(self.pos) else {
            return String::new();
        };
        if offending.kind == TokenKind::Eof {
            return String::new();
        }
        let first = self.pos.saturating_sub(SNIPPET_TOKENS_BEFORE);
        let last_real = self.tokens.len().saturating_sub(2);
        let last = self.pos.saturating_add(SNIPPET_TOKENS_AFTER).min(last_real);
        let (Some(from), Some(to)) = (self.tokens.get(first), self.tokens.get(last)) else {
            return String::new();
        };
        let piece =
            |a: usize, b: usize| -> String { self.source.get(a..b).unwrap_or_default().replace(['\n', '\r'], " ") };
        let to_end = to.end.max(offending.end);
        let mut out = String::from(" (");
        if from.start > 0 {
            out.push_str("...");
        }
        out.push_str(&piece(from.start, offending.start));
        out.push('[');
        out.push_str(&piece(offending.start, offending.end));
        out.push(']');
        out.push_str(&piece(offending.end, to_end));
        if to_end < self.source.len() {
            out.push_str("...");
        }
        out.push(')');
        out
    }

    /// Runs `parse` one nesting level deeper, failing past [`NESTING_DEPTH_MAX`].
    pub fn nested<T>(&mut self, parse: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        if self.depth >= NESTING_DEPTH_MAX {
            return Err(self.error_at_current(format!("maximum nesting depth {NESTING_DEPTH_MAX} exceeded")));
        }
        self.depth += 1;
        let result = parse(self);
        self.depth -= 1;
        result
    }

    /// Runs `parse`; on failure rewinds (tokens and bind markers) and returns `None`.
    pub fn speculate<T>(&mut self, parse: impl FnOnce(&mut Self) -> PResult<T>) -> Option<T> {
        let (pos, depth, markers) = (self.pos, self.depth, self.bind_markers.len());
        match parse(self) {
            Ok(value) => Some(value),
            Err(_) => {
                self.pos = pos;
                self.depth = depth;
                self.bind_markers.truncate(markers);
                None
            }
        }
    }

    /// Runs `parse` and rewinds whatever happened; returns whether it succeeded.
    pub fn probe<T>(&mut self, parse: impl FnOnce(&mut Self) -> PResult<T>) -> bool {
        let (pos, depth, markers) = (self.pos, self.depth, self.bind_markers.len());
        let ok = parse(self).is_ok();
        self.pos = pos;
        self.depth = depth;
        self.bind_markers.truncate(markers);
        ok
    }

    /// Registers a new bind marker and returns it.
    pub fn new_marker(&mut self, name: Option<String>) -> BindMarker {
        let index = self.bind_markers.len();
        self.bind_markers.push(BindMarkerInfo { name: name.clone() });
        BindMarker { index, name }
    }
}
