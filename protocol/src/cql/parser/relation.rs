//! `WHERE` relations and `IF` conditions.

use super::super::ast::{Condition, ConditionTarget, InValues, Operator, Relation};
use super::super::token::{Symbol, TokenKind};
use super::cursor::{PResult, Parser};
use super::names::is_ident;

impl Parser<'_> {
    /// `relation (AND relation)*`
    pub fn parse_where_clause(&mut self) -> PResult<Vec<Relation>> {
        let mut relations = vec![self.parse_relation()?];
        while self.eat_word("and") {
            relations.push(self.parse_relation()?);
        }
        Ok(relations)
    }

    /// `=`, `<`, `<=`, `>`, `>=`, `!=`, if present.
    fn eat_relation_type(&mut self) -> Option<Operator> {
        let op = match self.peek().kind {
            TokenKind::Symbol(Symbol::Eq) => Operator::Eq,
            TokenKind::Symbol(Symbol::Lt) => Operator::Lt,
            TokenKind::Symbol(Symbol::Lte) => Operator::Lte,
            TokenKind::Symbol(Symbol::Gt) => Operator::Gt,
            TokenKind::Symbol(Symbol::Gte) => Operator::Gte,
            TokenKind::Symbol(Symbol::Neq) => Operator::Neq,
            _ => return None,
        };
        self.advance();
        Some(op)
    }

    fn parse_relation_type(&mut self) -> PResult<Operator> {
        self.eat_relation_type().ok_or_else(|| self.no_viable())
    }

    /// `CONTAINS [KEY]`, if present.
    fn eat_contains(&mut self) -> Option<Operator> {
        if !self.eat_word("contains") {
            return None;
        }
        Some(if self.eat_word("key") { Operator::ContainsKey } else { Operator::Contains })
    }

    fn parse_relation(&mut self) -> PResult<Relation> {
        self.nested(Self::parse_relation_unnested)
    }

    fn parse_relation_unnested(&mut self) -> PResult<Relation> {
        if self.at_word("token") && self.at_symbol_at(1, Symbol::LParen) {
            self.advance();
            let columns = self.parse_ident_tuple()?;
            let op = self.parse_relation_type()?;
            let value = self.parse_term()?;
            return Ok(Relation::Token { columns, op, value });
        }
        if self.at_symbol(Symbol::LParen) {
            let tuple_of_columns = is_ident(self.peek_at(1))
                && (self.at_symbol_at(2, Symbol::Comma) || self.at_symbol_at(2, Symbol::RParen));
            if !tuple_of_columns {
                self.advance();
                let relation = self.parse_relation()?;
                self.expect_symbol(Symbol::RParen)?;
                return Ok(relation);
            }
            let columns = self.parse_ident_tuple()?;
            if self.eat_word("in") {
                let values = self.parse_in_values()?;
                return Ok(Relation::MultiColumnIn { columns, values });
            }
            let op = self.parse_relation_type()?;
            let value = self.parse_term()?;
            return Ok(Relation::MultiColumn { columns, op, value });
        }
        let column = self.parse_cident()?;
        if let Some(op) = self.eat_relation_type().or_else(|| self.eat_contains()) {
            let value = self.parse_term()?;
            return Ok(Relation::Simple { column, op, value });
        }
        if self.eat_word("like") {
            let value = self.parse_term()?;
            return Ok(Relation::Simple { column, op: Operator::Like, value });
        }
        if self.eat_word("is") {
            self.expect_word("not")?;
            self.expect_word("null")?;
            return Ok(Relation::IsNotNull { column });
        }
        if self.eat_word("in") {
            let values = self.parse_in_values()?;
            return Ok(Relation::In { column, values });
        }
        if self.eat_symbol(Symbol::LBracket) {
            let key = self.parse_term()?;
            self.expect_symbol(Symbol::RBracket)?;
            let op = self.parse_relation_type()?;
            let value = self.parse_term()?;
            return Ok(Relation::MapElement { column, key, op, value });
        }
        Err(self.no_viable())
    }

    /// After `IN`: `(t, …)`, `()`, `?` or `:name`.
    fn parse_in_values(&mut self) -> PResult<InValues> {
        if let Some(marker) = self.parse_marker()? {
            return Ok(InValues::Marker(marker));
        }
        if !self.at_symbol(Symbol::LParen) {
            return Err(self.no_viable());
        }
        let items = self.parse_term_list(Symbol::LParen, Symbol::RParen)?;
        Ok(InValues::List(items))
    }

    /// After `IF`: `EXISTS` or conditions. Returns (if_exists, conditions).
    pub fn parse_if_clause(&mut self) -> PResult<(bool, Vec<Condition>)> {
        if !self.eat_word("if") {
            return Ok((false, Vec::new()));
        }
        // `exists` is also a valid column name: it is the keyword unless a condition follows.
        let next = self.peek_at(1);
        let column_named_exists = next.is_symbol(Symbol::LBracket)
            || next.is_symbol(Symbol::Dot)
            || next.is_word("in")
            || next.is_word("contains")
            || matches!(
                next.kind,
                TokenKind::Symbol(Symbol::Eq | Symbol::Lt | Symbol::Lte | Symbol::Gt | Symbol::Gte | Symbol::Neq)
            );
        if self.at_word("exists") && !column_named_exists {
            self.advance();
            return Ok((true, Vec::new()));
        }
        let mut conditions = vec![self.parse_condition()?];
        while self.eat_word("and") {
            conditions.push(self.parse_condition()?);
        }
        Ok((false, conditions))
    }

    fn parse_condition(&mut self) -> PResult<Condition> {
        let column = self.parse_cident()?;
        let target = if self.eat_symbol(Symbol::LBracket) {
            let key = self.parse_term()?;
            self.expect_symbol(Symbol::RBracket)?;
            ConditionTarget::Element { column, key }
        } else if self.eat_symbol(Symbol::Dot) {
            let field = self.parse_ident()?;
            ConditionTarget::Field { column, field }
        } else {
            ConditionTarget::Column(column)
        };
        let plain_column = matches!(target, ConditionTarget::Column(_));
        if self.eat_word("in") {
            let values = self.parse_in_values()?;
            return Ok(Condition::In { target, values });
        }
        let op = match self.eat_relation_type() {
            Some(op) => op,
            None if plain_column => self.eat_contains().ok_or_else(|| self.no_viable())?,
            None => return Err(self.no_viable()),
        };
        let value = self.parse_term()?;
        Ok(Condition::Compare { target, op, value })
    }
}
