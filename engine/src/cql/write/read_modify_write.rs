//! Writes that depend on current values — counter increments, list writes by index and
//! list value removals — done on the partition's owner shard under its partition lock:
//! read the partition (memtables and SSTables), turn each pending operation into cells,
//! and apply the resulting mutation through the commitlog like any other write. A counter
//! is stored as its total in one cell, written with a timestamp above the one it replaces,
//! so replaying the commitlog or merging SSTables gives the same total (no deltas to
//! double-count on one node).

use std::collections::HashMap;
use std::rc::Rc;

use bytes::Bytes;

use super::cell_ops::PendingOp;
use super::conditions::{evaluate, shown_row};
use super::mutation_builder::{PartitionWrite, Pending, WriteContext};
use crate::coordinator::replica_plan::Placement;
use crate::coordinator::write::{index_applied, mutate, replicate};
use crate::coordinator::WriteType;
use crate::cql::error::CqlError;
use crate::cql::functions::{now_micros, now_seconds};
use crate::cql::shard::Shard;
use crate::model::cell::{Cell, DeletionTime};
use crate::model::mutation::{ClusteringKey, ColumnId, Mutation, RowUpdate};
use crate::replica::apply::apply_local;
use crate::replica::{Partition, Row};

/// Applies a statement's or batch's writes through the coordinator at the request's level:
/// plain ones straight to their replicas, those with pending operations through a
/// read-modify-write on a replica, whose result is then replicated.
pub async fn apply_writes(shard: &Rc<Shard>, writes: Vec<PartitionWrite>, ctx: &WriteContext) -> Result<(), CqlError> {
    if writes.iter().all(|w| w.pending.is_empty()) {
        // The common case: no read on the owner, no split.
        let mutations = writes.into_iter().map(|w| w.mutation).collect();
        return Ok(mutate(&shard.coordinator, mutations, ctx.consistency, ctx.write_type).await?);
    }
    let (plain, reading): (Vec<_>, Vec<_>) = writes.into_iter().partition(|w| w.pending.is_empty());
    let plain = async {
        if plain.is_empty() {
            Ok(())
        } else {
            let mutations = plain.into_iter().map(|w| w.mutation).collect();
            Ok(mutate(&shard.coordinator, mutations, ctx.consistency, ctx.write_type).await?)
        }
    };
    futures::future::try_join(plain, apply_with_reads(shard, reading, ctx)).await?;
    Ok(())
}

/// Applies writes with pending operations, each on a replica's owner shard.
pub async fn apply_with_reads(
    shard: &Rc<Shard>,
    writes: Vec<PartitionWrite>,
    ctx: &WriteContext,
) -> Result<(), CqlError> {
    let calls = writes.into_iter().map(|write| async move { apply_conditional(shard, write, ctx).await.map(drop) });
    futures::future::try_join_all(calls).await?;
    Ok(())
}

/// What a conditional write did: applied, or not and the current rows its conditions read.
#[derive(Debug, Default)]
pub struct CasOutcome {
    pub applied: bool,
    /// Encoded cells of the shown columns, one entry per existing conditioned row.
    pub rows: Vec<Vec<u8>>,
    /// The mutation the read-modify-write applied (replicated to the other replicas).
    pub mutation: Option<Mutation>,
}

/// Applies one partition's read-modify-write (conditional or not) on its owner shard.
///
/// With several replicas the read-modify-write runs on this node's replica and its result
/// is replicated at the request's level. A lightweight transaction needs Paxos across the
/// replicas, which is not there yet: it is refused rather than answered non-linearizably.
pub async fn apply_conditional(
    shard: &Rc<Shard>,
    write: PartitionWrite,
    ctx: &WriteContext,
) -> Result<CasOutcome, CqlError> {
    let schema = shard.schema();
    let keyspace = schema
        .keyspace(&write.table.keyspace)
        .ok_or_else(|| CqlError::invalid(format!("Keyspace {} does not exist", write.table.keyspace)))?;
    let token = write.mutation.position.token;
    let conditional = !write.conditions.is_empty();
    if conditional {
        // The Paxos read's level must be available too.
        shard.coordinator.plan(keyspace, token, ctx.serial_consistency)?;
    }
    let plan = match shard.coordinator.plan(keyspace, token, ctx.consistency)? {
        Placement::Replicated(plan) if !plan.is_local_only() => plan,
        _ => {
            let outcome = on_owner(shard, write).await?;
            if let Some(mutation) = &outcome.mutation {
                index_applied(&shard.coordinator, mutation, ctx.consistency, ctx.write_type).await?;
            }
            return Ok(outcome);
        }
    };
    if conditional {
        return Err(CqlError::invalid(format!(
            "Lightweight transactions (IF conditions) are not supported yet on keyspaces whose data lives on more \
             than one replica ({} has replication {:?}): Paxos across replicas is not implemented, and Percore will \
             not answer [applied] without it",
            keyspace.name, keyspace.replication
        )));
    }
    if !plan.includes_local() {
        return Err(CqlError::invalid(format!(
            "Counter and list-index writes to a replicated keyspace must be sent to one of the partition's replicas \
             for now (this node, {}, is not one of them): use a token-aware driver",
            shard.cluster.local().map(|n| n.address.to_string()).unwrap_or_default()
        )));
    }
    shard.coordinator.count_placement(&plan, token);
    let mut outcome = on_owner(shard, write).await?;
    let mutation = outcome.mutation.take().expect("an applied read-modify-write has its mutation");
    replicate(&shard.coordinator, mutation, plan, WriteType::Counter).await?;
    Ok(outcome)
}

