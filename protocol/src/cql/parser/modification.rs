//! `INSERT`, `UPDATE`, `DELETE`, their `USING` clause, and `BATCH`.

use super::super::ast::{
    Assignment, BatchKind, BatchStatement, DeleteSelector, DeleteStatement, InsertStatement, InsertValues, Literal,
    Statement, Term, UpdateStatement, UsingClause,
};
use super::super::token::{Symbol, TokenKind};
use super::cursor::{PResult, Parser};
use super::names::is_ident;

/// Which `USING` parts a statement accepts.
#[derive(Clone, Copy)]
pub struct UsingAllowed {
    ttl: bool,
    timestamp: bool,
    timeout: bool,
}

impl UsingAllowed {
    /// `INSERT`, `UPDATE`, `BATCH`.
    pub const ALL: UsingAllowed = UsingAllowed { ttl: true, timestamp: true, timeout: true };
    /// `DELETE` (ScyllaDB's `usingTimestampTimeoutClause`).
    pub const NO_TTL: UsingAllowed = UsingAllowed { ttl: false, timestamp: true, timeout: true };
    /// `SELECT`.
    pub const TIMEOUT_ONLY: UsingAllowed = UsingAllowed { ttl: false, timestamp: false, timeout: true };
}

impl Parser<'_> {
    /// `USING item (AND item)*`, if present.
    pub fn parse_using(&mut self, allowed: UsingAllowed) -> PResult<UsingClause> {
        let mut using = UsingClause::default();
        if !self.eat_word("using") {
            return Ok(using);
        }
        loop {
            let token = self.peek().clone();
            let (slot, is_int) = if allowed.ttl && token.is_word("ttl") {
                (&mut using.ttl, true)
            } else if allowed.timestamp && token.is_word("timestamp") {
                (&mut using.timestamp, true)
            } else if allowed.timeout && token.is_word("timeout") {
                (&mut using.timeout, false)
            } else {
                return Err(self.no_viable());
            };
            if slot.is_some() {
                return Err(
                    self.error_at(&token, format!("Multiple definitions of USING {}", token.text.to_uppercase()))
                );
            }
            self.advance();
            *slot = Some(if is_int { self.parse_int_value()? } else { self.parse_term()? });
            if !self.eat_word("and") {
                return Ok(using);
            }
        }
    }

    pub fn parse_insert(&mut self) -> PResult<Statement> {
        self.expect_word("insert")?;
        self.expect_word("into")?;
        let table = self.parse_qualified_name("table")?;
        let values = if self.eat_word("json") {
            let value = match self.parse_marker()? {
                Some(marker) => Term::Bind(marker),
                None if self.peek().kind == TokenKind::String => Term::Literal(Literal::String(self.advance().text)),
                None => return Err(self.no_viable()),
            };
            let mut default_unset = false;
            if self.eat_word("default") {
                if self.eat_word("unset") {
                    default_unset = true;
                } else if !self.eat_word("null") {
                    return Err(self.no_viable());
                }
            }
            InsertValues::Json { value, default_unset }
        } else {
            let columns = self.parse_ident_tuple()?;
            self.expect_word("values")?;
            self.expect_symbol(Symbol::LParen)?;
            let mut values = vec![self.parse_term()?];
            while self.eat_symbol(Symbol::Comma) {
                values.push(self.parse_term()?);
            }
            self.expect_symbol(Symbol::RParen)?;
            InsertValues::Columns { columns, values }
        };
        let if_not_exists = self.eat_if_not_exists()?;
        let using = self.parse_using(UsingAllowed::ALL)?;
        Ok(Statement::Insert(InsertStatement { table, values, if_not_exists, using }))
    }

    pub fn parse_update(&mut self) -> PResult<Statement> {
        self.expect_word("update")?;
        let table = self.parse_qualified_name("table")?;
        let using = self.parse_using(UsingAllowed::ALL)?;
        self.expect_word("set")?;
        let mut assignments = vec![self.parse_assignment()?];
        while self.eat_symbol(Symbol::Comma) {
            assignments.push(self.parse_assignment()?);
        }
        self.expect_word("where")?;
        let where_clause = self.parse_where_clause()?;
        let (if_exists, conditions) = self.parse_if_clause()?;
        Ok(Statement::Update(UpdateStatement { table, using, assignments, where_clause, if_exists, conditions }))
    }

    /// One `SET` item (`columnOperation`).
    fn parse_assignment(&mut self) -> PResult<Assignment> {
        let column = self.parse_cident()?;
        if self.eat_symbol(Symbol::PlusEq) {
            let value = self.parse_term()?;
            return Ok(Assignment::Add { column, value });
        }
        if self.eat_symbol(Symbol::MinusEq) {
            let value = self.parse_term()?;
            return Ok(Assignment::Subtract { column, value });
        }
        if self.eat_symbol(Symbol::LBracket) {
            let key = self.parse_term()?;
            self.expect_symbol(Symbol::RBracket)?;
            self.expect_symbol(Symbol::Eq)?;
            let value = self.parse_term()?;
            return Ok(Assignment::SetElement { column, key, value });
        }
        if self.eat_symbol(Symbol::Dot) {
            let field = self.parse_ident()?;
            self.expect_symbol(Symbol::Eq)?;
            let value = self.parse_term()?;
            return Ok(Assignment::SetField { column, field, value });
        }
        if !self.at_symbol(Symbol::Eq) {
            return Err(self.no_viable());
        }
        self.advance();
        self.parse_assignment_value(column)
    }

    /// After `c =`: `v`, `c + v`, `c - v`, `c -1` or `v + c`.
    fn parse_assignment_value(&mut self, column: String) -> PResult<Assignment> {
        let next = self.peek_at(1);
        let column_first = is_ident(self.peek())
            && !self.at_function_call()
            && (next.is_symbol(Symbol::Plus)
                || next.is_symbol(Symbol::Minus)
                || (next.kind == TokenKind::Integer && next.text.starts_with('-')));
        if column_first {
            let other_token = self.peek().clone();
            let other = self.parse_cident()?;
            let sign = self.advance();
            if other != column {
                let shown = if sign.is_symbol(Symbol::Plus) { '+' } else { '-' };
                return Err(self.error_at(
                    &other_token,
                    format!("Only expressions of the form X = X {shown} <value> are supported."),
                ));
            }
            return Ok(match sign.kind {
                TokenKind::Symbol(Symbol::Plus) => Assignment::Add { column, value: self.parse_term()? },
                TokenKind::Symbol(Symbol::Minus) => Assignment::Subtract { column, value: self.parse_term()? },
                _ => Assignment::Add { column, value: Term::Literal(Literal::Integer(sign.text)) },
            });
        }
        let value = self.parse_term()?;
        if !self.at_symbol(Symbol::Plus) {
            return Ok(Assignment::Set { column, value });
        }
        self.advance();
        let other_token = self.peek().clone();
        let other = self.parse_cident()?;
        if other != column {
            return Err(self.error_at(&other_token, "Only expressions of the form X = <value> + X are supported."));
        }
        Ok(Assignment::Prepend { column, value })
    }

    pub fn parse_delete(&mut self) -> PResult<Statement> {
        self.expect_word("delete")?;
        let mut columns = Vec::new();
        if !self.at_word("from") {
            loop {
                columns.push(self.parse_delete_selector()?);
                if !self.eat_symbol(Symbol::Comma) {
                    break;
                }
            }
        }
        self.expect_word("from")?;
        let table = self.parse_qualified_name("table")?;
        let using = self.parse_using(UsingAllowed::NO_TTL)?;
        self.expect_word("where")?;
        let where_clause = self.parse_where_clause()?;
        let (if_exists, conditions) = self.parse_if_clause()?;
        Ok(Statement::Delete(DeleteStatement { columns, table, using, where_clause, if_exists, conditions }))
    }

    fn parse_delete_selector(&mut self) -> PResult<DeleteSelector> {
        let column = self.parse_cident()?;
        if self.eat_symbol(Symbol::LBracket) {
            let key = self.parse_term()?;
            self.expect_symbol(Symbol::RBracket)?;
            return Ok(DeleteSelector::Element { column, key });
        }
        if self.eat_symbol(Symbol::Dot) {
            let field = self.parse_ident()?;
            return Ok(DeleteSelector::Field { column, field });
        }
        Ok(DeleteSelector::Column(column))
    }

    pub fn parse_batch(&mut self) -> PResult<Statement> {
        self.expect_word("begin")?;
        let kind = if self.eat_word("unlogged") {
            BatchKind::Unlogged
        } else if self.eat_word("counter") {
            BatchKind::Counter
        } else {
            BatchKind::Logged
        };
        self.expect_word("batch")?;
        let using = self.parse_using(UsingAllowed::ALL)?;
        let mut statements = Vec::new();
        loop {
            let statement = if self.at_word("insert") {
                self.parse_insert()?
            } else if self.at_word("update") {
                self.parse_update()?
            } else if self.at_word("delete") {
                self.parse_delete()?
            } else {
                break;
            };
            statements.push(statement);
            self.eat_symbol(Symbol::Semicolon);
        }
        self.expect_word("apply")?;
        self.expect_word("batch")?;
        Ok(Statement::Batch(BatchStatement { kind, using, statements }))
    }
}
