//! The CQL native protocol (v3/v4) and the CQL grammar, pure: no I/O, no async runtime,
//! no knowledge of the engine. Everything here is a function of bytes or text, so it can be
//! unit-tested, property-tested and fuzzed.
//!
//! Layout: `frame` (header, flags, opcodes) → `compression` (lz4, snappy) → `wire`
//! (primitive notation of the spec) → `request` / `response` (messages by opcode) →
//! `types` (CQL types, value codecs, literal parsing) → `cql` (lexer, AST, parser).

pub mod compression;
pub mod cql;
pub mod error;
pub mod frame;
pub mod request;
pub mod response;
pub mod types;
pub mod wire;
