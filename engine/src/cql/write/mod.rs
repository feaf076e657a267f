//! The write path: mutations built from a bound modification ([`mutation_builder`]) and
//! applied on their owner shards through the replica API (`crate::replica::apply`, which
//! also writes their secondary index entries); [`index_backfill`] indexes existing rows
//! for CREATE INDEX; [`read_modify_write`] and [`conditional`] run counters, list index
//! writes and LWTs on the owner.

pub mod cell_ops;
pub mod conditional;
pub mod conditions;
pub mod index_backfill;
pub mod json_insert;
pub mod mutation_builder;
pub mod read_modify_write;
