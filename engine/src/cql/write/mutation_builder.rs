//! Bound INSERT/UPDATE/DELETE → one [`Mutation`] per partition it touches.

use crate::cql::bind::{BoundValues, Evaluated};
use crate::cql::error::CqlError;
use crate::cql::functions::{now_micros, now_seconds};
use crate::cql::keys::{clustering_key, partition_position, slice_range};
use crate::cql::statement::modification::{ModificationKind, ModificationPlan};
use crate::cql::statement::restrictions::partition_keys;
use crate::model::cell::{DeletionTime, Liveness, NEVER_EXPIRES};
use crate::model::mutation::{ClusteringKey, ClusteringRange, Mutation, RowUpdate};
use crate::schema::ColumnKind;
use percore_protocol::types::CqlType;

use super::cell_ops::{deletion_cells, operation_cells, CellStamp, PendingOp};

/// Cassandra's maximum TTL: 20 years.
pub const TTL_SECONDS_MAX: i32 = 20 * 365 * 24 * 60 * 60;

/// Per-execution inputs besides the bound values.
#[derive(Debug, Clone, Copy)]
pub struct WriteContext {
    /// The client's default timestamp (QUERY/EXECUTE/BATCH parameter), microseconds.
    pub default_timestamp: Option<i64>,
    pub now_seconds: u32,
}

impl WriteContext {
    pub fn new(default_timestamp: Option<i64>) -> WriteContext {
        WriteContext { default_timestamp, now_seconds: now_seconds() }
    }
}

/// What one statement writes to one partition: the mutation, and the operations that need
/// the current values (counters, list indexes), which the owner shard resolves.
#[derive(Debug, Clone)]
pub struct PartitionWrite {
    pub table: std::sync::Arc<crate::schema::TableDef>,
    pub mutation: Mutation,
    pub pending: Vec<Pending>,
    /// Lightweight-transaction conditions, all of which must hold for the write to apply.
    pub conditions: Vec<super::conditions::BoundCondition>,
}

/// An operation resolved on the owner, with its row (`None`: the static row) and the
/// timestamp and TTL of the statement it came from.
#[derive(Debug, Clone)]
pub struct Pending {
    pub clustering: Option<ClusteringKey>,
    pub op: PendingOp,
    pub stamp: CellStamp,
}

impl PartitionWrite {
    /// Folds another write of the same partition in (batches).
    pub fn merge(&mut self, other: PartitionWrite) {
        self.mutation.merge(other.mutation);
        self.pending.extend(other.pending);
        self.conditions.extend(other.conditions);
    }
}

/// Moves what one column produced to its row's list or the static row's.
fn route<T>(kind: ColumnKind, from: &mut Vec<T>, row: &mut Vec<T>, statics: &mut Vec<T>) {
    let target = if kind == ColumnKind::Static { statics } else { row };
    target.append(from);
}

