//! User type statements: `CREATE TYPE`, `ALTER TYPE`, `DROP TYPE`.

use super::super::ast::{AlterTypeAction, AlterTypeStatement, CreateTypeStatement, DropTypeStatement, Statement};
use super::super::token::Symbol;
use super::cursor::{PResult, Parser};

impl Parser<'_> {
    /// After `CREATE`.
    pub fn parse_create_type(&mut self) -> PResult<Statement> {
        self.expect_word("type")?;
        let if_not_exists = self.eat_if_not_exists()?;
        let name = self.parse_user_type_name()?;
        self.expect_symbol(Symbol::LParen)?;
        let mut fields = Vec::new();
        loop {
            let field = self.parse_ident()?;
            fields.push((field, self.parse_type()?));
            if !self.eat_symbol(Symbol::Comma) || self.at_symbol(Symbol::RParen) {
                break;
            }
        }
        self.expect_symbol(Symbol::RParen)?;
        Ok(Statement::CreateType(CreateTypeStatement { name, if_not_exists, fields }))
    }

    /// After `ALTER`.
    pub fn parse_alter_type(&mut self) -> PResult<Statement> {
        self.expect_word("type")?;
        let name = self.parse_user_type_name()?;
        let action = if self.eat_word("add") {
            let field = self.parse_ident()?;
            AlterTypeAction::Add(field, self.parse_type()?)
        } else if self.eat_word("rename") {
            AlterTypeAction::Rename(self.parse_renames()?)
        } else if self.eat_word("alter") {
            let field = self.parse_ident()?;
            self.expect_word("type")?;
            AlterTypeAction::AlterField(field, self.parse_type()?)
        } else {
            return Err(self.no_viable());
        };
        Ok(Statement::AlterType(AlterTypeStatement { name, action }))
    }

    /// After `DROP`.
    pub fn parse_drop_type(&mut self) -> PResult<Statement> {
        self.expect_word("type")?;
        let if_exists = self.eat_if_exists()?;
        let name = self.parse_user_type_name()?;
        Ok(Statement::DropType(DropTypeStatement { name, if_exists }))
    }
}
