//! Query processing: from a decoded request to a result. Statements are parsed
//! (`percore_protocol::cql`), analysed against the schema into plans ([`statement`]), bound
//! to values, and executed on the shard that owns each partition ([`shard_ops`]): writes
//! as mutations, reads as partition reads or ring scans ([`read`]). System tables are
//! virtual ([`system_tables`]); DDL is serialised through shard 0 ([`ddl`]); DESCRIBE
//! renders the schema as CQL ([`describe`]).

pub mod bind;
pub mod composite_literal;
pub mod consistency;
pub mod ddl;
pub mod describe;
pub mod error;
pub mod events;
pub mod functions;
pub mod keys;
pub mod prepared_cache;
pub mod processor;
pub mod read;
pub mod result;
pub mod session;
pub mod shard_ops;
pub mod statement;
pub mod system_tables;
pub mod term;
pub mod udt;
pub mod vector;
pub mod write;
