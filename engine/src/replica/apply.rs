//! Applying mutations: each goes to the shard that owns its partition — applied in place
//! when that is this shard, otherwise by a typed call to the owner's replica — and the
//! write is acknowledged once every owner has applied it durably (commitlog first, per the
//! sync mode, then the memtable). Secondary index entries are mutations of their own, of the
//! index's backing table: the coordinator derives them ([`index_entries`]) and sends them
//! to the replicas of their own tokens, so an index is as replicated as its data. Memory is
//! bounded: an owner whose memtables are over its share answers `Overloaded` instead of
//! growing.

use std::rc::Rc;

use futures::future::try_join_all;

use crate::model::mutation::Mutation;
use crate::model::mutation_codec;
use crate::runtime::metrics::ShardMetrics;

use super::{flush_scheduler, Replica, ReplicaError};

/// Applies client mutations wherever they are owned (counted as local or forwarded requests).
pub async fn apply(replica: &Rc<Replica>, mutations: Vec<Mutation>) -> Result<(), ReplicaError> {
    apply_routed(replica, mutations, true).await
}

/// Routes mutations to their owners; `from_client` says whether they count as client
/// requests in the local/forwarded metrics and get a bounded memtable stall (commitlog
/// replay does neither).
pub async fn apply_routed(
    replica: &Rc<Replica>,
    mutations: Vec<Mutation>,
    from_client: bool,
) -> Result<(), ReplicaError> {
    let mut remote: Vec<(usize, Vec<Mutation>)> = Vec::new();
    let mut local = Vec::new();
    for m in mutations {
        let owner = replica.owner_of(m.position.token);
        if owner == replica.id {
            if from_client {
                ShardMetrics::inc(&replica.metrics().cql_requests_local);
            }
            local.push(m);
        } else {
            if from_client {
                ShardMetrics::inc(&replica.metrics().cql_requests_forwarded);
            }
            match remote.iter_mut().find(|(s, _)| *s == owner) {
                Some((_, batch)) => batch.push(m),
                None => remote.push((owner, vec![m])),
            }
        }
    }
    let local = async {
        if local.is_empty() {
            Ok(())
        } else {
            apply_owned(replica, local, from_client).await
        }
    };
    let remote = try_join_all(remote.into_iter().map(|(owner, batch)| async move {
        replica
            .router
            .call(owner, move |owner: Rc<Replica>| async move { apply_owned(&owner, batch, from_client).await })
            .await?
    }));
    futures::future::try_join(local, remote).await?;
    Ok(())
}

/// Applies mutations owned by this shard: commitlog first (waiting for durability per
/// the sync mode), then the memtable; a memtable past its threshold starts a flush.
pub async fn apply_local(replica: &Rc<Replica>, mutations: Vec<Mutation>) -> Result<(), ReplicaError> {
    apply_owned(replica, mutations, true).await
}

/// `bounded_stall`: clients get `Overloaded` after a bounded wait for memtable room;
/// commitlog replay waits as long as flushing takes.
pub async fn apply_owned(
    replica: &Rc<Replica>,
    mutations: Vec<Mutation>,
    bounded_stall: bool,
) -> Result<(), ReplicaError> {
    while !flush_scheduler::wait_for_memtable_room(replica).await {
        if bounded_stall {
            if let Some(reason) = replica.flush_failure.borrow().as_ref() {
                return Err(ReplicaError::FlushFailing { shard: replica.id, reason: reason.clone() });
            }
            return Err(ReplicaError::Overloaded { shard: replica.id, waited_ms: flush_scheduler::WRITE_STALL_MAX_MS });
        }
    }
    let started = std::time::Instant::now();
    let entry = mutation_codec::encode_batch(&mutations);
    let segment = replica.commitlog.append(&entry, mutations.len() as u64).await?;
    if bounded_stall {
        // Client writes (replay is not counted), timed through their durable commitlog append.
        replica.table_metrics.wrote(&mutations, started.elapsed());
    }
    let mut tables: Vec<uuid::Uuid> = Vec::with_capacity(1);
    {
        let mut store = replica.store.borrow_mut();
        for m in mutations {
            assert_eq!(replica.owner_of(m.position.token), replica.id, "a partition lives on its owner shard");
            if !tables.contains(&m.table_id) {
                tables.push(m.table_id);
            }
            store.apply(m, Some(segment));
            ShardMetrics::inc(&replica.metrics().mutations_applied);
        }
    }
    for table in &tables {
        flush_scheduler::maybe_schedule_flush(replica, table);
    }
    // The memtable gauge is published by the shard's periodic refresh, not per write.
    Ok(())
}
