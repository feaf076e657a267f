//! Query processing: from a decoded request to a result. Statements are parsed
//! (`percore_protocol::cql`), analysed against the schema into plans ([`statement`]), bound
//! to values, and executed through the shard's replica API (`crate::replica`) on the shard
//! that owns each partition, reached by typed cross-shard calls: writes as mutations
//! ([`write`]), reads as partition reads or ring scans ([`read`]). System tables are
//! virtual ([`system_tables`]); DDL is serialised through shard 0 ([`ddl`]); DESCRIBE
//! renders the schema as CQL ([`describe`]). [`shard`] is the statement layer's per-shard
//! context.

/// The CQL language version this node speaks (SUPPORTED, `system.local`).
pub const CQL_VERSION: &str = "3.3.1";

pub mod bind;
pub mod cluster_info;
pub mod composite_literal;
pub mod ddl;
pub mod describe;
pub mod error;
pub mod functions;
pub mod keys;
pub mod prepared_cache;
pub mod processor;
pub mod read;
pub mod result;
pub mod session;
pub mod shard;
pub mod statement;
pub mod system_tables;
pub mod term;
pub mod udt;
pub mod vector;
pub mod write;
