//! What `DESCRIBE CLUSTER` reads of the ring: with a non-system session keyspace, every
//! range of the ring (by its end token, in ring order) with the keyspace's replicas of it,
//! in placement order — Cassandra's `range_ownership` (`getRangeToAddressMap`), addresses
//! without port as ScyllaDB prints them. The ring and the keyspace's replica map come from
//! the shard's ring cache.

use percore_protocol::cql::ast::{DescribeStatement, DescribeTarget};

use super::describe::ClusterInfo;
use super::error::CqlError;
use super::shard::Shard;

/// The cluster a DESCRIBE shows: the ring is computed only for `DESCRIBE CLUSTER`.
pub fn for_statement(
    shard: &Shard,
    statement: &DescribeStatement,
    session_keyspace: Option<&str>,
) -> Result<ClusterInfo, CqlError> {
    let ring = match (&statement.target, session_keyspace) {
        (DescribeTarget::Cluster, Some(keyspace)) => range_ownership(shard, keyspace)?,
        _ => Vec::new(),
    };
    Ok(ClusterInfo::new(&shard.node.config, ring))
}

/// Each range's end token with the keyspace's replicas of it, in ring order; nothing for
/// system keyspaces (DESCRIBE CLUSTER shows no ring for them) or unknown ones.
pub fn range_ownership(shard: &Shard, keyspace: &str) -> Result<Vec<(String, Vec<String>)>, CqlError> {
    let schema = shard.schema();
    let Some(ks) = schema.keyspace(keyspace).filter(|ks| !ks.is_system) else { return Ok(Vec::new()) };
    let map =
        shard.coordinator.ring.replication_map(&shard.cluster, ks).map_err(|e| CqlError::server(e.to_string()))?;
    let ring = map.token_metadata();
    Ok(map
        .range_replicas()
        .map(|(range, replicas)| {
            (range.end.to_string(), replicas.iter().map(|&r| ring.endpoint(r).address.to_string()).collect())
        })
        .collect())
}
