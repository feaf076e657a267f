//! The write path: mutations built from a bound modification ([`mutation_builder`]) and
//! applied on their owner shards ([`apply`]); commitlog replay at start-up ([`replay`]).

pub mod apply;
pub mod mutation_builder;
pub mod replay;
