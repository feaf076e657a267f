//! `SELECT` and its selectors.
//!
//! `JSON` and `DISTINCT` are also valid column names, so `SELECT json FROM t` selects a
//! column while `SELECT JSON * FROM t` is a JSON select: like Cassandra's syntactic
//! predicates, the keyword reading is tried first and abandoned if no `FROM` follows.

use super::super::ast::{Ordering, SelectStatement, Selection, Selector, SelectorExpr, Statement, UsingClause};
use super::super::token::{Symbol, TokenKind};
use super::cursor::{PResult, Parser};
use super::modification::UsingAllowed;

impl Parser<'_> {
    pub fn parse_select(&mut self) -> PResult<Statement> {
        self.expect_word("select")?;
        let json = self.at_word("json") && self.keyword_then_selection(true);
        if json {
            self.advance();
        }
        let distinct = self.at_word("distinct") && self.keyword_then_selection(false);
        if distinct {
            self.advance();
        }
        let selection = self.parse_selection()?;
        self.expect_word("from")?;
        let from = self.parse_qualified_name("table")?;
        let where_clause = if self.eat_word("where") { self.parse_where_clause()? } else { Vec::new() };
        let mut group_by = Vec::new();
        if self.eat_word("group") {
            self.expect_word("by")?;
            group_by.push(self.parse_cident()?);
            while self.eat_symbol(Symbol::Comma) {
                group_by.push(self.parse_cident()?);
            }
        }
        let mut order_by = Vec::new();
        if self.eat_word("order") {
            self.expect_word("by")?;
            loop {
                let column = self.parse_cident()?;
                let ordering = if self.eat_word("desc") {
                    Ordering::Desc
                } else {
                    self.eat_word("asc");
                    Ordering::Asc
                };
                order_by.push((column, ordering));
                if !self.eat_symbol(Symbol::Comma) {
                    break;
                }
            }
        }
        let mut per_partition_limit = None;
        if self.eat_word("per") {
            self.expect_word("partition")?;
            self.expect_word("limit")?;
            per_partition_limit = Some(self.parse_int_value()?);
        }
        let limit = if self.eat_word("limit") { Some(self.parse_int_value()?) } else { None };
        let allow_filtering = self.eat_word("allow");
        if allow_filtering {
            self.expect_word("filtering")?;
        }
        let bypass_cache = self.eat_word("bypass");
        if bypass_cache {
            self.expect_word("cache")?;
        }
        let UsingClause { timeout, .. } = self.parse_using(UsingAllowed::TIMEOUT_ONLY)?;
        Ok(Statement::Select(SelectStatement {
            json,
            distinct,
            selection,
            from,
            where_clause,
            group_by,
            order_by,
            per_partition_limit,
            limit,
            allow_filtering,
            bypass_cache,
            timeout,
        }))
    }

    /// Whether the current word, read as a keyword (`JSON`, `DISTINCT`), is followed by a
    /// selection and `FROM`. Never moves the cursor.
    fn keyword_then_selection(&mut self, then_distinct: bool) -> bool {
        self.probe(|p| {
            p.advance();
            if then_distinct && p.at_word("distinct") && p.keyword_then_selection(false) {
                p.advance();
            }
            p.parse_selection()?;
            if p.at_word("from") {
                Ok(())
            } else {
                Err(p.no_viable())
            }
        })
    }

    fn parse_selection(&mut self) -> PResult<Selection> {
        if self.eat_symbol(Symbol::Star) {
            return Ok(Selection::All);
        }
        let mut selectors = vec![self.parse_selector()?];
        while self.eat_symbol(Symbol::Comma) {
            selectors.push(self.parse_selector()?);
        }
        Ok(Selection::Selectors(selectors))
    }

    fn parse_selector(&mut self) -> PResult<Selector> {
        let expr = self.parse_selector_expr()?;
        let alias = if self.eat_word("as") { Some(self.parse_ident()?) } else { None };
        Ok(Selector { expr, alias })
    }

    pub fn parse_selector_expr(&mut self) -> PResult<SelectorExpr> {
        self.nested(|p| {
            let mut expr = p.parse_selector_base()?;
            loop {
                if p.eat_symbol(Symbol::Dot) {
                    let field = p.parse_ident()?;
                    expr = SelectorExpr::FieldAccess { expr: Box::new(expr), field };
                } else if p.eat_symbol(Symbol::LBracket) {
                    let key = p.parse_term()?;
                    p.expect_symbol(Symbol::RBracket)?;
                    expr = SelectorExpr::ElementAccess { expr: Box::new(expr), key };
                } else {
                    return Ok(expr);
                }
            }
        })
    }

    fn parse_selector_base(&mut self) -> PResult<SelectorExpr> {
        let call = self.at_symbol_at(1, Symbol::LParen);
        if call && self.at_word("count") && self.at_count_all() {
            for _ in 0..4 {
                self.advance();
            }
            return Ok(SelectorExpr::CountAll);
        }
        if call && (self.at_word("writetime") || self.at_word("ttl")) {
            let writetime = self.at_word("writetime");
            self.advance();
            self.expect_symbol(Symbol::LParen)?;
            let column = self.parse_cident()?;
            self.expect_symbol(Symbol::RParen)?;
            return Ok(if writetime { SelectorExpr::WriteTime(column) } else { SelectorExpr::Ttl(column) });
        }
        if call && self.at_word("cast") {
            self.advance();
            self.expect_symbol(Symbol::LParen)?;
            let expr = self.parse_selector_expr()?;
            self.expect_word("as")?;
            let ty = self.parse_type()?;
            self.expect_symbol(Symbol::RParen)?;
            return Ok(SelectorExpr::Cast { expr: Box::new(expr), ty });
        }
        if self.at_function_call() {
            let name = self.parse_function_name()?;
            self.expect_symbol(Symbol::LParen)?;
            let mut args = Vec::new();
            if !self.eat_symbol(Symbol::RParen) {
                loop {
                    args.push(self.parse_selector_expr()?);
                    if !self.eat_symbol(Symbol::Comma) {
                        break;
                    }
                }
                self.expect_symbol(Symbol::RParen)?;
            }
            return Ok(SelectorExpr::FunctionCall { name, args });
        }
        if self.at_simple_value() || self.at_symbol(Symbol::LBracket) || self.at_symbol(Symbol::LBrace) {
            return Ok(SelectorExpr::Term(self.parse_term()?));
        }
        Ok(SelectorExpr::Column(self.parse_cident()?))
    }

    /// `count ( * )` or `count ( 1 )` at the current position.
    fn at_count_all(&self) -> bool {
        let argument = self.peek_at(2);
        let is_star_or_one =
            argument.is_symbol(Symbol::Star) || (argument.kind == TokenKind::Integer && argument.text == "1");
        is_star_or_one && self.at_symbol_at(3, Symbol::RParen)
    }
}