/// Runs the read-modify-write on the owner shard of this node.
async fn on_owner(shard: &Rc<Shard>, write: PartitionWrite) -> Result<CasOutcome, CqlError> {
    let owner = shard.owner_of(write.mutation.position.token);
    if owner == shard.id {
        return read_modify_write_local(shard, write).await;
    }
    shard
        .router
        .call(owner, move |owner: Rc<Shard>| async move { read_modify_write_local(&owner, write).await })
        .await?
}

/// Runs one partition's read-modify-write on this shard, its owner: conditions first (a
/// failed one writes nothing), then pending operations, then the write.
pub async fn read_modify_write_local(shard: &Rc<Shard>, write: PartitionWrite) -> Result<CasOutcome, CqlError> {
    let position = write.mutation.position.clone();
    assert_eq!(shard.owner_of(position.token), shard.id, "read-modify-writes run on the owner");
    let _guard = shard.replica.lock_partition(write.table.id, &position).await;
    let current = shard.replica.read_merged(&write.table, &position).await?;
    let mut mutation = write.mutation;
    let mut pending = write.pending;
    if !write.conditions.is_empty() {
        let now = now_seconds();
        if !write.conditions.iter().all(|c| evaluate(&current, c, now)) {
            let mut rows: Vec<Vec<u8>> = Vec::new();
            for row in write.conditions.iter().filter_map(|c| shown_row(&current, &position, c, now)) {
                if !rows.contains(&row) {
                    rows.push(row);
                }
            }
            return Ok(CasOutcome { applied: false, rows, mutation: None });
        }
        // A transaction's writes must win over everything it read, as a Paxos ballot does.
        let newest = newest_timestamp(&current);
        if let Some(base) = base_timestamp(&mut mutation, &pending) {
            if base <= newest {
                let shift = newest - base + 1;
                shift_timestamps(&mut mutation, shift);
                pending.iter_mut().for_each(|p| p.stamp.timestamp += shift);
            }
        }
    }
    resolve(&current, pending, &mut mutation)?;
    apply_local(&shard.replica, vec![mutation.clone()]).await?;
    Ok(CasOutcome { applied: true, rows: Vec::new(), mutation: Some(mutation) })
}

/// The statement timestamp of a write (its newest cell, marker or deletion).
fn base_timestamp(m: &mut Mutation, pending: &[Pending]) -> Option<i64> {
    let mut newest: Option<i64> = pending.iter().map(|p| p.stamp.timestamp).max();
    let mut see = |ts: i64| newest = Some(newest.map_or(ts, |n| n.max(ts)));
    visit_timestamps(m, &mut |ts| see(*ts));
    newest
}

fn shift_timestamps(m: &mut Mutation, shift: i64) {
    visit_timestamps(m, &mut |ts| *ts += shift);
}

fn visit_timestamps(m: &mut Mutation, f: &mut impl FnMut(&mut i64)) {
    if let Some(d) = &mut m.partition_deletion {
        f(&mut d.marked_at);
    }
    m.static_cells.iter_mut().for_each(|(_, c)| f(&mut c.timestamp));
    for row in &mut m.rows {
        if let Some(marker) = &mut row.marker {
            f(&mut marker.timestamp);
        }
        if let Some(d) = &mut row.deletion {
            f(&mut d.marked_at);
        }
        row.cells.iter_mut().for_each(|(_, c)| f(&mut c.timestamp));
    }
    m.range_deletions.iter_mut().for_each(|(_, d)| f(&mut d.marked_at));
}

