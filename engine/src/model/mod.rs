//! The data model, pure: tokens, token ranges, shard ownership, clustering order, cells and
//! mutations, and the wall clock in Cassandra's units. Nothing here does I/O or knows about
//! shards' executors.

pub mod cell;
pub mod clock;
pub mod clustering;
pub mod element_path;
pub mod mutation;
pub mod mutation_codec;
pub mod rehome;
pub mod shard;
pub mod token;
pub mod token_bounds;
