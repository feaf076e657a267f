//! The lexer: longest match, literal forms, comments and positions.

use crate::cql::lexer::tokenize;
use crate::cql::token::{Symbol, TokenKind};

/// (kind, text) of every token but the final EOF.
fn kinds(text: &str) -> Vec<(TokenKind, String)> {
    let tokens = match tokenize(text) {
        Ok(tokens) => tokens,
        Err(error) => panic!("failed to lex {text:?}: {error}"),
    };
    tokens.into_iter().filter(|t| t.kind != TokenKind::Eof).map(|t| (t.kind, t.text)).collect()
}

fn one(text: &str) -> (TokenKind, String) {
    let tokens = kinds(text);
    assert_eq!(tokens.len(), 1, "{text:?} gave {tokens:?}");
    tokens.into_iter().next().unwrap_or((TokenKind::Eof, String::new()))
}

#[test]
fn numbers_durations_uuids() {
    use TokenKind::*;
    assert_eq!(one("42"), (Integer, "42".into()));
    assert_eq!(one("-42"), (Integer, "-42".into()));
    assert_eq!(one("1.5"), (Float, "1.5".into()));
    assert_eq!(one("1."), (Float, "1.".into()));
    assert_eq!(one("1e10"), (Float, "1e10".into()));
    assert_eq!(one("-1.5E-3"), (Float, "-1.5E-3".into()));
    assert_eq!(one("-NaN"), (Float, "-NaN".into()));
    assert_eq!(one("-infinity"), (Float, "-infinity".into()));
    assert_eq!(one("1h30m"), (Duration, "1h30m".into()));
    assert_eq!(one("12mo3d"), (Duration, "12mo3d".into()));
    assert_eq!(one("5000ms"), (Duration, "5000ms".into()));
    assert_eq!(one("3us"), (Duration, "3us".into()));
    assert_eq!(one("3µs"), (Duration, "3µs".into()));
    assert_eq!(one("-2d"), (Duration, "-2d".into()));
    assert_eq!(one("P1Y2M"), (Duration, "P1Y2M".into()));
    assert_eq!(one("PT2H"), (Duration, "PT2H".into()));
    assert_eq!(one("P2W"), (Duration, "P2W".into()));
    assert_eq!(one("P1Y2M3DT4H5M6S"), (Duration, "P1Y2M3DT4H5M6S".into()));
    assert_eq!(one("P0001-02-03T04:05:06"), (Duration, "P0001-02-03T04:05:06".into()));
    assert_eq!(one("123e4567-e89b-12d3-a456-426655440000"), (Uuid, "123e4567-e89b-12d3-a456-426655440000".into()));
    assert_eq!(one("deadbeef-e89b-12d3-a456-426655440000"), (Uuid, "deadbeef-e89b-12d3-a456-426655440000".into()));
    assert_eq!(one("0xCafe"), (Hex, "0xCafe".into()));
    assert_eq!(one("0x"), (Hex, "0x".into()));
}

#[test]
fn longest_match_splits() {
    use TokenKind::*;
    assert_eq!(kinds("c-1"), vec![(Word, "c".into()), (Integer, "-1".into())]);
    assert_eq!(kinds("1h30"), vec![(Duration, "1h".into()), (Integer, "30".into())]);
    assert_eq!(kinds("P1Dx"), vec![(Word, "P1Dx".into())]);
    assert_eq!(kinds("p1d"), vec![(Word, "p1d".into())]);
    assert_eq!(
        kinds("1..2"),
        vec![(Integer, "1".into()), (Symbol(self::Symbol::Range), "..".into()), (Integer, "2".into())]
    );
    assert_eq!(kinds("a - b"), vec![(Word, "a".into()), (Symbol(self::Symbol::Minus), "-".into()), (Word, "b".into())]);
    assert_eq!(kinds("deadbeef-"), vec![(Word, "deadbeef".into()), (Symbol(self::Symbol::Minus), "-".into())]);
    assert_eq!(
        kinds("frozen<list<int>>"),
        vec![
            (Word, "frozen".into()),
            (Symbol(self::Symbol::Lt), "<".into()),
            (Word, "list".into()),
            (Symbol(self::Symbol::Lt), "<".into()),
            (Word, "int".into()),
            (Symbol(self::Symbol::Gt), ">".into()),
            (Symbol(self::Symbol::Gt), ">".into()),
        ]
    );
    assert_eq!(kinds("True false"), vec![(Boolean, "True".into()), (Boolean, "false".into())]);
}

#[test]
fn strings_and_names() {
    use TokenKind::*;
    assert_eq!(one("'it''s'"), (String, "it's".into()));
    assert_eq!(one("''"), (String, "".into()));
    assert_eq!(one("$$a 'b' $ c$$"), (String, "a 'b' $ c".into()));
    assert_eq!(one("'héllo ☃'"), (String, "héllo ☃".into()));
    assert_eq!(one("\"Quoted\"\"Name\""), (QuotedName, "Quoted\"Name".into()));
    assert_eq!(one("\"\""), (QuotedName, "".into()));
}

#[test]
fn comments_and_positions() {
    let tokens = match tokenize("-- one\n/* two\nlines */ SELECT // three\n\t x") {
        Ok(tokens) => tokens,
        Err(error) => panic!("{error}"),
    };
    let positions: Vec<(std::string::String, u32, u32)> =
        tokens.iter().map(|t| (t.text.clone(), t.line, t.column)).collect();
    assert_eq!(positions, vec![("SELECT".into(), 3, 9), ("x".into(), 4, 2), ("".into(), 4, 3)]);
}

#[test]
fn columns_count_characters_not_bytes() {
    let tokens = match tokenize("'é☃' x") {
        Ok(tokens) => tokens,
        Err(error) => panic!("{error}"),
    };
    assert_eq!(tokens.get(1).map(|t| t.column), Some(5));
}

#[test]
fn lexical_errors() {
    let error = match tokenize("SELECT @ FROM t") {
        Err(error) => error,
        Ok(tokens) => panic!("lexed {tokens:?}"),
    };
    assert_eq!((error.line, error.column), (1, 7));
    assert_eq!(error.message, "no viable alternative at character '@'");
    let error = match tokenize("SELECT 'abc") {
        Err(error) => error,
        Ok(tokens) => panic!("lexed {tokens:?}"),
    };
    assert_eq!((error.line, error.column), (1, 11));
    let error = match tokenize("SELECT /* never closed") {
        Err(error) => error,
        Ok(tokens) => panic!("lexed {tokens:?}"),
    };
    assert_eq!(error.line, 1);
    assert!(tokenize("a ! b").is_err());
    assert!(tokenize("_x").is_err());
    assert!(tokenize("\"unterminated").is_err());
    assert!(tokenize("$$unterminated").is_err());
}
