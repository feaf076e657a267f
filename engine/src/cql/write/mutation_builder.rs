//! Bound INSERT/UPDATE/DELETE → one [`Mutation`] per partition it touches.

use crate::coordinator::WriteType;
use crate::cql::bind::{BoundValues, Evaluated};
use crate::cql::error::CqlError;
use crate::cql::functions::{now_micros, now_seconds};
use crate::cql::keys::{clustering_key, partition_position, slice_range};
use crate::cql::statement::modification::{ModificationKind, ModificationPlan};
use crate::cql::statement::restrictions::partition_keys;
use crate::model::cell::{Cell, DeletionTime, Liveness, NEVER_EXPIRES};
use crate::model::mutation::{ClusteringKey, ClusteringRange, ColumnId, Mutation, RowUpdate};
use crate::schema::{ColumnKind, TableDef};
use bytes::Bytes;
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
    /// The request's consistency level (and, for conditional writes, its serial level).
    pub consistency: u16,
    pub serial_consistency: u16,
    /// What kind of write a timeout reports (a statement, a batch, a counter write).
    pub write_type: WriteType,
}

impl WriteContext {
    pub fn new(default_timestamp: Option<i64>, consistency: u16, serial_consistency: Option<u16>) -> WriteContext {
        WriteContext {
            default_timestamp,
            now_seconds: now_seconds(),
            consistency,
            serial_consistency: serial_consistency.unwrap_or(percore_protocol::wire::consistency::SERIAL),
            write_type: WriteType::Simple,
        }
    }

    /// The same request writing as `write_type`.
    pub fn with_write_type(mut self, write_type: WriteType) -> WriteContext {
        self.write_type = write_type;
        self
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
    let stamp = write_stamp(plan, values, ctx)?;
    let Some(partition) = &plan.restrictions.partition else {
        return Err(CqlError::invalid("Missing mandatory PRIMARY KEY parts".into()));
    };
    let prefixes = plan.restrictions.clustering_prefixes(table, values)?;
    let columns = ColumnWrites::of(plan, values, &stamp)?;
    let mut writes = Vec::new();
    for key in partition_keys(table, partition, values)? {
        writes.push(partition_write(plan, values, stamp, &columns, &prefixes, &key)?);
    }
    Ok(writes)
}

/// The timestamp (the statement's, else the client's default, else now) and the TTL (the
/// statement's, else the table's default; null is none) of the cells a statement writes.
fn write_stamp(plan: &ModificationPlan, values: &BoundValues, ctx: &WriteContext) -> Result<CellStamp, CqlError> {
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
    .unwrap_or(plan.table.options.default_time_to_live);
    if ttl < 0 {
        return Err(CqlError::invalid(format!("A TTL must be greater or equal to 0, but was {ttl}")));
    }
    if ttl > TTL_SECONDS_MAX {
        return Err(CqlError::invalid(format!("ttl is too large. requested ({ttl}) maximum ({TTL_SECONDS_MAX})")));
    }
    Ok(CellStamp { timestamp, ttl: ttl as u32, now: ctx.now_seconds })
}

/// The cells and the owner-resolved operations of a statement's assignments and deletions,
/// split between the rows it names and the static row.
struct ColumnWrites {
    cells: Vec<(ColumnId, Cell)>,
    static_cells: Vec<(ColumnId, Cell)>,
    pending: Vec<PendingOp>,
    static_pending: Vec<PendingOp>,
}

impl ColumnWrites {
    fn of(plan: &ModificationPlan, values: &BoundValues, stamp: &CellStamp) -> Result<ColumnWrites, CqlError> {
        let table = &plan.table;
        let mut writes = ColumnWrites {
            cells: Vec::new(),
            static_cells: Vec::new(),
            pending: Vec::new(),
            static_pending: Vec::new(),
        };
        let mut column_cells = Vec::new();
        let mut column_pending = Vec::new();
        for (id, op) in &plan.assignments {
            let c = table.column(*id);
            operation_cells(*id, c, op, values, stamp, &mut column_cells, &mut column_pending)?;
            writes.route(*id, c.kind, &mut column_cells, &mut column_pending);
        }
        for (id, deletion) in &plan.deletions {
            let c = table.column(*id);
            deletion_cells(*id, c, deletion, values, stamp, &mut column_cells, &mut column_pending)?;
            writes.route(*id, c.kind, &mut column_cells, &mut column_pending);
        }
        Ok(writes)
    }