pub fn build(
    plan: &ModificationPlan,
    values: &BoundValues,
    ctx: &WriteContext,
) -> Result<Vec<PartitionWrite>, CqlError> {
    if let Some((json, default_unset)) = &plan.json {
        let expanded = super::json_insert::expand(plan, json, *default_unset, values)?;
        return build(&expanded, values, ctx);
    }
    let table = &plan.table;
    let timestamp = match &plan.timestamp {
        Some(e) => e.eval_i64(values, "timestamp")?,
        None => None,
    }
    .or(ctx.default_timestamp)
    .unwrap_or_else(now_micros);
    // A null TTL means no TTL (Cassandra 4+); unset means the table's default.
    let ttl = match &plan.ttl {
        Some(e) if e.eval(values, &CqlType::Int, "ttl")? == Evaluated::Null => Some(0),
        Some(e) => e.eval_i32(values, "ttl")?,
        None => None,
    }
    .unwrap_or(table.options.default_time_to_live);
    if ttl < 0 {
        return Err(CqlError::invalid(format!("A TTL must be greater or equal to 0, but was {ttl}")));
    }
    if ttl > TTL_SECONDS_MAX {
        return Err(CqlError::invalid(format!("ttl is too large. requested ({ttl}) maximum ({TTL_SECONDS_MAX})")));
    }
    let ttl = ttl as u32;
    let now = ctx.now_seconds;

    let Some(partition) = &plan.restrictions.partition else {
        return Err(CqlError::invalid("Missing mandatory PRIMARY KEY parts".into()));
    };
    let prefixes = plan.restrictions.clustering_prefixes(table, values)?;
    let full_clustering = plan.restrictions.clustering_prefix.len() == table.clustering_key.len();

    let stamp = CellStamp { timestamp, ttl, now };
    let mut cells = Vec::new();
    let mut static_cells = Vec::new();
    let mut pending = Vec::new();
    let mut static_pending = Vec::new();
    let mut column_cells = Vec::new();
    let mut column_pending = Vec::new();
    for (id, op) in &plan.assignments {
        let c = table.column(*id);
        operation_cells(*id, c, op, values, &stamp, &mut column_cells, &mut column_pending)?;
        let mut with_id: Vec<_> = column_cells.drain(..).map(|cell| (*id, cell)).collect();
        route(c.kind, &mut with_id, &mut cells, &mut static_cells);
        route(c.kind, &mut column_pending, &mut pending, &mut static_pending);
    }
    for (id, deletion) in &plan.deletions {
        let c = table.column(*id);
        deletion_cells(*id, c, deletion, values, &stamp, &mut column_cells, &mut column_pending)?;
        let mut with_id: Vec<_> = column_cells.drain(..).map(|cell| (*id, cell)).collect();
        route(c.kind, &mut with_id, &mut cells, &mut static_cells);
        route(c.kind, &mut column_pending, &mut pending, &mut static_pending);
    }
    let deletion = DeletionTime { marked_at: timestamp, local_deletion_time: now };
    let row_clustering = |prefix: &Vec<bytes::Bytes>| {
        if table.clustering_key.is_empty() {
            ClusteringKey::default()
        } else {
            clustering_key(table, prefix.clone())
        }
    };

    let mut mutations = Vec::new();
    for key in partition_keys(table, partition, values)? {
        let mut m = Mutation::new(table.id, partition_position(&key));
        m.static_cells = static_cells.clone();
        let mut write = PartitionWrite {
            table: table.clone(),
            mutation: Mutation::new(table.id, m.position.clone()),
            pending: Vec::new(),
            conditions: Vec::new(),
        };
        write.pending.extend(static_pending.iter().map(|op| Pending { clustering: None, op: op.clone(), stamp }));
        for prefix in &prefixes {
            match plan.kind {
                ModificationKind::Insert | ModificationKind::Update => {
                    let marker = (plan.kind == ModificationKind::Insert).then(|| Liveness {
                        timestamp,
                        ttl_seconds: ttl,
                        expires_at: if ttl == 0 { NEVER_EXPIRES } else { now.saturating_add(ttl) },
                    });
                    if full_clustering && (!cells.is_empty() || marker.is_some()) {
                        m.rows.push(RowUpdate {
                            clustering: row_clustering(prefix),
                            marker,
                            deletion: None,
                            cells: cells.clone(),
                        });
                    }
                }
                ModificationKind::Delete if !plan.deletions.is_empty() => {
                    if !cells.is_empty() {
                        m.rows.push(RowUpdate {
                            clustering: row_clustering(prefix),
                            marker: None,
                            deletion: None,
                            cells: cells.clone(),
                        });
                    }
                }
                ModificationKind::Delete => {
                    let slice = plan.restrictions.clustering_slice.as_ref();
                    if prefix.is_empty() && slice.is_none() {
                        m.partition_deletion = Some(deletion);
                    } else if full_clustering {
                        let clustering = clustering_key(table, prefix.clone());
                        m.rows.push(RowUpdate { clustering, marker: None, deletion: Some(deletion), cells: vec![] });
                    } else {
                        let range: ClusteringRange = slice_range(table, prefix, slice, values)?;
                        m.range_deletions.push((range, deletion));
                    }
                }
            }
            if !pending.is_empty() {
                let clustering = row_clustering(prefix);
                write.pending.extend(pending.iter().map(|op| Pending {
                    clustering: Some(clustering.clone()),
                    op: op.clone(),
                    stamp,
                }));
            }
        }
        write.mutation = m;
        mutations.push(write);
    }
    Ok(mutations)
}
