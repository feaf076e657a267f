//! Secondary index statements: `CREATE [CUSTOM] INDEX`, `DROP INDEX`.

use super::super::ast::{CreateIndexStatement, DropIndexStatement, IndexTarget, IndexTargetKind, Options, Statement};
use super::super::token::{Symbol, TokenKind};
use super::cursor::{PResult, Parser};

impl Parser<'_> {
    /// After `CREATE`.
    pub fn parse_create_index(&mut self) -> PResult<Statement> {
        let custom = self.eat_word("custom");
        self.expect_word("index")?;
        let if_not_exists = self.eat_if_not_exists()?;
        let name = if self.at_word("on") { None } else { Some(self.parse_ident()?) };
        self.expect_word("on")?;
        let table = self.parse_qualified_name("table")?;
        self.expect_symbol(Symbol::LParen)?;
        let target = self.parse_index_target()?;
        if self.at_symbol(Symbol::Comma) {
            return Err(self.error_at_current("Indexes on more than one column are not supported".to_string()));
        }
        self.expect_symbol(Symbol::RParen)?;
        let custom_class = if self.eat_word("using") {
            if self.peek().kind != TokenKind::String {
                return Err(self.mismatch("STRING_LITERAL"));
            }
            Some(self.advance().text)
        } else {
            None
        };
        let options = if self.eat_word("with") { self.parse_properties()? } else { Options::new() };
        Ok(Statement::CreateIndex(CreateIndexStatement {
            name,
            table,
            target,
            if_not_exists,
            custom,
            custom_class,
            options,
        }))
    }

    /// `col`, `VALUES(col)`, `KEYS(col)`, `ENTRIES(col)` or `FULL(col)`.
    fn parse_index_target(&mut self) -> PResult<IndexTarget> {
        let kind = [
            ("values", IndexTargetKind::Values),
            ("keys", IndexTargetKind::Keys),
            ("entries", IndexTargetKind::Entries),
            ("full", IndexTargetKind::Full),
        ]
        .into_iter()
        .find(|(word, _)| self.at_word(word) && self.at_symbol_at(1, Symbol::LParen))
        .map(|(_, kind)| kind);
        let Some(kind) = kind else {
            let column = self.parse_cident()?;
            return Ok(IndexTarget { column, kind: IndexTargetKind::Simple });
        };
        self.advance();
        self.expect_symbol(Symbol::LParen)?;
        let column = self.parse_cident()?;
        self.expect_symbol(Symbol::RParen)?;
        Ok(IndexTarget { column, kind })
    }

    /// After `DROP`.
    pub fn parse_drop_index(&mut self) -> PResult<Statement> {
        self.expect_word("index")?;
        let if_exists = self.eat_if_exists()?;
        let name = self.parse_qualified_name("index")?;
        Ok(Statement::DropIndex(DropIndexStatement { name, if_exists }))
    }
}