    /// Moves what one column produced to the row's lists or the static row's.
    fn route(&mut self, id: ColumnId, kind: ColumnKind, cells: &mut Vec<Cell>, pending: &mut Vec<PendingOp>) {
        let (row_cells, row_pending) = if kind == ColumnKind::Static {
            (&mut self.static_cells, &mut self.static_pending)
        } else {
            (&mut self.cells, &mut self.pending)
        };
        row_cells.extend(cells.drain(..).map(|cell| (id, cell)));
        row_pending.append(pending);
    }
}

/// What the statement writes to the partition of `key`: its static row, and for each
/// clustering prefix what `write_prefix` says, with the operations the owner resolves.
fn partition_write(
    plan: &ModificationPlan,
    values: &BoundValues,
    stamp: CellStamp,
    columns: &ColumnWrites,
    prefixes: &[Vec<Bytes>],
    key: &[Bytes],
) -> Result<PartitionWrite, CqlError> {
    let table = &plan.table;
    let mut mutation = Mutation::new(table.id, partition_position(key));
    mutation.static_cells = columns.static_cells.clone();
    let mut pending: Vec<Pending> =
        columns.static_pending.iter().map(|op| Pending { clustering: None, op: op.clone(), stamp }).collect();
    for prefix in prefixes {
        write_prefix(&mut mutation, plan, values, stamp, &columns.cells, prefix)?;
        if !columns.pending.is_empty() {
            let clustering = row_clustering(table, prefix);
            pending.extend(columns.pending.iter().map(|op| Pending {
                clustering: Some(clustering.clone()),
                op: op.clone(),
                stamp,
            }));
        }
    }
    Ok(PartitionWrite { table: table.clone(), mutation, pending, conditions: Vec::new() })
}

/// What the statement does to what one clustering prefix names: INSERT and UPDATE write a
/// row (INSERT with its marker) when the prefix is a whole clustering key; DELETE of
/// columns writes their tombstones; DELETE of rows is `delete_rows`.
fn write_prefix(
    mutation: &mut Mutation,
    plan: &ModificationPlan,
    values: &BoundValues,
    stamp: CellStamp,
    cells: &[(ColumnId, Cell)],
    prefix: &[Bytes],
) -> Result<(), CqlError> {
    let table = &plan.table;
    let full_clustering = plan.restrictions.clustering_prefix.len() == table.clustering_key.len();
    match plan.kind {
        ModificationKind::Insert | ModificationKind::Update => {
            let marker = (plan.kind == ModificationKind::Insert).then(|| row_marker(stamp));
            if full_clustering && (!cells.is_empty() || marker.is_some()) {
                let clustering = row_clustering(table, prefix);
                mutation.rows.push(RowUpdate { clustering, marker, deletion: None, cells: cells.to_vec() });
            }
        }
        ModificationKind::Delete if !plan.deletions.is_empty() => {
            if !cells.is_empty() {
                let clustering = row_clustering(table, prefix);
                mutation.rows.push(RowUpdate { clustering, marker: None, deletion: None, cells: cells.to_vec() });
            }
        }
        ModificationKind::Delete => delete_rows(mutation, plan, values, stamp, prefix, full_clustering)?,
    }
    Ok(())
}

/// DELETE of whole rows: the partition (no prefix and no slice), one row (a whole
/// clustering key) or a range of rows (a prefix and an optional slice).
fn delete_rows(
    mutation: &mut Mutation,
    plan: &ModificationPlan,
    values: &BoundValues,
    stamp: CellStamp,
    prefix: &[Bytes],
    full_clustering: bool,
) -> Result<(), CqlError> {
    let deletion = DeletionTime { marked_at: stamp.timestamp, local_deletion_time: stamp.now };
    let slice = plan.restrictions.clustering_slice.as_ref();
    if prefix.is_empty() && slice.is_none() {
        mutation.partition_deletion = Some(deletion);
    } else if full_clustering {
        let clustering = clustering_key(&plan.table, prefix.to_vec());
        mutation.rows.push(RowUpdate { clustering, marker: None, deletion: Some(deletion), cells: vec![] });
    } else {
        let range: ClusteringRange = slice_range(&plan.table, prefix, slice, values)?;
        mutation.range_deletions.push((range, deletion));
    }
    Ok(())
}

/// INSERT's row marker: the row exists, with the statement's timestamp and TTL.
fn row_marker(stamp: CellStamp) -> Liveness {
    Liveness {
        timestamp: stamp.timestamp,
        ttl_seconds: stamp.ttl,
        expires_at: if stamp.ttl == 0 { NEVER_EXPIRES } else { stamp.now.saturating_add(stamp.ttl) },
    }
}

/// The clustering key of the row a prefix names (empty in a table without clustering
/// columns).
fn row_clustering(table: &TableDef, prefix: &[Bytes]) -> ClusteringKey {
    if table.clustering_key.is_empty() {
        ClusteringKey::default()
    } else {
        clustering_key(table, prefix.to_vec())
    }
}
