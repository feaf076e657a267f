//! The replica side of the coordinator's verbs, registered on every shard: MUTATION
//! applies the mutations durably (hopping to each partition's owning shard, counted as a
//! replica-side cross-shard hop), READ answers one page of one partition as stored, or its
//! digest, from the owning shard, RANGE_READ a page of a token range from every shard,
//! TRUNCATE empties tables on every shard. A table this node does not know (its schema lags) is an
//! error answer, never a panic.

use std::rc::Rc;

use bytes::Bytes;
use uuid::Uuid;

use crate::messaging::{HandlerError, Messaging, Verb};
use crate::model::mutation_codec;
use crate::replica::apply::apply;
use crate::replica::slice::SliceCommand;
use crate::replica::Replica;
use crate::runtime::metrics::ShardMetrics;

use super::range_read::node_range_page;
use super::truncate::truncate_node;
use super::wire::{
    MutationAck, MutationRequest, RangeReadRequest, RangeReadResponse, ReadKind, ReadRequest, ReadResponse,
    TruncateAck, TruncateRequest,
};

/// Registers the MUTATION and READ handlers of this shard.
pub fn register(messaging: &Messaging, replica: &Rc<Replica>) {
    let for_mutations = replica.clone();
    messaging.register(Verb::Mutation, move |_, request: MutationRequest| {
        let replica = for_mutations.clone();
        async move { apply_mutations(&replica, request).await }
    });
    let for_reads = replica.clone();
    messaging.register(Verb::Read, move |_, request: ReadRequest| {
        let replica = for_reads.clone();
        async move { read(&replica, request).await }
    });
    let for_truncates = replica.clone();
    messaging.register(Verb::Truncate, move |_, request: TruncateRequest| {
        let replica = for_truncates.clone();
        async move {
            truncate_node(&replica, request.tables).await.map_err(HandlerError::new)?;
            Ok(TruncateAck)
        }
    });
    let for_ranges = replica.clone();
    messaging.register(Verb::RangeRead, move |_, request: RangeReadRequest| {
        let replica = for_ranges.clone();
        async move {
            let table_id = request.table_id;
            let page = node_range_page(&replica, table_id, request.command()).await.map_err(HandlerError::new)?;
            Ok(RangeReadResponse::from_page(table_id, &page))
        }
    });
}

async fn apply_mutations(replica: &Rc<Replica>, request: MutationRequest) -> Result<MutationAck, HandlerError> {
    let mutations = mutation_codec::decode_batch(Bytes::from(request.mutations))
        .map_err(|e| HandlerError::new(format!("undecodable mutation: {e}")))?;
    let schema = replica.schema();
    for m in &mutations {
        if schema.table_by_id(&m.table_id).is_none() {
            return Err(HandlerError::new(format!("unknown table {}", m.table_id)));
        }
        if replica.owner_of(m.position.token) != replica.id {
            ShardMetrics::inc(&replica.metrics().replica_cross_shard_hops);
        }
    }
    apply(replica, mutations).await.map_err(|e| HandlerError::new(e.to_string()))?;
    Ok(MutationAck)
}

async fn read(replica: &Rc<Replica>, request: ReadRequest) -> Result<ReadResponse, HandlerError> {
    let (kind, table_id) = (request.kind, request.table_id);
    let command = request.command();
    let owner = replica.owner_of(command.position.token);
    if owner == replica.id {
        return read_page(replica, kind, table_id, command).await.map_err(HandlerError::new);
    }
    ShardMetrics::inc(&replica.metrics().replica_cross_shard_hops);
    let answer = replica
        .router
        .call(owner, move |owner: Rc<Replica>| async move { read_page(&owner, kind, table_id, command).await })
        .await
        .map_err(|e| HandlerError::new(e.to_string()))?;
    answer.map_err(HandlerError::new)
}

/// One page of a partition on its owning shard (this one), as data or digest.
pub async fn read_page(
    replica: &Replica,
    kind: ReadKind,
    table_id: Uuid,
    command: SliceCommand,
) -> Result<ReadResponse, String> {
    let schema = replica.schema();
    let table = schema.table_by_id(&table_id).ok_or_else(|| format!("unknown table {table_id}"))?;
    let slice = replica.read_slice(table, &command).await.map_err(|e| e.to_string())?;
    // One encoding serves both the digest and a data answer.
    let (encoded, digest) = slice.encode_with_digest(table, &command.position);
    let data = match kind {
        ReadKind::Data => encoded,
        ReadKind::Digest => Vec::new(),
    };
    Ok(ReadResponse { data, digest, stopped_at: slice.stopped_at.map(|k| serde_bytes::ByteBuf::from(k.to_vec())) })
}
