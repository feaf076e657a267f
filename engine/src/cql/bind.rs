//! Values bound to a statement's markers: named values resolved to marker positions, and
//! evaluation of a [`ValueExpr`] (constant, marker or function) into bytes, validated
//! against the receiving column's type.

use bytes::Bytes;
use percore_protocol::request::Values;
use percore_protocol::types::{CqlType, UdtType};
use percore_protocol::wire::Value;

use super::error::CqlError;
use super::functions::{self, Function};

/// Where a value comes from, decided when the statement is analysed.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueExpr {
    /// A literal already serialized for its receiver (`None` is `null`).
    Const(Option<Bytes>),
    /// The n-th bind marker.
    Bind(usize),
    /// A function evaluated at execution, e.g. `now()`.
    Function(Function, Vec<ValueExpr>),
    /// `fromJson(text)`: the JSON text converted to the receiver's type.
    FromJson(Box<ValueExpr>),
    /// A user type literal with markers or functions among its fields (type order).
    Udt(Box<UdtType>, Vec<ValueExpr>),
    /// A vector literal with markers or functions among its elements (of this type).
    Vector(Box<CqlType>, Vec<ValueExpr>),
    /// A tuple, list, set or map literal of this type with markers or functions among its
    /// parts (a map's keys and values alternate).
    Composite(Box<CqlType>, Vec<ValueExpr>),
}

/// A value after binding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evaluated {
    Null,
    Unset,
    Value(Bytes),
}

impl Evaluated {
    pub fn into_option(self) -> Option<Bytes> {
        match self {
            Evaluated::Value(b) => Some(b),
            _ => None,
        }
    }
}

/// The bound values of one execution, by marker position.
#[derive(Debug, Default)]
pub struct BoundValues {
    values: Vec<Value>,
}

impl BoundValues {
    /// Resolves positional or named values against the statement's marker names.
    pub fn resolve(values: Values, marker_names: &[Option<String>]) -> Result<BoundValues, CqlError> {
        let values = match values {
            Values::None => Vec::new(),
            Values::Positional(v) => v,
            Values::Named(named) => {
                let mut resolved = vec![Value::Unset; marker_names.len()];
                for (name, value) in named {
                    let position = marker_names
                        .iter()
                        .position(|m| m.as_deref().is_some_and(|m| m == name || m.eq_ignore_ascii_case(&name)))
                        .ok_or_else(|| CqlError::invalid(format!("Invalid named bind variable: {name}")))?;
                    resolved[position] = value;
                }
                resolved
            }
        };
        if values.len() != marker_names.len() {
            return Err(CqlError::invalid(format!(
                "There were {} markers(?) in CQL but {} bound variables",
                marker_names.len(),
                values.len()
            )));
        }
        Ok(BoundValues { values })
    }

    pub fn len(&self) -> usize {
        self.values.len()
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

impl ValueExpr {
    /// Evaluates for a receiver of type `ty` named `receiver` (for error messages).
    pub fn eval(&self, values: &BoundValues, ty: &CqlType, receiver: &str) -> Result<Evaluated, CqlError> {
        match self {
            ValueExpr::Const(Some(b)) => Ok(Evaluated::Value(b.clone())),
            ValueExpr::Const(None) => Ok(Evaluated::Null),
            ValueExpr::Bind(i) => match values.values.get(*i) {
                Some(Value::Null) => Ok(Evaluated::Null),
                Some(Value::Unset) => Ok(Evaluated::Unset),
                Some(Value::Bytes(b)) => {
                    ty.validate(b).map_err(|e| CqlError::invalid(e.to_string()))?;
                    Ok(Evaluated::Value(b.clone()))
                }
                None => Err(CqlError::invalid(format!("No value bound for marker {i}"))),
            },
            ValueExpr::FromJson(text) => match text.eval(values, &CqlType::Text, receiver)? {
                Evaluated::Value(b) => {
                    let json = std::str::from_utf8(&b)
                        .map_err(|_| CqlError::invalid(format!("Invalid UTF-8 in fromJson() for {receiver}")))?;
                    match percore_protocol::types::json_to_value(ty, json) {
                        Ok(Some(v)) => {
                            Ok(Evaluated::Value(crate::cql::term::normalize_collection(ty, Bytes::from(v))?))
                        }
                        Ok(None) => Ok(Evaluated::Null),
                        Err(e) => Err(CqlError::function_failure("fromjson", &["text"], e.to_string())),
                    }
                }
                Evaluated::Null => Ok(Evaluated::Null),
                Evaluated::Unset => Ok(Evaluated::Unset),
            },
            ValueExpr::Function(f, args) => {
                let args = args
                    .iter()
                    .zip(f.argument_types())
                    .map(|(a, t)| a.eval(values, &t, receiver))
                    .collect::<Result<Vec<_>, _>>()?;
                functions::call(f, &args)
            }
            ValueExpr::Udt(udt, fields) => super::udt::bind_literal(udt, fields, values, receiver),
            ValueExpr::Vector(element, items) => super::vector::bind_literal(element, items, values, receiver),
            ValueExpr::Composite(ty, parts) => super::composite_literal::bind_literal(ty, parts, values, receiver),
        }
    }

    /// Evaluates a value that must be present: null and unset are refused.
    pub fn eval_required(&self, values: &BoundValues, ty: &CqlType, receiver: &str) -> Result<Bytes, CqlError> {
        match self.eval(values, ty, receiver)? {
            Evaluated::Value(b) => Ok(b),
            Evaluated::Null => Err(CqlError::invalid(format!("Invalid null value for {receiver}"))),
            Evaluated::Unset => Err(CqlError::invalid(format!("Invalid unset value for {receiver}"))),
        }
    }

    /// An `int` parameter such as LIMIT or TTL; `None` when unset.
    pub fn eval_i32(&self, values: &BoundValues, what: &str) -> Result<Option<i32>, CqlError> {
        match self.eval(values, &CqlType::Int, what)? {
            Evaluated::Value(b) if b.len() == 4 => Ok(Some(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))),
            Evaluated::Value(_) => Err(CqlError::invalid(format!("Invalid value for {what}"))),
            Evaluated::Null => Err(CqlError::invalid(format!("Invalid null value of {what}"))),
            Evaluated::Unset => Ok(None),
        }
    }

    /// A `bigint` parameter such as USING TIMESTAMP; `None` when unset.
    pub fn eval_i64(&self, values: &BoundValues, what: &str) -> Result<Option<i64>, CqlError> {
        match self.eval(values, &CqlType::Bigint, what)? {
            Evaluated::Value(b) if b.len() == 8 => Ok(Some(i64::from_be_bytes(b[..8].try_into().unwrap_or([0; 8])))),
            Evaluated::Value(_) => Err(CqlError::invalid(format!("Invalid value for {what}"))),
            Evaluated::Null => Err(CqlError::invalid(format!("Invalid null value of {what}"))),
            Evaluated::Unset => Ok(None),
        }
    }
}
