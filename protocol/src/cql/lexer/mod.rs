//! Turns CQL text into tokens, following Cassandra's `Lexer.g`.
//!
//! Like ANTLR, the lexer takes the longest match at each position, and on a tie the rule
//! listed first in `Lexer.g` (integer, float, boolean, duration, identifier, hex, UUID). So
//! `1h30m` is one duration, `123e4567-e89b-12d3-a456-426655440000` one UUID, `P1D` a
//! duration rather than an identifier, and `c-1` is `c` followed by the integer `-1`.
//! Whitespace and `--`, `//`, `/* */` comments are skipped. The lexer works on bytes for
//! structure and only ever slices the source at character boundaries, so it cannot panic.

mod literal;

use super::error::ParseError;
use super::token::{Symbol, Token, TokenKind};

/// Splits `source` into tokens; the last token is always [`TokenKind::Eof`].
pub fn tokenize(source: &str) -> Result<Vec<Token>, ParseError> {
    let mut lexer = Lexer { src: source, bytes: source.as_bytes(), pos: 0, line: 1, column: 0 };
    let mut tokens = Vec::new();
    loop {
        lexer.skip_trivia()?;
        let token = lexer.next_token()?;
        let done = token.kind == TokenKind::Eof;
        tokens.push(token);
        if done {
            return Ok(tokens);
        }
    }
}

struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    line: u32,
    column: u32,
}

impl Lexer<'_> {
    fn byte(&self, at: usize) -> u8 {
        self.bytes.get(at).copied().unwrap_or(0)
    }

    fn peek_char(&self) -> Option<char> {
        self.src.get(self.pos..).and_then(|rest| rest.chars().next())
    }

    /// Advances over one character, keeping line and column up to date.
    fn bump(&mut self) -> Option<char> {
        let c = self.peek_char()?;
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line = self.line.saturating_add(1);
            self.column = 0;
        } else {
            self.column = self.column.saturating_add(1);
        }
        Some(c)
    }

    /// Advances to byte offset `end` (which lies on a character boundary).
    fn bump_to(&mut self, end: usize) {
        while self.pos < end {
            if self.bump().is_none() {
                break;
            }
        }
    }

    fn error_here(&self, message: String) -> ParseError {
        ParseError::new(self.line, self.column, message)
    }

    fn skip_trivia(&mut self) -> Result<(), ParseError> {
        loop {
            match (self.byte(self.pos), self.byte(self.pos + 1)) {
                (b' ' | b'\t' | b'\n' | b'\r', _) => {
                    self.bump();
                }
                (b'-', b'-') | (b'/', b'/') => {
                    while let Some(c) = self.bump() {
                        if c == '\n' || c == '\r' {
                            break;
                        }
                    }
                }
                (b'/', b'*') => {
                    self.bump();
                    self.bump();
                    loop {
                        if self.pos >= self.bytes.len() {
                            return Err(self.error_here("mismatched character '<EOF>' expecting '*'".into()));
                        }
                        if self.byte(self.pos) == b'*' && self.byte(self.pos + 1) == b'/' {
                            self.bump();
                            self.bump();
                            break;
                        }
                        self.bump();
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn next_token(&mut self) -> Result<Token, ParseError> {
        let (start, line, column) = (self.pos, self.line, self.column);
        let make =
            |lexer: &Self, kind: TokenKind, text: String| Token { kind, text, line, column, start, end: lexer.pos };
        let Some(c) = self.peek_char() else {
            return Ok(make(self, TokenKind::Eof, String::new()));
        };
        match c {
            '\'' => {
                let text = self.quoted('\'')?;
                Ok(make(self, TokenKind::String, text))
            }
            '"' => {
                let text = self.quoted('"')?;
                Ok(make(self, TokenKind::QuotedName, text))
            }
            '$' if self.byte(start + 1) == b'$' => {
                let text = self.dollar_string()?;
                Ok(make(self, TokenKind::String, text))
            }
            c if c.is_ascii_alphanumeric() || c == '-' => {
                if let Some((kind, end)) = self.number_or_word(start) {
                    self.bump_to(end);
                    let text = self.src.get(start..end).unwrap_or_default().to_string();
                    return Ok(make(self, kind, text));
                }
                // A lone '-' (or "-=").
                self.symbol(start).map(|kind| make(self, kind, self.text_from(start)))
            }
            _ => self.symbol(start).map(|kind| make(self, kind, self.text_from(start))),
        }
    }

    fn text_from(&self, start: usize) -> String {
        self.src.get(start..self.pos).unwrap_or_default().to_string()
    }

    fn symbol(&mut self, start: usize) -> Result<TokenKind, ParseError> {
        let next = self.byte(start + 1);
        let (symbol, len) = match self.byte(start) {
            b'(' => (Symbol::LParen, 1),
            b')' => (Symbol::RParen, 1),
            b'[' => (Symbol::LBracket, 1),
            b']' => (Symbol::RBracket, 1),
            b'{' => (Symbol::LBrace, 1),
            b'}' => (Symbol::RBrace, 1),
            b',' => (Symbol::Comma, 1),
            b';' => (Symbol::Semicolon, 1),
            b'.' if next == b'.' => (Symbol::Range, 2),
            b'.' => (Symbol::Dot, 1),
            b':' => (Symbol::Colon, 1),
            b'?' => (Symbol::QMark, 1),
            b'=' => (Symbol::Eq, 1),
            b'!' if next == b'=' => (Symbol::Neq, 2),
            b'<' if next == b'=' => (Symbol::Lte, 2),
            b'<' => (Symbol::Lt, 1),
            b'>' if next == b'=' => (Symbol::Gte, 2),
            b'>' => (Symbol::Gt, 1),
            b'+' if next == b'=' => (Symbol::PlusEq, 2),
            b'+' => (Symbol::Plus, 1),
            b'-' if next == b'=' => (Symbol::MinusEq, 2),
            b'-' => (Symbol::Minus, 1),
            b'*' => (Symbol::Star, 1),
            b'/' => (Symbol::Slash, 1),
            b'%' => (Symbol::Percent, 1),
            _ => {
                let shown = self.peek_char().unwrap_or(' ');
                return Err(self.error_here(format!("no viable alternative at character '{}'", shown.escape_default())));
            }
        };
        self.bump_to(start + len);
        Ok(TokenKind::Symbol(symbol))
    }

    /// A `'string'` or `"name"`: the quote doubled inside stands for itself.
    fn quoted(&mut self, quote: char) -> Result<String, ParseError> {
        self.bump();
        let mut text = String::new();
        loop {
            match self.bump() {
                Some(c) if c == quote => {
                    if self.peek_char() == Some(quote) {
                        self.bump();
                        text.push(quote);
                    } else {
                        return Ok(text);
                    }
                }
                Some(c) => text.push(c),
                None => return Err(self.error_here(format!("mismatched character '<EOF>' expecting '{quote}'"))),
            }
        }
    }

    /// A `$$pg-style$$` string: everything up to the next `$$`, verbatim.
    fn dollar_string(&mut self) -> Result<String, ParseError> {
        self.bump();
        self.bump();
        let body_start = self.pos;
        loop {
            if self.pos >= self.bytes.len() {
                return Err(self.error_here("mismatched character '<EOF>' expecting '$'".into()));
            }
            if self.byte(self.pos) == b'$' && self.byte(self.pos + 1) == b'$' {
                let text = self.src.get(body_start..self.pos).unwrap_or_default();
                let text = text.to_string();
                self.bump();
                self.bump();
                return Ok(text);
            }
            self.bump();
        }
    }
}
