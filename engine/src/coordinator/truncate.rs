//! TRUNCATE on every node, as Cassandra does it: refused with `Unavailable` (at ALL) unless
//! every member of the ring is up, then sent to all of them — this node's shards directly,
//! the others as TRUNCATE — and answered once every node has emptied the tables (memtables
//! sealed, SSTables dropped, a truncation record so replay skips older commitlog entries).
//! Truncations of one node are serialised on its shard 0.

use std::rc::Rc;
use std::time::Duration;

use percore_protocol::wire::consistency::ALL;
use uuid::Uuid;

use crate::messaging::Verb;
use crate::replica::Replica;

use super::error::CoordinatorError;
use super::wire::{TruncateAck, TruncateRequest};
use super::Coordinator;

/// The shard that serialises a node's truncations (and keeps its truncation records).
pub const TRUNCATE_SHARD: usize = 0;
/// Cassandra's `truncate_request_timeout_in_ms` default.
pub const TRUNCATE_TIMEOUT: Duration = Duration::from_secs(60);

/// Truncates `tables` on every node of the ring.
pub async fn truncate_everywhere(coordinator: &Rc<Coordinator>, tables: Vec<Uuid>) -> Result<(), CoordinatorError> {
    let state = coordinator.view.state();
    let local = coordinator.view.local_host_id();
    let members: Vec<_> = state.normal_nodes().filter(|n| n.host_id != local).cloned().collect();
    let alive = members.iter().filter(|n| coordinator.view.is_up(n.host_id)).count() as u32 + 1;
    let required = members.len() as u32 + 1;
    if alive < required {
        return Err(CoordinatorError::Unavailable { consistency: ALL, required, alive });
    }
    let request = TruncateRequest { tables: tables.clone() };
    let remote = members.iter().map(|member| {
        let request = &request;
        async move {
            let sent: Result<TruncateAck, _> = coordinator
                .messaging
                .send_with_timeout(member.address, Verb::Truncate, request, TRUNCATE_TIMEOUT)
                .await;
            sent.map(drop).map_err(|e| format!("{}: {e}", member.address))
        }
    });
    let here = truncate_node(&coordinator.replica, tables);
    let (here, remote) = futures::future::join(here, futures::future::join_all(remote)).await;
    let failures: Vec<String> = std::iter::once(here).chain(remote).filter_map(Result::err).collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(CoordinatorError::Truncate(failures.join("; ")))
    }
}

/// Truncates `tables` on this node, coordinated by shard 0: every shard drops the table's
/// data and seals its commitlog segment; shard 0 records where each shard's later entries
/// begin (so replay skips the truncated ones) before acknowledging.
pub async fn truncate_node(replica: &Rc<Replica>, tables: Vec<Uuid>) -> Result<(), String> {
    replica
        .router
        .call(TRUNCATE_SHARD, move |first: Rc<Replica>| async move {
            let _serialised = first.truncate_lock.acquire_permit(1).await.map_err(|e| format!("truncate lock: {e}"))?;
            for table in tables {
                let sealed = first
                    .router
                    .call_all(
                        first.nr_shards(),
                        move |replica: Rc<Replica>| async move { replica.truncate(table).await },
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                first.record_truncation(table, sealed).await.map_err(|e| e.to_string())?;
            }
            Ok(())
        })
        .await
        .map_err(|e| e.to_string())?
}
