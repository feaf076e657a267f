//! `write`: cassandra-stress `write` — `UPDATE standard1 SET "C0" = ?, .. WHERE KEY = ?`
//! (or `INSERT`, `--write-stmt insert`), one row per operation.

use anyhow::Result;

use super::{schema_opts, standard_columns, OpDef, WorkloadDef};
use crate::args::{RunArgs, WriteStmt};

/// The write operation on the standard table.
pub fn op(a: &RunArgs) -> OpDef {
    let clustered = a.rows_per_partition > 1;
    let table = if clustered { "standard1_rows" } else { "standard1" };
    let cols: Vec<String> = (0..a.columns).map(|i| format!("\"C{i}\"")).collect();
    let cql = match a.write_stmt {
        WriteStmt::Update => {
            let set: Vec<String> = cols.iter().map(|c| format!("{c} = ?")).collect();
            let ck = if clustered { " AND ck = ?" } else { "" };
            format!("UPDATE {}.{table} SET {} WHERE KEY = ?{ck}", a.keyspace, set.join(", "))
        }
        WriteStmt::Insert => {
            let mut names = vec!["key".to_string()];
            if clustered {
                names.push("ck".into());
            }
            names.extend(cols);
            let marks = vec!["?"; names.len()].join(", ");
            format!("INSERT INTO {}.{table} ({}) VALUES ({marks})", a.keyspace, names.join(", "))
        }
    };
    OpDef { name: "write".into(), cql, weight: 1.0, reads_rows: false }
}

/// DDL for the standard table.
pub fn setup(a: &RunArgs) -> Vec<String> {
    let s = schema_opts(a);
    vec![s.keyspace_ddl(), s.standard_table(a.columns, a.rows_per_partition > 1).1]
}

pub fn define(a: &RunArgs) -> Result<WorkloadDef> {
    let (columns, default_column) = standard_columns(a)?;
    Ok(WorkloadDef { setup: setup(a), ops: vec![op(a)], columns, default_column })
}
