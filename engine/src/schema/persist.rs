//! The schema as CQL statements (CREATE KEYSPACE, its CREATE TYPEs, then CREATE TABLE ...
//! WITH id = ..., each table's CREATE INDEXes) that rebuild the user schema: the form group
//! 0 carries and keeps durable (`cluster::group0`). `<data>/schema/schema.json`, where a
//! node kept its schema before it was a cluster member, is read once at start-up (plain
//! std I/O, before the executors run) so an existing node founds its cluster with it.

use std::path::{Path, PathBuf};

use percore_protocol::cql::parse_statement;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::change::{self, DdlOutcome};
use super::describe;
use super::snapshot::Schema;
use super::system_keyspaces;

const SCHEMA_DIR: &str = "schema";
const SCHEMA_FILE: &str = "schema.json";
const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Error)]
pub enum SchemaLoadError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a valid schema file: {reason}")]
    Corrupt { path: PathBuf, reason: String },
}

/// A schema statement that does not apply (a damaged or foreign schema).
#[derive(Debug, Error)]
#[error("{reason} in: {statement}")]
pub struct BadStatement {
    pub statement: String,
    pub reason: String,
}

#[derive(Serialize, Deserialize)]
struct SchemaFile {
    format_version: u32,
    statements: Vec<String>,
}

fn schema_dir(data_dir: &Path) -> PathBuf {
    data_dir.join(SCHEMA_DIR)
}

/// The built-in keyspaces plus whatever the schema file holds.
pub fn load(data_dir: &Path, local_datacenter: &str) -> Result<Schema, SchemaLoadError> {
    let path = schema_dir(data_dir).join(SCHEMA_FILE);
    // Main thread, before the executors start: blocking I/O is fine here.
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Schema::new(system_keyspaces::definitions())),
        Err(source) => return Err(SchemaLoadError::Read { path, source }),
    };
    let corrupt = |reason: String| SchemaLoadError::Corrupt { path: path.clone(), reason };
    let file: SchemaFile = serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
    if file.format_version != FORMAT_VERSION {
        return Err(corrupt(format!("unknown format version {}", file.format_version)));
    }
    from_statements(&file.statements, local_datacenter).map_err(|e| corrupt(e.to_string()))
}

/// The built-in keyspaces plus the user schema the statements build (the form group 0
/// carries and [`statements`] writes); the error names the statement that failed.
pub fn from_statements(statements: &[String], local_datacenter: &str) -> Result<Schema, BadStatement> {
    let mut schema = Schema::new(system_keyspaces::definitions());
    for statement in statements {
        let bad = |reason: String| BadStatement { statement: statement.clone(), reason };
        let parsed = parse_statement(statement).map_err(|e| bad(e.to_string()))?;
        match change::apply(&schema, &parsed.statement, None, local_datacenter).map_err(|e| bad(e.message))? {
            DdlOutcome::Changed { schema: next, .. } => schema = next,
            DdlOutcome::Unchanged => {}
        }
    }
    Ok(schema)
}

/// The statements that rebuild the user part of `schema`.
pub fn statements(schema: &Schema) -> Vec<String> {
    statements_by_keyspace(schema).into_values().flatten().collect()
}

/// The statements that rebuild each user keyspace (a keyspace's statements depend on
/// nothing outside it), by keyspace name.
pub fn statements_by_keyspace(schema: &Schema) -> std::collections::BTreeMap<String, Vec<String>> {
    schema.keyspaces().filter(|k| !k.is_system).map(|ks| (ks.name.clone(), keyspace_statements(ks))).collect()
}

fn keyspace_statements(ks: &super::definitions::KeyspaceDef) -> Vec<String> {
    let mut out = vec![describe::create_keyspace(ks)];
    out.extend(describe::create_types(ks));
    for t in ks.user_tables() {
        out.push(describe::create_table_for_storage(t));
        out.extend(describe::dropped_columns_for_storage(t));
        out.extend(super::indexes::create_indexes_of(ks, t));
    }
    out
}

/// For tests: the keyspace map of a loaded schema.
pub fn user_keyspace_names(schema: &Schema) -> Vec<String> {
    schema.keyspaces().filter(|k| !k.is_system).map(|k| k.name.clone()).collect()
}
