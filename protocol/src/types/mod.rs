//! CQL data types and value codecs: [`CqlType`] (names, predicates, the `[option]`
//! wire form), [`CqlValue`] (decoded values and their serialization), validation with
//! Cassandra's rules and messages ([`ValueError`]), and literal parsing (`literal`).
//!
//! Layout: `cql_type` (the type enum, canonical names) → `option` (`[option]` codec) →
//! `value` (values, `encode`) → `decode` (`decode`/`validate`, scalar rules) →
//! `collection` (lists, sets, maps, tuples, UDTs) → `vector` (Cassandra 5.0's vectors) →
//! `vint` (duration's and vectors' varints) → `marshal` (Cassandra's type class names, the
//! wire form of vectors) → `json` (Cassandra's JSON forms of values, for `SELECT JSON`,
//! `toJson`, `INSERT JSON`, `fromJson`).

mod collection;
mod cql_type;
mod decode;
pub mod json;
pub mod literal;
mod marshal;
mod option;
mod value;
mod value_error;
mod vector;
pub mod vint;

pub use cql_type::{quote_identifier, CqlType, UdtType};
pub use decode::{MIN_DECIMAL_BYTES, MIN_DURATION_BYTES, NANOS_PER_DAY};
pub use json::{json_object_to_columns, json_to_value, json_value_to_bytes, value_to_json, JsonError, JsonValue};
pub use marshal::MARSHAL_PACKAGE;
pub use option::{option_id, MAX_TYPE_NESTING_DEPTH};
pub use value::CqlValue;
pub use value_error::{ValueError, MAX_HEX_BYTES_IN_ERROR};
pub use vector::{push_vector_element, split_vector};

#[cfg(test)]
mod tests;
