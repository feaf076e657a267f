//! Table statements: `CREATE TABLE`, `ALTER TABLE`, `DROP TABLE`, `TRUNCATE`.

use super::super::ast::{
    AlterTableAction, AlterTableStatement, ColumnDef, CreateTableStatement, DropTableStatement, Options, Ordering,
    QualifiedName, Statement, TruncateStatement,
};
use super::super::token::{Symbol, Token, TokenKind};
use super::cursor::{PResult, Parser};

/// What `CREATE TABLE`'s column list and `WITH` clause declare, gathered while parsing.
struct TableDefinition {
    columns: Vec<ColumnDef>,
    primary_key: Option<(Vec<String>, Vec<String>)>,
    clustering_order: Vec<(String, Ordering)>,
    compact_storage: bool,
    options: Options,
}

impl Parser<'_> {
    /// `TABLE` or its synonym `COLUMNFAMILY`.
    fn expect_table_keyword(&mut self) -> PResult<()> {
        if self.eat_word("columnfamily") {
            return Ok(());
        }
        self.expect_word("table")
    }

    /// After `CREATE`.
    pub fn parse_create_table(&mut self) -> PResult<Statement> {
        self.expect_table_keyword()?;
        let if_not_exists = self.eat_if_not_exists()?;
        let name = self.parse_qualified_name("table")?;
        let mut table = TableDefinition {
            columns: Vec::new(),
            primary_key: None,
            clustering_order: Vec::new(),
            compact_storage: false,
            options: Options::new(),
        };
        self.expect_symbol(Symbol::LParen)?;
        loop {
            self.parse_table_element(&mut table)?;
            if !self.eat_symbol(Symbol::Comma) || self.at_symbol(Symbol::RParen) {
                break;
            }
        }
        let close = self.peek().clone();
        self.expect_symbol(Symbol::RParen)?;
        let Some((partition_key, clustering_key)) = table.primary_key.take() else {
            return Err(self.error_at(&close, "No PRIMARY KEY specified for table (exactly one required)"));
        };
        if self.eat_word("with") {
            self.parse_table_property(&mut table)?;
            while self.eat_word("and") {
                self.parse_table_property(&mut table)?;
            }
        }
        Ok(Statement::CreateTable(CreateTableStatement {
            name,
            if_not_exists,
            columns: table.columns,
            partition_key,
            clustering_key,
            clustering_order: table.clustering_order,
            compact_storage: table.compact_storage,
            options: table.options,
        }))
    }

    /// A column definition or a `PRIMARY KEY (…)` clause.
    fn parse_table_element(&mut self, table: &mut TableDefinition) -> PResult<()> {
        if self.at_word("primary") {
            let primary = self.advance();
            self.expect_word("key")?;
            self.expect_symbol(Symbol::LParen)?;
            let partition_key = if self.at_symbol(Symbol::LParen) {
                self.parse_ident_list_in_parens()?
            } else {
                vec![self.parse_ident()?]
            };
            let mut clustering_key = Vec::new();
            while self.eat_symbol(Symbol::Comma) {
                clustering_key.push(self.parse_ident()?);
            }
            self.expect_symbol(Symbol::RParen)?;
            return self.set_primary_key(table, &primary, partition_key, clustering_key);
        }
        let column = self.parse_column_def()?;
        if self.at_word("primary") {
            let primary = self.advance();
            self.expect_word("key")?;
            self.set_primary_key(table, &primary, vec![column.name.clone()], Vec::new())?;
        }
        table.columns.push(column);
        Ok(())
    }

    fn set_primary_key(
        &self,
        table: &mut TableDefinition,
        at: &Token,
        partition_key: Vec<String>,
        clustering_key: Vec<String>,
    ) -> PResult<()> {
        if table.primary_key.is_some() {
            return Err(self.error_at(at, "Multiple PRIMARY KEYs specified (exactly one required)"));
        }
        table.primary_key = Some((partition_key, clustering_key));
        Ok(())
    }

    /// `(a, b, …)` of non-empty identifiers.
    fn parse_ident_list_in_parens(&mut self) -> PResult<Vec<String>> {
        self.expect_symbol(Symbol::LParen)?;
        let mut names = vec![self.parse_ident()?];
        while self.eat_symbol(Symbol::Comma) {
            names.push(self.parse_ident()?);
        }
        self.expect_symbol(Symbol::RParen)?;
        Ok(names)
    }

    /// `name type [STATIC]`
    fn parse_column_def(&mut self) -> PResult<ColumnDef> {
        let name = self.parse_ident()?;
        let ty = self.parse_type()?;
        let is_static = self.eat_word("static");
        Ok(ColumnDef { name, ty, is_static })
    }

    /// `COMPACT STORAGE`, `CLUSTERING ORDER BY (c ASC|DESC, …)` or a property.
    fn parse_table_property(&mut self, table: &mut TableDefinition) -> PResult<()> {
        if self.at_word("compact") && self.at_word_at(1, "storage") {
            self.advance();
            self.advance();
            table.compact_storage = true;
            return Ok(());
        }
        if self.at_word("clustering") && self.at_word_at(1, "order") {
            self.advance();
            self.advance();
            self.expect_word("by")?;
            self.expect_symbol(Symbol::LParen)?;
            loop {
                let column = self.parse_ident()?;
                let ordering = if self.eat_word("asc") {
                    Ordering::Asc
                } else if self.eat_word("desc") {
                    Ordering::Desc
                } else {
                    return Err(self.no_viable());
                };
                table.clustering_order.push((column, ordering));
                if !self.eat_symbol(Symbol::Comma) {
                    break;
                }
            }
            return self.expect_symbol(Symbol::RParen);
        }
        self.parse_property(&mut table.options)
    }

    /// After `ALTER`.
    pub fn parse_alter_table(&mut self) -> PResult<Statement> {
        self.expect_table_keyword()?;
        let if_exists = self.eat_if_exists()?;
        let name = self.parse_qualified_name("table")?;
        let action = if self.eat_word("alter") {
            let column = self.parse_cident()?;
            self.expect_word("type")?;
            AlterTableAction::AlterType(column, self.parse_type()?)
        } else if self.eat_word("add") {
            if self.eat_symbol(Symbol::LParen) {
                let mut columns = vec![self.parse_column_def()?];
                while self.eat_symbol(Symbol::Comma) {
                    columns.push(self.parse_column_def()?);
                }
                self.expect_symbol(Symbol::RParen)?;
                AlterTableAction::Add(columns)
            } else {
                AlterTableAction::Add(vec![self.parse_column_def()?])
            }
        } else if self.eat_word("drop") {
            if self.at_word("compact") && self.at_word_at(1, "storage") {
                self.advance();
                self.advance();
                AlterTableAction::DropCompactStorage
            } else {
                let columns = if self.at_symbol(Symbol::LParen) {
                    self.parse_ident_list_in_parens()?
                } else {
                    vec![self.parse_ident()?]
                };
                let timestamp = if self.eat_word("using") {
                    self.expect_word("timestamp")?;
                    Some(self.parse_i64_literal()?)
                } else {
                    None
                };
                AlterTableAction::Drop { columns, timestamp }
            }
        } else if self.eat_word("rename") {
            AlterTableAction::Rename(self.parse_renames()?)
        } else if self.eat_word("with") {
            AlterTableAction::WithOptions(self.parse_properties()?)
        } else {
            return Err(self.no_viable());
        };
        Ok(Statement::AlterTable(AlterTableStatement { name, if_exists, action }))
    }

    /// `a TO b (AND c TO d)*`
    pub fn parse_renames(&mut self) -> PResult<Vec<(String, String)>> {
        let mut renames = Vec::new();
        loop {
            let from = self.parse_ident()?;
            self.expect_word("to")?;
            renames.push((from, self.parse_ident()?));
            if !self.eat_word("and") {
                return Ok(renames);
            }
        }
    }

    /// After `DROP`.
    pub fn parse_drop_table(&mut self) -> PResult<Statement> {
        self.expect_table_keyword()?;
        let if_exists = self.eat_if_exists()?;
        let name = self.parse_qualified_name("table")?;
        Ok(Statement::DropTable(DropTableStatement { name, if_exists }))
    }

    pub fn parse_truncate(&mut self) -> PResult<Statement> {
        self.expect_word("truncate")?;
        if !self.eat_word("columnfamily") {
            self.eat_word("table");
        }
        let name: QualifiedName = self.parse_qualified_name("table")?;
        Ok(Statement::Truncate(TruncateStatement { name }))
    }
}

impl Parser<'_> {
    /// A (possibly negative) integer literal that fits in 64 bits.
    fn parse_i64_literal(&mut self) -> PResult<i64> {
        let negative = self.eat_symbol(Symbol::Minus);
        if self.peek().kind != TokenKind::Integer {
            return Err(self.mismatch("INTEGER"));
        }
        let text = if negative { format!("-{}", self.peek().text) } else { self.peek().text.clone() };
        match text.parse::<i64>() {
            Ok(v) => {
                self.advance();
                Ok(v)
            }
            Err(_) => Err(self.error_at_current(format!("Invalid integer {text}: it does not fit in 64 bits"))),
        }
    }
}
