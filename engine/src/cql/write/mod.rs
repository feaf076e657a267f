//! The write path: mutations built from a bound modification ([`mutation_builder`]) and
//! applied on their owner shards ([`apply`]), with their secondary index entries
//! ([`index_maintenance`], [`index_backfill`] for CREATE INDEX on existing rows); commitlog
//! replay at start-up ([`replay`]).

pub mod apply;
pub mod cell_ops;
pub mod conditional;
pub mod conditions;
pub mod index_backfill;
pub mod index_maintenance;
pub mod json_insert;
pub mod mutation_builder;
pub mod read_modify_write;
pub mod replay;
