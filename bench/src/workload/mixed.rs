//! `mixed`: writes and reads on the standard table, weighted by `--ratio`
//! (default `write=1,read=1`).

use anyhow::Result;

use super::{read, standard_columns, write, WorkloadDef};
use crate::args::RunArgs;

pub fn define(a: &RunArgs) -> Result<WorkloadDef> {
    let (columns, default_column) = standard_columns(a)?;
    Ok(WorkloadDef { setup: write::setup(a), ops: vec![write::op(a), read::op(a)], columns, default_column })
}
