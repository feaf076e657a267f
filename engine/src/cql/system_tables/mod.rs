//! Virtual tables of the built-in keyspaces: their rows are produced on demand from node
//! state and the schema — `system.local`/`peers`/`clients` ([`node_tables`]) and
//! `system_schema.*` ([`schema_tables`]) — then filtered, projected and paged like any
//! result. They are small, so filtering is a plain scan.

pub mod node_tables;
pub mod schema_tables;
pub mod values;

use bytes::Bytes;
use percore_protocol::response::RowsMetadata;
use percore_protocol::wire::write_bytes;

use crate::cql::bind::BoundValues;
use crate::cql::error::CqlError;
use crate::cql::read::output::Output;
use crate::cql::read::paging::{PagingState, Resume};
use crate::cql::read::select::{page_budget, PageRequest};
use crate::cql::result::RowsResult;
use crate::cql::shard::Shard;
use crate::cql::statement::restrictions::column_values;
use crate::cql::statement::select::SelectPlan;
use crate::schema::system_keyspaces::{SYSTEM, SYSTEM_SCHEMA};

/// A row of a virtual table: one optional value per column, in the table's column order.
pub type VirtualRow = Vec<Option<Bytes>>;

fn rows_of(shard: &Shard, keyspace: &str, table: &str) -> Result<Vec<VirtualRow>, CqlError> {
    let schema = shard.schema();
    match (keyspace, table) {
        (SYSTEM, "local") => Ok(node_tables::local(shard, &schema)),
        (SYSTEM, "peers") => Ok(node_tables::peers(shard, &schema)),
        (SYSTEM, "peers_v2") => Ok(node_tables::peers_v2(shard, &schema)),
        (SYSTEM, "clients") => Ok(vec![]),
        (SYSTEM_SCHEMA, "keyspaces") => Ok(schema_tables::keyspaces(&schema)),
        (SYSTEM_SCHEMA, "tables") => Ok(schema_tables::tables(&schema)),
        (SYSTEM_SCHEMA, "columns") => Ok(schema_tables::columns(&schema)),
        (SYSTEM_SCHEMA, "types") => Ok(schema_tables::types(&schema)),
        (SYSTEM_SCHEMA, "indexes") => Ok(schema_tables::indexes(&schema)),
        (SYSTEM_SCHEMA, "dropped_columns") => Ok(schema_tables::dropped_columns(&schema)),
        (SYSTEM_SCHEMA, _) => Ok(vec![]),
        _ => Err(CqlError::invalid(format!("unconfigured table {table}"))),
    }
}

pub fn select(
    shard: &Shard,
    plan: &SelectPlan,
    values: &BoundValues,
    page: &PageRequest,
) -> Result<RowsResult, CqlError> {
    let table = &plan.table;
    let mut rows = rows_of(shard, &table.keyspace, &table.name)?;
    for (id, restriction) in &plan.restrictions.filters {
        let column = table.column(*id);
        let wanted = column_values(restriction, values, &column.ty, &column.name)?;
        rows.retain(|r| r.get(*id as usize).cloned().flatten().is_some_and(|v| wanted.contains(&v)));
    }
    if plan.count {
        let mut content = Vec::new();
        write_bytes(&mut content, Some(&(rows.len() as i64).to_be_bytes()[..]));
        let metadata =
            RowsMetadata { columns: plan.result_columns.clone(), paging_state: None, no_metadata: page.skip_metadata };
        return Ok(RowsResult { metadata, count: 1, content });
    }
    let budget = page_budget(plan, values, page)?;
    let offset = match budget.resume {
        Some(Resume::Offset(n)) => n as usize,
        Some(_) => return Err(CqlError::protocol("Invalid value for the paging state".into())),
        None => 0,
    };
    let end = rows.len().min(offset.saturating_add(budget.rows));
    let mut content = Vec::new();
    for row in rows.get(offset..end).unwrap_or_default() {
        for output in plan.outputs.iter() {
            let value = match output {
                Output::Column(id) => row.get(*id as usize).cloned().flatten(),
                _ => None,
            };
            write_bytes(&mut content, value.as_deref());
        }
    }
    let returned = end.saturating_sub(offset);
    let more = end < rows.len() && budget.remaining.is_none_or(|r| r as usize > returned);
    let paging_state = more.then(|| {
        PagingState { resume: Resume::Offset(end as u32), remaining: budget.remaining.map(|r| r - returned as u32) }
            .encode()
    });
    Ok(RowsResult {
        metadata: RowsMetadata { columns: plan.result_columns.clone(), paging_state, no_metadata: page.skip_metadata },
        count: returned as i32,
        content,
    })
}
