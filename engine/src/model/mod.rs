//! The data model, pure: tokens, shard ownership, clustering order, cells and mutations.
//! Nothing here does I/O or knows about shards' executors.

pub mod cell;
pub mod clustering;
pub mod element_path;
pub mod mutation;
pub mod mutation_codec;
pub mod rehome;
pub mod shard;
pub mod token;
