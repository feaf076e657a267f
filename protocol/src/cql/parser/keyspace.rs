//! Keyspace statements and `USE`.

use super::super::ast::{
    AlterKeyspaceStatement, CreateKeyspaceStatement, DropKeyspaceStatement, Statement, UseStatement,
};
use super::cursor::{PResult, Parser};

impl Parser<'_> {
    /// `KEYSPACE` or its synonym `SCHEMA`.
    fn expect_keyspace_keyword(&mut self) -> PResult<()> {
        if self.eat_word("schema") {
            return Ok(());
        }
        self.expect_word("keyspace")
    }

    pub fn parse_use(&mut self) -> PResult<Statement> {
        self.expect_word("use")?;
        let keyspace = self.parse_keyspace_name()?;
        Ok(Statement::Use(UseStatement { keyspace }))
    }

    /// After `CREATE`.
    pub fn parse_create_keyspace(&mut self) -> PResult<Statement> {
        self.expect_keyspace_keyword()?;
        let if_not_exists = self.eat_if_not_exists()?;
        let name = self.parse_keyspace_name()?;
        self.expect_word("with")?;
        let options = self.parse_properties()?;
        Ok(Statement::CreateKeyspace(CreateKeyspaceStatement { name, if_not_exists, options }))
    }

    /// After `ALTER`.
    pub fn parse_alter_keyspace(&mut self) -> PResult<Statement> {
        self.expect_keyspace_keyword()?;
        let name = self.parse_keyspace_name()?;
        self.expect_word("with")?;
        let options = self.parse_properties()?;
        Ok(Statement::AlterKeyspace(AlterKeyspaceStatement { name, options }))
    }

    /// After `DROP`.
    pub fn parse_drop_keyspace(&mut self) -> PResult<Statement> {
        self.expect_keyspace_keyword()?;
        let if_exists = self.eat_if_exists()?;
        let name = self.parse_keyspace_name()?;
        Ok(Statement::DropKeyspace(DropKeyspaceStatement { name, if_exists }))
    }
}
