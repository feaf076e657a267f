//! `DESCRIBE` / `DESC`.
//!
//! Listing words (`KEYSPACES`, `TABLES`, `TYPES`, …) win over a generic name, as the
//! syntactic predicates of Cassandra's grammar make them; anything else is a generic
//! `DESCRIBE [ks.]name`.

use super::super::ast::{DescribeStatement, DescribeTarget, QualifiedName, Statement};
use super::cursor::{PResult, Parser};

/// Builds a target from the name that follows its keyword (`TYPE t`, `FUNCTION f`).
type TargetOfName = fn(QualifiedName) -> DescribeTarget;

impl Parser<'_> {
    pub fn parse_describe(&mut self) -> PResult<Statement> {
        if !self.eat_word("describe") {
            self.expect_word("desc")?;
        }
        let target = self.parse_describe_target()?;
        let with_internals = self.eat_word("with");
        if with_internals {
            self.expect_word("internals")?;
        }
        Ok(Statement::Describe(DescribeStatement { target, with_internals }))
    }

    fn parse_describe_target(&mut self) -> PResult<DescribeTarget> {
        let listings = [
            ("cluster", DescribeTarget::Cluster),
            ("keyspaces", DescribeTarget::Keyspaces),
            ("tables", DescribeTarget::Tables),
            ("columnfamilies", DescribeTarget::Tables),
            ("types", DescribeTarget::Types),
            ("functions", DescribeTarget::Functions),
            ("aggregates", DescribeTarget::Aggregates),
        ];
        if let Some((_, target)) = listings.into_iter().find(|(word, _)| self.at_word(word)) {
            self.advance();
            return Ok(target);
        }
        if self.at_word("full") || self.at_word("schema") {
            let full = self.eat_word("full");
            self.expect_word("schema")?;
            return Ok(DescribeTarget::Schema { full });
        }
        let only = self.at_word("only") && self.at_word_at(1, "keyspace");
        if only {
            self.advance();
        }
        if self.eat_word("keyspace") {
            let name = if self.at_ident() { Some(self.parse_keyspace_name()?) } else { None };
            return Ok(DescribeTarget::Keyspace { name, only });
        }
        if self.eat_word("table") || self.eat_word("columnfamily") {
            return Ok(DescribeTarget::Table(self.parse_qualified_name("table")?));
        }
        if self.eat_word("index") {
            return Ok(DescribeTarget::Index(self.parse_qualified_name("index")?));
        }
        if self.eat_word("materialized") {
            self.expect_word("view")?;
            return Ok(DescribeTarget::MaterializedView(self.parse_qualified_name("view")?));
        }
        let named: [(&str, TargetOfName); 3] = [
            ("type", DescribeTarget::Type),
            ("function", DescribeTarget::Function),
            ("aggregate", DescribeTarget::Aggregate),
        ];
        if let Some((word, make)) = named.into_iter().find(|(word, _)| self.at_word(word) && self.next_is_name()) {
            self.advance();
            return Ok(make(self.parse_qualified_name(word)?));
        }
        Ok(DescribeTarget::Generic(self.parse_qualified_name("table")?))
    }

    /// Whether the token after the current one can start a name.
    fn next_is_name(&self) -> bool {
        super::names::is_ident(self.peek_at(1))
    }
}
