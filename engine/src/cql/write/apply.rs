//! Applying mutations: each goes to the shard that owns its partition — applied in place
//! when that is this shard, otherwise sent over the mesh — and the write is acknowledged
//! once every owner has applied it. Memory is bounded: an owner whose memtables are over
//! its share answers `Overloaded` instead of growing.

use std::rc::Rc;

use futures::future::try_join_all;

use crate::cql::error::CqlError;
use crate::cql::shard_ops::{ShardReply, ShardRequest};
use crate::cql::write::index_maintenance;
use crate::metrics::ShardMetrics;
use crate::model::mutation::Mutation;
use crate::model::mutation_codec;
use crate::runtime::flush_scheduler;
use crate::runtime::shard::Shard;
use crate::storage::commitlog::CommitlogError;

pub async fn apply(shard: &Rc<Shard>, mutations: Vec<Mutation>) -> Result<(), CqlError> {
    apply_routed(shard, mutations, true).await
}

/// Routes mutations to their owners; `count_requests` says whether they count as client
/// requests in the local/forwarded metrics (commitlog replay does not).
pub async fn apply_routed(shard: &Rc<Shard>, mutations: Vec<Mutation>, count_requests: bool) -> Result<(), CqlError> {
    let mut remote: Vec<(usize, Vec<Mutation>)> = Vec::new();
    let mut local = Vec::new();
    for m in mutations {
        let owner = shard.owner_of(m.position.token);
        if owner == shard.id {
            if count_requests {
                ShardMetrics::inc(&shard.metrics().cql_requests_local);
            }
            local.push(m);
        } else {
            if count_requests {
                ShardMetrics::inc(&shard.metrics().cql_requests_forwarded);
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
            apply_owned(shard, local, count_requests).await
        }
    };
    let remote = try_join_all(remote.into_iter().map(|(owner, batch)| {
        let shard = shard.clone();
        async move {
            let request = if count_requests { ShardRequest::Apply(batch) } else { ShardRequest::Replay(batch) };
            match shard.router.call(owner, request).await? {
                ShardReply::Applied => Ok(()),
                _ => Err(CqlError::server("unexpected reply to a mutation".into())),
            }
        }
    }));
    futures::future::try_join(local, remote).await?;
    Ok(())
}

/// Applies mutations owned by this shard: commitlog first (waiting for durability per
/// the sync mode), then the memtable; a memtable past its threshold starts a flush.
pub async fn apply_local(shard: &Rc<Shard>, mutations: Vec<Mutation>) -> Result<(), CqlError> {
    apply_owned(shard, mutations, true).await
}

/// `bounded_stall`: clients get `Overloaded` after a bounded wait for memtable room;
/// commitlog replay waits as long as flushing takes.
pub async fn apply_owned(shard: &Rc<Shard>, mutations: Vec<Mutation>, bounded_stall: bool) -> Result<(), CqlError> {
    while !flush_scheduler::wait_for_memtable_room(shard).await {
        if bounded_stall {
            if let Some(reason) = shard.flush_failure.borrow().as_ref() {
                return Err(CqlError::server(format!(
                    "shard {} cannot flush its memtables ({reason}); writes are refused until it can",
                    shard.id
                )));
            }
            return Err(CqlError::overloaded(format!(
                "shard {} memtables stayed over their budget for {} ms: flushing is behind; retry later",
                shard.id,
                flush_scheduler::WRITE_STALL_MAX_MS
            )));
        }
    }
    // Index entries are derived before the base mutations move into the memtable.
    let index_entries = index_maintenance::derive(&shard.schema(), &mutations);
    let entry = mutation_codec::encode_batch(&mutations);
    let segment = shard.commitlog.append(&entry, mutations.len() as u64).await.map_err(|e| match e {
        CommitlogError::TooLarge { .. } => CqlError::invalid(e.to_string()),
        _ => CqlError::server(e.to_string()),
    })?;
    let mut tables: Vec<uuid::Uuid> = Vec::with_capacity(1);
    {
        let mut store = shard.store.borrow_mut();
        for m in mutations {
            debug_assert_eq!(shard.owner_of(m.position.token), shard.id, "a partition lives on its owner shard");
            if !tables.contains(&m.table_id) {
                tables.push(m.table_id);
            }
            store.apply(m, Some(segment));
            ShardMetrics::inc(&shard.metrics().mutations_applied);
        }
    }
    for table in &tables {
        flush_scheduler::maybe_schedule_flush(shard, table);
    }
    // The write is acknowledged only once its index entries are durable on their owners
    // too; replay derives them again, so a crash in between is repaired at start-up.
    // (Boxed: this recursion ends at once, backing tables have no indexes.)
    if !index_entries.is_empty() {
        Box::pin(apply_routed(shard, index_entries, bounded_stall)).await?;
    }
    // The memtable gauge is published by the shard's periodic refresh, not per write.
    Ok(())
}
