//! Type expressions (`comparatorType`): native types, collections, tuples, `frozen<>`,
//! `vector<>`, user types and custom types given by a quoted class name.

use super::super::ast::{QualifiedName, TypeExpr};
use super::super::keywords::{is_reserved_type_name, native_type};
use super::super::token::{Symbol, TokenKind};
use super::cursor::{PResult, Parser};

impl Parser<'_> {
    pub fn parse_type(&mut self) -> PResult<TypeExpr> {
        self.nested(Self::parse_type_unnested)
    }

    fn parse_type_unnested(&mut self) -> PResult<TypeExpr> {
        let token = self.peek();
        match token.kind {
            TokenKind::String => {
                let class = self.advance().text;
                Ok(TypeExpr::Custom(class))
            }
            TokenKind::Word if self.at_symbol_at(1, Symbol::Lt) => {
                let word = token.text.to_ascii_lowercase();
                match word.as_str() {
                    "map" | "list" | "set" | "tuple" | "frozen" | "vector" => {
                        self.advance();
                        self.parse_type_arguments(&word)
                    }
                    _ => self.parse_named_type(),
                }
            }
            _ => self.parse_named_type(),
        }
    }

    /// A native type, or a user type `[ks.]name`.
    fn parse_named_type(&mut self) -> PResult<TypeExpr> {
        let token = self.peek();
        if token.kind == TokenKind::Word {
            if let Some(native) = native_type(&token.text) {
                self.advance();
                return Ok(TypeExpr::Native(native.to_string()));
            }
        }
        Ok(TypeExpr::UserDefined(self.parse_user_type_name()?))
    }

    /// `[ks.]name` of a user type (`userTypeName`): the name may not be a native type or a
    /// reserved type name.
    pub fn parse_user_type_name(&mut self) -> PResult<QualifiedName> {
        let keyspace = if self.at_symbol_at(1, Symbol::Dot) {
            let keyspace = self.parse_keyspace_name()?;
            self.advance();
            Some(keyspace)
        } else {
            None
        };
        let name_token = self.peek().clone();
        let name = self.parse_ident()?;
        if name_token.kind == TokenKind::Word && (is_reserved_type_name(&name) || native_type(&name).is_some()) {
            return Err(self.error_at(&name_token, format!("Invalid (reserved) user type name {name}")));
        }
        Ok(QualifiedName { keyspace, name })
    }

    /// `<…>` after `map`, `list`, `set`, `tuple`, `frozen` or `vector`.
    fn parse_type_arguments(&mut self, outer: &str) -> PResult<TypeExpr> {
        self.expect_symbol(Symbol::Lt)?;
        let first = self.parse_type()?;
        let ty = match outer {
            "map" => {
                self.expect_symbol(Symbol::Comma)?;
                TypeExpr::Map(Box::new(first), Box::new(self.parse_type()?))
            }
            "list" => TypeExpr::List(Box::new(first)),
            "set" => TypeExpr::Set(Box::new(first)),
            "frozen" => TypeExpr::Frozen(Box::new(first)),
            "tuple" => {
                let mut items = vec![first];
                while self.eat_symbol(Symbol::Comma) {
                    items.push(self.parse_type()?);
                }
                TypeExpr::Tuple(items)
            }
            _ => {
                self.expect_symbol(Symbol::Comma)?;
                let dimension = self.parse_vector_dimension()?;
                TypeExpr::Vector(Box::new(first), dimension)
            }
        };
        self.expect_symbol(Symbol::Gt)?;
        Ok(ty)
    }

    /// The dimension of `vector<…, n>`: Cassandra's `INTEGER` read by `Integer.parseInt`, so
    /// any `int` (zero and negative ones are refused later, with Cassandra's message).
    fn parse_vector_dimension(&mut self) -> PResult<i32> {
        if self.peek().kind != TokenKind::Integer {
            return Err(self.mismatch("INTEGER"));
        }
        match self.peek().text.parse::<i32>() {
            Ok(dimension) => {
                self.advance();
                Ok(dimension)
            }
            Err(_) => Err(self.error_at_current(format!("Invalid vector dimension {}: not an int", self.peek().text))),
        }
    }
}
