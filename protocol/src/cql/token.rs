//! Tokens produced by the CQL lexer: kind, decoded text and source position.
//!
//! Keywords are not a token kind of their own: every unquoted word is a [`TokenKind::Word`]
//! and the parser decides, by context, whether it is a keyword or an identifier (see
//! [`super::keywords`]). This mirrors Cassandra, where most keywords are "unreserved" and
//! may be used as names.

/// Punctuation and operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Symbol {
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Semicolon,
    Dot,
    Range,
    Colon,
    QMark,
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    PlusEq,
    MinusEq,
}

impl Symbol {
    /// The symbol as written in CQL text.
    pub fn as_str(self) -> &'static str {
        match self {
            Symbol::LParen => "(",
            Symbol::RParen => ")",
            Symbol::LBracket => "[",
            Symbol::RBracket => "]",
            Symbol::LBrace => "{",
            Symbol::RBrace => "}",
            Symbol::Comma => ",",
            Symbol::Semicolon => ";",
            Symbol::Dot => ".",
            Symbol::Range => "..",
            Symbol::Colon => ":",
            Symbol::QMark => "?",
            Symbol::Eq => "=",
            Symbol::Neq => "!=",
            Symbol::Lt => "<",
            Symbol::Lte => "<=",
            Symbol::Gt => ">",
            Symbol::Gte => ">=",
            Symbol::Plus => "+",
            Symbol::Minus => "-",
            Symbol::Star => "*",
            Symbol::Slash => "/",
            Symbol::Percent => "%",
            Symbol::PlusEq => "+=",
            Symbol::MinusEq => "-=",
        }
    }
}

/// What a token is. The token's `text` holds its decoded value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// An unquoted word (identifier or keyword); `text` is as written.
    Word,
    /// A `"double-quoted"` name; `text` is unescaped and keeps its case (may be empty).
    QuotedName,
    /// A `'single-quoted'` or `$$dollar-quoted$$` string; `text` is unescaped.
    String,
    /// `-?[0-9]+`; `text` is as written.
    Integer,
    /// A float (`1.5`, `1e10`, `-2.`) or `-NaN` / `-Infinity`; `text` is as written.
    Float,
    /// `true` / `false`, any case; `text` is as written.
    Boolean,
    /// A duration (`1h30m`, `P1Y2M`, `PT2H`, `P2W`); `text` is as written.
    Duration,
    /// An unquoted UUID; `text` is as written.
    Uuid,
    /// `0x` followed by hex digits; `text` is as written (with the `0x`).
    Hex,
    Symbol(Symbol),
    /// End of input; always the last token.
    Eof,
}

/// One token with its position. `line` is 1-based, `column` is the 0-based character
/// offset within the line (as ANTLR, hence Cassandra, reports it). `start..end` is the
/// byte span in the source.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub text: String,
    pub line: u32,
    pub column: u32,
    pub start: usize,
    pub end: usize,
}

impl Token {
    /// Whether this is the unquoted word `keyword` (ASCII case-insensitive).
    pub fn is_word(&self, keyword: &str) -> bool {
        self.kind == TokenKind::Word && self.text.eq_ignore_ascii_case(keyword)
    }

    /// Whether this is the symbol `symbol`.
    pub fn is_symbol(&self, symbol: Symbol) -> bool {
        self.kind == TokenKind::Symbol(symbol)
    }
}
