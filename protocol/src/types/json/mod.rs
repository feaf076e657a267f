//! Cassandra's JSON forms of CQL values: what `SELECT JSON` and `toJson()` print
//! ([`value_to_json`]) and what `INSERT JSON` and `fromJson()` accept ([`json_to_value`],
//! [`json_object_to_columns`], [`json_value_to_bytes`]).
//!
//! The behaviour is that of Cassandra's `AbstractType.toJSONString` / `fromJSONObject`
//! overrides (`db/marshal/*Type.java`) on top of Jackson's untyped parsing:
//! * output: text, `ascii`, `blob` (`"0x…"`), `timestamp` (`"yyyy-MM-dd HH:mm:ss.SSSZ"`),
//!   `date`, `time`, `uuid`, `timeuuid`, `inet` (Java's `getHostAddress`: IPv6 in full,
//!   `0:0:0:0:0:0:0:1`) and `duration` are JSON strings; integer types, `varint`, `decimal`
//!   (Java's `BigDecimal.toString`), `float`/`double` (Java's `toString`; NaN and infinities
//!   print as `null`) and `boolean` are bare; lists, sets, tuples and vectors are arrays,
//!   maps and UDTs objects. Map keys whose JSON is not a string are written as a string holding that
//!   JSON (`{"1": "a"}`); UDT field names with upper case are quoted (`"\"Foo\""`). The
//!   zero-length value of a fixed-size type prints as `""`. Separators are `", "` and `": "`.
//! * input: each type accepts exactly the JSON kinds Cassandra does (e.g. `int` a number
//!   within `int` range or a numeric string, `timestamp` a string or an integer outside
//!   `int` range, `date`/`time`/`uuid`/`inet`/`duration` strings only, text types strings
//!   only); collections, tuples and UDTs also accept a string holding their JSON. Map keys
//!   are JSON strings converted with the key type. Tuples need exactly their arity, vectors
//!   exactly their dimension (no nulls); UDT keys follow the column-name case rules and
//!   missing fields are null.
//!
//! Messages are Cassandra's `MarshalException` texts ([`JsonError`]); the caller prefixes
//! them as Cassandra does (`Error decoding JSON value for <col>: …` for `INSERT JSON`).
//!
//! Layout: `value` (the parsed document and Java's number/string behaviour) → `to_json` →
//! `from_json`.

mod from_json;
mod to_json;
mod value;

use thiserror::Error;

use super::literal::LiteralError;
use super::value_error::ValueError;

pub use from_json::{json_key_to_column_name, json_object_to_columns, json_to_value, json_value_to_bytes};
pub use to_json::{cql_value_to_json, value_to_json, write_json_string};
pub use value::JsonValue;

/// Why JSON text could not become a value. `Display` is Cassandra's message.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum JsonError {
    /// `fromJson()`: the argument is not a JSON document.
    #[error("Could not decode JSON string '{json}': {reason}")]
    Syntax { json: String, reason: String },
    /// `INSERT JSON`: the text is not a JSON object.
    #[error("Could not decode JSON string as a map: {reason}. (String was: {json})")]
    NotAMap { json: String, reason: String },
    /// `INSERT JSON`: the document is `null`.
    #[error("Got null for INSERT JSON values")]
    NullMap,
    /// `INSERT JSON`: two keys name the same column (Cassandra keeps the last one; we refuse).
    #[error("Multiple definitions found for column {0}")]
    DuplicateColumn(String),
    /// A string given for a collection, tuple or UDT that is not JSON itself.
    #[error("Error decoding JSON string: {0}")]
    NestedSyntax(String),
    /// The JSON value is of a kind the type does not take; `expected` is Cassandra's wording
    /// (`an int value`, `a list`, `a string representation of a date value`...).
    #[error("Expected {expected}, but got a {class}: {value}")]
    WrongKind { expected: &'static str, class: &'static str, value: String },
    /// A string that is not a number of the type (`int`, `long`, `short`, `byte`, `float`,
    /// `double`) or not a boolean.
    #[error("Unable to make {target} from '{text}'")]
    Unparsable { target: &'static str, text: String },
    /// Not a `varint`/`decimal` (any JSON value, read through its Java `toString`).
    #[error("Value '{text}' is not a valid representation of a {target} value")]
    NotANumber { target: &'static str, text: String },
    /// Not a `0x`-prefixed hexadecimal string.
    #[error("Value '{value}' is not a valid blob representation: {reason}")]
    Blob { value: String, reason: String },
    /// An `ascii` string with a non-ASCII character (`input_length` is its UTF-16 length).
    #[error(
        "Invalid ASCII character in string literal: java.nio.charset.UnmappableCharacterException: \
         Input length = {input_length}"
    )]
    NonAscii { input_length: usize },
    /// A string that is not a UUID, for a `timeuuid`.
    #[error("Unknown timeuuid representation: {0}")]
    TimeUuidSyntax(String),
    /// A UUID of another version, for a `timeuuid`.
    #[error("TimeUUID supports only version 1 UUIDs")]
    NotTimeUuid,
    /// `null` inside a list or set (`what` = "list" / "set").
    #[error("Invalid null element in {what}")]
    NullElement { what: &'static str },
    /// `null` as a map value.
    #[error("Invalid null value in map")]
    NullMapValue,
    /// A tuple array longer than the tuple type.
    #[error("Tuple contains extra items (expected {expected}): {value}")]
    TupleTooLong { expected: usize, value: String },
    /// A tuple array shorter than the tuple type.
    #[error("Tuple is missing items (expected {expected}): {value}")]
    TupleTooShort { expected: usize, value: String },
    /// A vector array with another number of elements than the dimension.
    #[error("List had incorrect size: expected {expected} but given {given}; {value}")]
    VectorSize { expected: u32, given: usize, value: String },
    /// A UDT object key naming no field.
    #[error("Unknown field '{field}' in value of user defined type {udt}")]
    UnknownField { field: String, udt: String },
    /// Counters cannot be given a value (Cassandra throws `UnsupportedOperationException`).
    #[error("Counter values cannot be set from JSON")]
    Counter,
    /// A collection or element too large for the `[int]` length prefixes.
    #[error("Value too large to serialize")]
    TooLarge,
    /// A literal of the type that does not parse (timestamps, dates, UUIDs, inets...).
    #[error(transparent)]
    Literal(#[from] LiteralError),
    /// A value the type refuses once serialized (an empty `smallint`, nesting too deep...).
    #[error(transparent)]
    Value(#[from] ValueError),
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_from;
