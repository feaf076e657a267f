//! Lightweight transactions end to end: a conditional statement or batch becomes one
//! partition write with its conditions, run on the owner shard under the partition lock,
//! and answered with Cassandra's `[applied]` result — `true` alone, or `false` with the
//! current values the conditions read.

use std::rc::Rc;

use percore_protocol::response::{ColumnSpec, RowsMetadata};
use percore_protocol::types::CqlType;
use percore_protocol::wire::write_bytes;

use crate::cql::bind::BoundValues;
use crate::cql::error::CqlError;
use crate::cql::result::RowsResult;
use crate::cql::shard::Shard;
use crate::cql::statement::modification::ModificationPlan;
use crate::model::mutation::ColumnId;

use super::conditions;
use super::mutation_builder::{build, PartitionWrite, WriteContext};
use super::read_modify_write::apply_conditional;

/// Runs statements of which at least one has an IF clause (one statement, or a batch).
pub async fn execute(
    shard: &Rc<Shard>,
    statements: &[(&ModificationPlan, &BoundValues)],
    ctx: &WriteContext,
) -> Result<RowsResult, CqlError> {
    let batch = statements.len() > 1;
    let mut write: Option<PartitionWrite> = None;
    for (plan, values) in statements {
        let mut writes = build(plan, values, ctx)?;
        if let Some(condition) = &plan.condition {
            let bound = conditions::bind(plan, condition, values, batch)?;
            if let Some(w) = writes.first_mut() {
                w.conditions.push(bound);
            }
        }
        for w in writes {
            match &mut write {
                None => write = Some(w),
                Some(first) => {
                    if (first.mutation.table_id, &first.mutation.position)
                        != (w.mutation.table_id, &w.mutation.position)
                    {
                        return Err(CqlError::invalid("Batch with conditions cannot span multiple partitions".into()));
                    }
                    first.merge(w);
                }
            }
        }
    }
    let Some(mut write) = write else {
        return Err(CqlError::invalid("A conditional statement must name one partition".into()));
    };
    let first_table = write.table.clone();
    // Every row of the answer has the same columns: the union, in order of appearance,
    // or every column in SELECT * order once a statement tests existence (Cassandra then
    // answers as a wildcard selection).
    let mut shown: Vec<ColumnId> = Vec::new();
    if write.conditions.len() > 1
        && write
            .conditions
            .iter()
            .any(|c| matches!(c.kind, conditions::BoundKind::Exists | conditions::BoundKind::NotExists))
    {
        shown = write.table.select_star_order();
    }
    for c in &write.conditions {
        for id in &c.show {
            if !shown.contains(id) {
                shown.push(*id);
            }
        }
    }
    write.conditions.iter_mut().for_each(|c| c.show = shown.clone());
    let outcome = apply_conditional(shard, write, ctx).await?;

    let spec = |name: String, ty: CqlType| ColumnSpec {
        keyspace: first_table.keyspace.clone(),
        table: first_table.name.clone(),
        name,
        ty,
    };
    let mut columns = vec![spec("[applied]".into(), CqlType::Boolean)];
    let mut content = Vec::new();
    let mut count = 1;
    if outcome.applied || outcome.rows.is_empty() {
        write_bytes(&mut content, Some(&[outcome.applied as u8]));
    } else {
        columns.extend(shown.iter().map(|&id| {
            let c = first_table.column(id);
            spec(c.name.clone(), c.ty.clone())
        }));
        for row in &outcome.rows {
            write_bytes(&mut content, Some(&[0u8]));
            content.extend_from_slice(row);
        }
        count = outcome.rows.len() as i32;
    }
    Ok(RowsResult {
        metadata: RowsMetadata { columns: columns.into(), paging_state: None, no_metadata: false },
        count,
        content,
    })
}