/// The newest timestamp anywhere in a partition.
fn newest_timestamp(p: &Partition) -> i64 {
    let mut newest = p.deletion.map_or(i64::MIN, |d| d.marked_at);
    let row_newest = |r: &Row| {
        let cells = r.cells.iter().map(|(_, c)| c.timestamp);
        let marker = r.marker.map(|m| m.timestamp);
        let deletion = r.deletion.map(|d| d.marked_at);
        cells.chain(marker).chain(deletion).max().unwrap_or(i64::MIN)
    };
    newest = newest.max(row_newest(&p.static_row));
    for r in p.rows.values() {
        newest = newest.max(row_newest(r));
    }
    p.range_deletions.iter().map(|(_, d)| d.marked_at).fold(newest, i64::max)
}

/// The row an operation targets in `current`, with the deletion covering it.
fn current_row<'a>(
    current: &'a Partition,
    clustering: &Option<ClusteringKey>,
) -> (Option<&'a Row>, Option<DeletionTime>) {
    match clustering {
        None => (Some(&current.static_row), current.deletion),
        Some(ck) => match current.rows.get(&ck.sort_key) {
            Some(row) => (Some(row), row.effective_deletion(current.deletion_for(&ck.sort_key))),
            None => (None, current.deletion_for(&ck.sort_key)),
        },
    }
}

fn add_cell(m: &mut Mutation, clustering: &Option<ClusteringKey>, column: ColumnId, cell: Cell) {
    let Some(ck) = clustering else {
        m.static_cells.push((column, cell));
        return;
    };
    match m.rows.iter_mut().find(|r| r.clustering.sort_key == ck.sort_key) {
        Some(row) => row.cells.push((column, cell)),
        None => {
            m.rows.push(RowUpdate { clustering: ck.clone(), marker: None, deletion: None, cells: vec![(column, cell)] })
        }
    }
}

/// A column of one row: (clustering sort key, `None` for the static row; column).
type ColumnInRow = (Option<Bytes>, ColumnId);

/// A counter's new total and the timestamp that makes it win over the old one.
struct CounterUpdate {
    clustering: Option<ClusteringKey>,
    total: i64,
    timestamp: i64,
    now: u32,
    /// The counter was deleted: as in Cassandra a deletion always beats counter updates
    /// (they cannot be ordered against it), so increments leave it deleted.
    deleted: bool,
}

/// Turns the pending operations into cells of `m`, reading `current`.
pub fn resolve(current: &Partition, pending: Vec<Pending>, m: &mut Mutation) -> Result<(), CqlError> {
    // Counter totals and list views as this write changes them, per (row, column).
    let mut counters: HashMap<ColumnInRow, CounterUpdate> = HashMap::new();
    let mut lists: HashMap<ColumnInRow, Vec<(Bytes, Bytes)>> = HashMap::new();
    for Pending { clustering, op, stamp } in pending {
        let now = stamp.now;
        let row_key = clustering.as_ref().map(|c| c.sort_key.clone());
        let (row, deletion) = current_row(current, &clustering);
        match op {
            PendingOp::CounterAdd { column, delta } => {
                let entry = counters.entry((row_key, column)).or_insert_with(|| {
                    let clustering = clustering.clone();
                    let cell = row.and_then(|r| r.cell(column));
                    let total = row
                        .and_then(|r| r.live_cell(column, deletion, now))
                        .and_then(|c| c.value.as_deref())
                        .and_then(|v| <[u8; 8]>::try_from(v).ok())
                        .map_or(0, i64::from_be_bytes);
                    let floor = cell.map_or(i64::MIN, |c| c.timestamp).max(deletion.map_or(i64::MIN, |d| d.marked_at));
                    let deleted = deletion.is_some() || cell.is_some_and(|c| c.value.is_none());
                    let timestamp = now_micros().max(floor.saturating_add(1));
                    CounterUpdate { clustering, total, timestamp, now, deleted }
                });
                entry.total = entry.total.wrapping_add(delta);
            }
            PendingOp::ListSetIndex { column, index, value } => {
                let list = lists.entry((row_key, column)).or_insert_with(|| live_list(row, column, deletion, now));
                let deleting = value.is_none();
                if list.is_empty() {
                    let what = if deleting { "delete an element from" } else { "set an element on" };
                    return Err(CqlError::invalid(format!("Attempted to {what} a list which is null")));
                }
                let Some(i) = usize::try_from(index).ok().filter(|&i| i < list.len()) else {
                    return Err(CqlError::invalid(format!(
                        "List index {index} out of bound, list has size {}",
                        list.len()
                    )));
                };
                let path = list[i].0.clone();
                let cell = match value {
                    Some(v) => {
                        list[i].1 = v.clone();
                        stamp.live(v).at_path(path)
                    }
                    None => {
                        list.remove(i);
                        stamp.tombstone().at_path(path)
                    }
                };
                add_cell(m, &clustering, column, cell);
            }
            PendingOp::ListRemove { column, values } => {
                let list = lists.entry((row_key, column)).or_insert_with(|| live_list(row, column, deletion, now));
                list.retain(|(path, value)| {
                    let remove = values.contains(value);
                    if remove {
                        add_cell(m, &clustering, column, stamp.tombstone().at_path(path.clone()));
                    }
                    !remove
                });
            }
        }
    }
    for ((_, column), update) in counters.into_iter().filter(|(_, u)| !u.deleted) {
        let cell = Cell::live(update.timestamp, Bytes::copy_from_slice(&update.total.to_be_bytes()), 0, update.now);
        add_cell(m, &update.clustering, column, cell);
    }
    Ok(())
}

