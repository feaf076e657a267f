//! The write path: mutations built from a bound modification ([`mutation_builder`]) and
//! applied on their owner shards ([`apply`]); commitlog replay at start-up ([`replay`]).

pub mod apply;
pub mod cell_ops;
pub mod conditional;
pub mod conditions;
pub mod json_insert;
pub mod mutation_builder;
pub mod read_modify_write;
pub mod replay;
