//! `WITH name = value AND …` properties of DDL statements.

use super::super::ast::{OptionValue, Options};
use super::super::token::{Symbol, TokenKind};
use super::cursor::{PResult, Parser};

impl Parser<'_> {
    /// `property (AND property)*`
    pub fn parse_properties(&mut self) -> PResult<Options> {
        let mut options = Options::new();
        self.parse_property(&mut options)?;
        while self.eat_word("and") {
            self.parse_property(&mut options)?;
        }
        Ok(options)
    }

    /// `name = constant | word | {map}`, appended to `options`; duplicates are rejected.
    pub fn parse_property(&mut self, options: &mut Options) -> PResult<()> {
        let name_token = self.peek().clone();
        let name = self.parse_ident()?;
        if options.iter().any(|(existing, _)| *existing == name) {
            return Err(self.error_at(&name_token, format!("Multiple definition for property {name}")));
        }
        self.expect_symbol(Symbol::Eq)?;
        let value = if self.at_symbol(Symbol::LBrace) {
            self.parse_property_map()?
        } else if self.peek().kind == TokenKind::Word && self.at_ident() {
            OptionValue::Identifier(self.advance().text)
        } else {
            OptionValue::Constant(self.parse_constant()?)
        };
        options.push((name, value));
        Ok(())
    }

    /// `{k: v, …}` with constant keys and values.
    fn parse_property_map(&mut self) -> PResult<OptionValue> {
        self.expect_symbol(Symbol::LBrace)?;
        let mut entries = Vec::new();
        if !self.eat_symbol(Symbol::RBrace) {
            loop {
                let key = self.parse_constant()?;
                self.expect_symbol(Symbol::Colon)?;
                let value = self.parse_constant()?;
                entries.push((key, value));
                if !self.eat_symbol(Symbol::Comma) {
                    break;
                }
            }
            self.expect_symbol(Symbol::RBrace)?;
        }
        Ok(OptionValue::Map(entries))
    }
}
