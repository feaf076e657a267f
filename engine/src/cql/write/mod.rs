//! The write path: mutations built from a bound modification ([`mutation_builder`]) and
//! applied on their owner shards ([`apply`]).

pub mod apply;
pub mod mutation_builder;