/// A list's live elements as (path, value), in order.
fn live_list(row: Option<&Row>, column: ColumnId, deletion: Option<DeletionTime>, now: u32) -> Vec<(Bytes, Bytes)> {
    let Some(row) = row else { return Vec::new() };
    row.live_elements(column, deletion, now).filter_map(|c| Some((c.path.clone()?, c.value.clone()?))).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cql::write::cell_ops::CellStamp;
    use crate::model::element_path::append_paths;
    use crate::model::mutation::PartitionPosition;

    const STAMP: CellStamp = CellStamp { timestamp: 100, ttl: 0, now: 1_000 };

    fn position() -> PartitionPosition {
        PartitionPosition { token: 1, key: Bytes::from_static(b"k") }
    }

    fn pending(op: PendingOp) -> Pending {
        Pending { clustering: None, op, stamp: STAMP }
    }

    fn int(v: i64) -> Bytes {
        Bytes::copy_from_slice(&v.to_be_bytes())
    }

    #[test]
    fn counters_add_to_the_current_total_with_a_newer_timestamp() {
        let mut current = Partition::default();
        let future = now_micros() + 60_000_000;
        current.static_row.apply_cells(vec![(1, Cell::live(future, int(40), 0, 1_000))]);
        let mut m = Mutation::new(uuid::Uuid::nil(), position());
        let ops = vec![
            pending(PendingOp::CounterAdd { column: 1, delta: 5 }),
            pending(PendingOp::CounterAdd { column: 1, delta: -3 }),
            pending(PendingOp::CounterAdd { column: 2, delta: 7 }),
        ];
        resolve(&current, ops, &mut m).unwrap();
        let mut cells = m.static_cells.clone();
        cells.sort_by_key(|(c, _)| *c);
        assert_eq!(cells[0].1.value, Some(int(42)));
        assert!(cells[0].1.timestamp > future, "the new total must win over the old cell");
        assert_eq!(cells[1].1.value, Some(int(7)));
    }

    #[test]
    fn list_index_writes_and_removals_address_the_current_elements() {
        let mut current = Partition::default();
        let paths = append_paths(3);
        let cells = paths.iter().zip([1, 2, 1]).map(|(p, v)| (3, Cell::live(50, int(v), 0, 1_000).at_path(p.clone())));
        current.static_row.apply_cells(cells.collect());
        let mut m = Mutation::new(uuid::Uuid::nil(), position());
        let ops = vec![
            pending(PendingOp::ListSetIndex { column: 3, index: 1, value: Some(int(9)) }),
            pending(PendingOp::ListRemove { column: 3, values: vec![int(1)] }),
        ];
        resolve(&current, ops, &mut m).unwrap();
        let written: Vec<(Option<Bytes>, Option<Bytes>)> =
            m.static_cells.iter().map(|(_, c)| (c.path.clone(), c.value.clone())).collect();
        assert_eq!(
            written,
            vec![
                (Some(paths[1].clone()), Some(int(9))),
                (Some(paths[0].clone()), None),
                (Some(paths[2].clone()), None)
            ]
        );
        let out_of_bounds = vec![pending(PendingOp::ListSetIndex { column: 3, index: 3, value: None })];
        let err = resolve(&current, out_of_bounds, &mut m).unwrap_err();
        assert!(err.to_string().contains("List index 3 out of bound, list has size 3"), "{err}");
    }
}
