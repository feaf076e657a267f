//! The schema file: `<data>/schema/schema.json`, a JSON list of CQL statements (CREATE
//! KEYSPACE, its CREATE TYPEs, then CREATE TABLE ... WITH id = ..., each table's CREATE INDEXes) that rebuild the user
//! schema. Saving goes through glommio (io_uring): write a temporary file, fdatasync it,
//! rename it over the old one, fsync the directory — a crash leaves the old schema or the
//! new one, never a mix. Loading happens once at start-up, before the executors run, with
//! plain std I/O.

use std::path::{Path, PathBuf};

use futures::AsyncWriteExt;
use percore_protocol::cql::parse_statement;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::change::{self, DdlOutcome};
use super::describe;
use super::snapshot::Schema;
use super::system_keyspaces;

const SCHEMA_DIR: &str = "schema";
const SCHEMA_FILE: &str = "schema.json";
const SCHEMA_TMP_FILE: &str = "schema.json.tmp";
const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Error)]
pub enum SchemaLoadError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path} is not a valid schema file: {reason}")]
    Corrupt { path: PathBuf, reason: String },
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
    let mut schema = Schema::new(system_keyspaces::definitions());
    // Main thread, before the executors start: blocking I/O is fine here.
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(schema),
        Err(source) => return Err(SchemaLoadError::Read { path, source }),
    };
    let corrupt = |reason: String| SchemaLoadError::Corrupt { path: path.clone(), reason };
    let file: SchemaFile = serde_json::from_str(&text).map_err(|e| corrupt(e.to_string()))?;
    if file.format_version != FORMAT_VERSION {
        return Err(corrupt(format!("unknown format version {}", file.format_version)));
    }
    for statement in &file.statements {
        let parsed = parse_statement(statement).map_err(|e| corrupt(format!("{e} in: {statement}")))?;
        match change::apply(&schema, &parsed.statement, None, local_datacenter)
            .map_err(|e| corrupt(format!("{} in: {statement}", e.message)))?
        {
            DdlOutcome::Changed { schema: next, .. } => schema = next,
            DdlOutcome::Unchanged => {}
        }
    }
    Ok(schema)
}

/// The statements that rebuild the user part of `schema`.
fn statements(schema: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    for ks in schema.keyspaces().filter(|k| !k.is_system) {
        out.push(describe::create_keyspace(ks));
        out.extend(describe::create_types(ks));
        for t in ks.user_tables() {
            out.push(describe::create_table_for_storage(t));
            out.extend(describe::dropped_columns_for_storage(t));
            out.extend(super::indexes::create_indexes_of(ks, t));
        }
    }
    out
}

/// Saves the schema durably (runs on an executor; all I/O through glommio).
pub async fn save(data_dir: &Path, schema: &Schema) -> std::io::Result<()> {
    let dir = schema_dir(data_dir);
    if let Err(e) = glommio::io::Directory::create(&dir).await {
        let exists = matches!(&e, glommio::GlommioError::IoError(io) if io.kind() == std::io::ErrorKind::AlreadyExists);
        if !exists {
            return Err(e.into());
        }
    }
    let file = SchemaFile { format_version: FORMAT_VERSION, statements: statements(schema) };
    let bytes = serde_json::to_vec_pretty(&file).map_err(std::io::Error::other)?;
    let tmp = dir.join(SCHEMA_TMP_FILE);
    let dma = glommio::io::DmaFile::create(&tmp).await?;
    let mut writer = glommio::io::DmaStreamWriterBuilder::new(dma).build();
    writer.write_all(&bytes).await?;
    writer.sync().await?;
    writer.close().await?;
    glommio::io::rename(&tmp, dir.join(SCHEMA_FILE)).await?;
    glommio::io::Directory::open(&dir).await?.sync().await?;
    Ok(())
}

/// For tests: the keyspace map of a loaded schema.
pub fn user_keyspace_names(schema: &Schema) -> Vec<String> {
    schema.keyspaces().filter(|k| !k.is_system).map(|k| k.name.clone()).collect()
}
