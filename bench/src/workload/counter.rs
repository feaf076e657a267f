//! `counter`: cassandra-stress `counter_write` —
//! `UPDATE counter1 SET "C0" = "C0" + ?, .. WHERE KEY = ?` with increments of 1.

use anyhow::Result;

use super::{schema_opts, standard_columns, OpDef, WorkloadDef};
use crate::args::RunArgs;
use crate::keys::Dist;
use crate::values::ColumnSpec;

pub fn define(a: &RunArgs) -> Result<WorkloadDef> {
    let s = schema_opts(a);
    let (columns, _) = standard_columns(a)?;
    let set: Vec<String> = (0..a.columns).map(|i| format!("\"C{i}\" = \"C{i}\" + ?")).collect();
    Ok(WorkloadDef {
        setup: vec![s.keyspace_ddl(), s.counter_table(a.columns)],
        ops: vec![OpDef {
            name: "counter".into(),
            cql: format!("UPDATE {}.counter1 SET {} WHERE KEY = ?", a.keyspace, set.join(", ")),
            weight: 1.0,
            reads_rows: false,
        }],
        columns,
        default_column: ColumnSpec {
            population: Dist::parse("fixed(1)", (0, 0))?,
            size: Dist::parse("fixed(8)", (0, 0))?,
        },
    })
}
