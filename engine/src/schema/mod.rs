//! The schema: keyspaces, tables and columns. A [`Schema`] is an immutable snapshot shared
//! by all shards (`Arc`); DDL builds a new snapshot on shard 0 and installs it everywhere.
//!
//! - [`definitions`]: the types (`KeyspaceDef`, `TableDef`, `ColumnDef`, `TableOptions`).
//! - [`build`]: CREATE/ALTER statements → definitions, with Cassandra's validation.
//! - [`change`]: applying a DDL statement to a snapshot, yielding the next one.
//! - [`describe`]: definitions → CQL text (server-side DESCRIBE, and the persisted form).
//! - [`persist`]: the schema file in the data directory.
//! - [`system_keyspaces`]: the built-in `system` and `system_schema` tables.
//! - [`keys`]: a table's partition positions and clustering sort keys.
//! - [`error`]: [`SchemaError`], what a refused DDL statement says.
//! - [`indexes`]: secondary indexes (CREATE/DROP INDEX) and their backing tables.
//! - [`user_types`]: CREATE/ALTER/DROP TYPE and how altered types reach the tables.

pub mod build;
pub mod change;
pub mod definitions;
pub mod describe;
pub mod error;
pub mod indexes;
pub mod keys;
pub mod options;
pub mod persist;
pub mod snapshot;
pub mod system_keyspaces;
pub mod user_types;

pub use definitions::{ColumnDef, ColumnKind, DroppedColumn, KeyspaceDef, TableDef};
pub use error::SchemaError;
pub use indexes::{IndexDef, IndexKind};
pub use options::TableOptions;
pub use snapshot::Schema;
