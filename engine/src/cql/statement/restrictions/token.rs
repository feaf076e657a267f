//! `token(pk) op value`: a bound of the token range a read scans. The value is a bigint or
//! `token(...)` of partition key values, folded now when they are constants.

use bytes::Bytes;
use percore_protocol::cql::ast::{Operator, Term};
use percore_protocol::types::CqlType;

use crate::cql::bind::ValueExpr;
use crate::cql::error::CqlError;
use crate::cql::term::{analyze_term, BindSpecs};
use crate::schema::TableDef;

use super::collect::Collected;
use super::{column_receiver, receiver, RestrictionContext, SliceBound};

impl Collected {
    /// `token(k1, k2) op value`: the lower bound, the upper bound, or both for `=`.
    pub(super) fn add_token(
        &mut self,
        ctx: &mut RestrictionContext<'_>,
        columns: &[String],
        op: Operator,
        value: &Term,
    ) -> Result<(), CqlError> {
        let table = ctx.table;
        check_token_arguments(table, columns)?;
        let value = match value {
            Term::FunctionCall { name, args } if name.name.eq_ignore_ascii_case("token") => {
                token_of_terms(table, args, ctx.binds)?
            }
            other => {
                analyze_term(other, &receiver(table, "partition key token".to_string(), CqlType::Bigint), ctx.binds)?
            }
        };
        let bound =
            SliceBound { value, inclusive: matches!(op, Operator::Gte | Operator::Lte | Operator::Eq), width: 1 };
        let token = &mut self.out.token;
        match op {
            Operator::Gt | Operator::Gte => token.lower = Some(bound),
            Operator::Lt | Operator::Lte => token.upper = Some(bound),
            Operator::Eq => {
                token.lower = Some(bound.clone());
                token.upper = Some(bound);
            }
            _ => return Err(CqlError::invalid("Unsupported operator on token()".into())),
        }
        Ok(())
    }
}

/// `token(...)` on the left names the partition key columns, in key order.
fn check_token_arguments(table: &TableDef, columns: &[String]) -> Result<(), CqlError> {
    let names = || table.partition_key.iter().map(|&i| table.column(i).name.as_str());
    if columns.iter().map(String::as_str).ne(names()) {
        return Err(CqlError::invalid(format!(
            "The token function arguments must be in the partition key order: {}",
            names().collect::<Vec<_>>().join(", ")
        )));
    }
    Ok(())
}

/// `token(?, ?)` on the right side: a token computed from partition key values.
fn token_of_terms(table: &TableDef, args: &[Term], binds: &mut BindSpecs) -> Result<ValueExpr, CqlError> {
    if args.len() != table.partition_key.len() {
        return Err(CqlError::invalid("Invalid number of arguments to token()".into()));
    }
    let mut exprs = Vec::new();
    for (term, &id) in args.iter().zip(&table.partition_key) {
        exprs.push(analyze_term(term, &column_receiver(table, id), binds)?);
    }
    // Constant keys are folded now; keys with markers are hashed when bound.
    let mut components = Vec::new();
    for e in &exprs {
        match e {
            ValueExpr::Const(Some(b)) => components.push(b.clone()),
            _ => {
                let types = table.partition_key.iter().map(|&id| table.column(id).ty.clone()).collect();
                return Ok(ValueExpr::Function(crate::cql::functions::Function::Token(types), exprs));
            }
        }
    }
    let refs: Vec<&[u8]> = components.iter().map(|b| &b[..]).collect();
    let mut key = Vec::new();
    crate::model::token::serialize_partition_key(&refs, &mut key);
    let token = crate::model::token::token_of(&key);
    Ok(ValueExpr::Const(Some(Bytes::copy_from_slice(&token.to_be_bytes()))))
}
