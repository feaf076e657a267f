//! `read`: cassandra-stress `read` — `SELECT * FROM standard1 WHERE KEY = ?`
//! over the same key population as `write` (populate first).

use anyhow::Result;

use super::{standard_columns, write, OpDef, WorkloadDef};
use crate::args::RunArgs;

pub fn op(a: &RunArgs) -> OpDef {
    let table = if a.rows_per_partition > 1 { "standard1_rows" } else { "standard1" };
    OpDef {
        name: "read".into(),
        cql: format!("SELECT * FROM {}.{table} WHERE KEY = ?", a.keyspace),
        weight: 1.0,
        reads_rows: true,
    }
}

pub fn define(a: &RunArgs) -> Result<WorkloadDef> {
    let (columns, default_column) = standard_columns(a)?;
    Ok(WorkloadDef { setup: write::setup(a), ops: vec![op(a)], columns, default_column })
}
