//! The REST paths `percore nodetool` reads and turns, beyond flush and compact (Scylla's
//! paths where Scylla has one). Bodies are JSON ([`super::views`], the replica's
//! `TableStats`, `RunningCompaction`, `CompactionRecord`) unless said otherwise:
//!
//! * `GET /storage_service/release_version` — text, what `system.local` reports.
//! * `GET /storage_service/node_info` — [`NodeInfo`].
//! * `GET /storage_service/ring_info[/<keyspace>]` — the ring's members, their state and
//!   ownership ([`super::ring_views::RingView`]).
//! * `GET /storage_service/describe_ring/<keyspace>` — `TokenRangeView`s, ring order.
//! * `GET /storage_service/natural_endpoints/<keyspace>?cf=<table>&key=<key>` — the
//!   replicas' addresses in placement order (the key's components `:`-separated, each as
//!   `fromJson` reads a string, blobs as hex; the token is computed with the partitioner).
//!   The ring paths are [`super::ring_api`]'s.
//! * `GET /column_family/stats` — every table's `TableStats`, summed over shards.
//! * `GET /compaction_manager/compactions` — [`CompactionsView`].
//! * `GET /compaction_manager/compaction_history` — `CompactionRecord`s, oldest first.
//! * `GET /storage_service/compaction_throughput` — MiB/s (0: unthrottled);
//!   `POST …?value=<MiB/s>` sets it, split evenly between the shards.
//! * `POST|DELETE /storage_service/auto_compaction[/<keyspace>][?cf=t1,t2]` — enable/disable
//!   background compactions.
//! * `POST /storage_service/drain` — flush every table, then close the CQL listeners.
//! * `POST /storage_service/stop_daemon` — clean shutdown (the node's shutdown flag).

use std::rc::Rc;
use std::time::Duration;

use serde::Serialize;

use crate::cluster::ring::RingError;
use crate::cql::shard::Shard;
use crate::cql::system_tables::node_tables::RELEASE_VERSION;
use crate::model::token::PARTITIONER;
use crate::replica::compaction_activity::{CompactionRecord, RunningCompaction};
use crate::replica::table_metrics::TableStats;
use crate::replica::{compaction_scheduler, flush_scheduler, Replica, ReplicaError};
use crate::runtime::mesh::ShardCallError;
use crate::runtime::metrics::ShardMetrics;

use super::ring_api;
use super::views::{CompactionsView, NodeInfo, PendingCompactions};

/// `compaction_throughput_mb_per_sec` counts mebibytes, as Cassandra does.
const MIB: u64 = 1 << 20;
/// How long `drain` waits for every shard to close its listeners (they check every
/// `SHUTDOWN_POLL_INTERVAL_MS`).
const DRAIN_LISTENERS_WAIT_MS: u64 = 5_000;
/// How often `drain` checks whether the listeners are closed.
const DRAIN_POLL_MS: u64 = 10;
/// Where Cassandra's snitches live: a bare `endpoint_snitch` name is a class of it.
const SNITCH_PACKAGE: &str = "org.apache.cassandra.locator.";

/// An answer: HTTP status line text and body.
pub type Response = (&'static str, String);

/// Why a nodetool request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("unknown keyspace {0}")]
    UnknownKeyspace(String),
    /// Cassandra's words for `status`/`ring` of a keyspace that does not exist.
    #[error("The keyspace {0}, does not exist")]
    KeyspaceDoesNotExist(String),
    #[error("There is no ring for the keyspace: {0}")]
    NoRing(String),
    #[error("unknown table {0}.{1}")]
    UnknownTable(String, String),
    #[error("missing parameter {0}")]
    MissingParameter(&'static str),
    #[error("invalid value for {name}: {value}")]
    InvalidParameter { name: &'static str, value: String },
    #[error("key {key:?} does not fit the partition key ({columns} column(s)): {reason}")]
    InvalidKey { key: String, columns: usize, reason: String },
    #[error(transparent)]
    Ring(#[from] RingError),
    #[error(transparent)]
    Replica(#[from] ReplicaError),
    #[error(transparent)]
    ShardCall(#[from] ShardCallError),
    #[error("the CQL listeners of {0} shard(s) did not close")]
    DrainTimeout(usize),
}

impl ApiError {
    fn status(&self) -> &'static str {
        match self {
            ApiError::Ring(_) | ApiError::Replica(_) | ApiError::ShardCall(_) | ApiError::DrainTimeout(_) => {
                "500 Internal Server Error"
            }
            _ => "400 Bad Request",
        }
    }
}

/// Answers a nodetool path, or `None` if it is not one of these.
pub async fn route(shard: &Rc<Shard>, method: &str, path: &str, query: &str) -> Option<Response> {
    let result = match (method, path) {
        ("GET", "/storage_service/release_version") => Ok(RELEASE_VERSION.to_string()),
        ("GET", "/storage_service/node_info") => node_info(shard).await.map(|i| json(&i)),
        ("GET", "/storage_service/ring_info") => ring_api::ring_info(shard, None).map(|r| json(&r)),
        ("GET", p) if p.starts_with("/storage_service/ring_info/") => {
            let keyspace = percent_decode(&p["/storage_service/ring_info/".len()..]);
            ring_api::ring_info(shard, Some(&keyspace)).map(|r| json(&r))
        }
        ("GET", p) if p.starts_with("/storage_service/describe_ring/") => {
            let keyspace = percent_decode(&p["/storage_service/describe_ring/".len()..]);
            ring_api::describe_ring(shard, &keyspace).map(|r| json(&r))
        }
        ("GET", p) if p.starts_with("/storage_service/natural_endpoints/") => {
            let keyspace = percent_decode(&p["/storage_service/natural_endpoints/".len()..]);
            ring_api::natural_endpoints(shard, &keyspace, query).map(|r| json(&r))
        }
        ("GET", "/column_family/stats") => table_stats(shard).await.map(|s| json(&s)),
        ("GET", "/compaction_manager/compactions") => compactions(shard).await.map(|c| json(&c)),
        ("GET", "/compaction_manager/compaction_history") => compaction_history(shard).await.map(|h| json(&h)),
        ("GET", "/storage_service/compaction_throughput") => {
            compaction_throughput_mib(shard).await.map(|t| t.to_string())
        }
        ("POST", "/storage_service/compaction_throughput") => set_compaction_throughput(shard, query).await,
        (method @ ("POST" | "DELETE"), p) if p.starts_with("/storage_service/auto_compaction") => {
            let keyspace = p["/storage_service/auto_compaction".len()..].strip_prefix('/');
            set_autocompaction(shard, keyspace, query, method == "POST").await
        }
        ("POST", "/storage_service/drain") => drain(shard).await,
        ("POST", "/storage_service/stop_daemon") => {
            tracing::info!("percore: stopdaemon requested, shutting down");
            shard.node.request_shutdown();
            Ok(String::new())
        }
        _ => return None,
    };
    Some(match result {
        Ok(body) => ("200 OK", body),
        Err(e) => (e.status(), format!("{e}\n")),
    })
}

fn json<T: Serialize>(value: &T) -> String {
    // Plain data (strings, numbers, UUIDs): serializing cannot fail.
    serde_json::to_string(value).unwrap_or_default()
}

/// The value of `name=` in a query string.
pub fn query_param<'a>(query: &'a str, name: &str) -> Option<&'a str> {
    query.split('&').find_map(|kv| kv.strip_prefix(name).and_then(|rest| rest.strip_prefix('=')))
}

/// Decodes `%XX` escapes and `+` of a query string value.
pub fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match std::str::from_utf8(&bytes[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    None => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Every shard's answer to `f`.
async fn on_every_shard<T, F, Fut>(shard: &Shard, f: F) -> Result<Vec<T>, ApiError>
where
    T: Send + 'static,
    F: Fn(Rc<Replica>) -> Fut + Send + Clone + 'static,
    Fut: std::future::Future<Output = T> + 'static,
{
    Ok(shard.router.call_all(shard.nr_shards(), f).await?)
}

async fn table_stats(shard: &Shard) -> Result<Vec<TableStats>, ApiError> {
    let per_shard = on_every_shard(shard, |r: Rc<Replica>| async move { r.table_stats() }).await?;
    let mut summed: Vec<TableStats> = Vec::new();
    for stats in per_shard.into_iter().flatten() {
        match summed.iter_mut().find(|s| s.id == stats.id) {
            Some(s) => s.add(&stats),
            None => summed.push(stats),
        }
    }
    summed.sort_by(|a, b| (&a.keyspace, &a.table).cmp(&(&b.keyspace, &b.table)));
    Ok(summed)
}

async fn node_info(shard: &Shard) -> Result<NodeInfo, ApiError> {
    let node = &shard.node;
    let config = &node.config;
    let load_bytes = table_stats(shard).await?.iter().map(|s| s.space_used_bytes).sum();
    let memtable_bytes = on_every_shard(shard, |r: Rc<Replica>| async move { r.memtable_bytes() }).await?.iter().sum();
    let started = node.started_at.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let snitch = if config.endpoint_snitch.contains('.') {
        config.endpoint_snitch.clone()
    } else {
        format!("{SNITCH_PACKAGE}{}", config.endpoint_snitch)
    };
    Ok(NodeInfo {
        release_version: RELEASE_VERSION.to_string(),
        host_id: node.host_id,
        cluster_name: config.cluster_name.clone(),
        data_center: config.data_center.clone(),
        rack: config.rack.clone(),
        address: config.rpc_address().to_string(),
        partitioner: PARTITIONER.to_string(),
        snitch,
        schema_version: shard.schema().version(),
        tokens: shard.cluster.local().map(|n| n.tokens.iter().map(i64::to_string).collect()).unwrap_or_default(),
        generation: started.as_secs(),
        uptime_seconds: node.started_at.elapsed().unwrap_or_default().as_secs(),
        load_bytes,
        memtable_bytes,
        memory_bytes: node.shard_memory_bytes * node.nr_shards as u64,
        gossip_active: false,
        native_transport_active: node.listening_shards() > 0,
        exceptions: node.metrics.iter().map(|m| ShardMetrics::get(&m.compaction_failures)).sum(),
    })
}

/// One shard's waiting `(keyspace, table)`s and running compactions.
type ShardCompactions = (Vec<(String, String)>, Vec<RunningCompaction>);

async fn compactions(shard: &Shard) -> Result<CompactionsView, ApiError> {
    let per_shard: Vec<ShardCompactions> = on_every_shard(shard, |r: Rc<Replica>| async move {
        (compaction_scheduler::pending_tasks(&r), r.running_compactions())
    })
    .await?;
    let mut pending: Vec<PendingCompactions> = Vec::new();
    let mut running = Vec::new();
    for (waiting, active) in per_shard {
        for (keyspace, table) in waiting {
            match pending.iter_mut().find(|p| p.keyspace == keyspace && p.table == table) {
                Some(p) => p.tasks += 1,
                None => pending.push(PendingCompactions { keyspace, table, tasks: 1 }),
            }
        }
        running.extend(active);
    }
    pending.sort_by(|a, b| (&a.keyspace, &a.table).cmp(&(&b.keyspace, &b.table)));
    Ok(CompactionsView { pending, running, throughput_mib_per_second: compaction_throughput_mib(shard).await? })
}

async fn compaction_history(shard: &Shard) -> Result<Vec<CompactionRecord>, ApiError> {
    let per_shard = on_every_shard(shard, |r: Rc<Replica>| async move { r.compaction_history() }).await?;
    let mut all: Vec<CompactionRecord> = per_shard.into_iter().flatten().collect();
    all.sort_by_key(|r| r.compacted_at_ms);
    Ok(all)
}

/// The node's compaction throughput in MiB/s, rounded (0: unthrottled on every shard).
async fn compaction_throughput_mib(shard: &Shard) -> Result<u64, ApiError> {
    let rates = on_every_shard(shard, |r: Rc<Replica>| async move { r.compaction_throughput() }).await?;
    if rates.iter().any(Option::is_none) {
        return Ok(0);
    }
    let total: u64 = rates.iter().flatten().sum();
    Ok((total + MIB / 2) / MIB)
}

async fn set_compaction_throughput(shard: &Shard, query: &str) -> Result<String, ApiError> {
    let value = query_param(query, "value").ok_or(ApiError::MissingParameter("value"))?;
    let mib: u64 = value.parse().map_err(|_| ApiError::InvalidParameter { name: "value", value: value.to_string() })?;
    let per_shard =
        mib.checked_mul(MIB).ok_or_else(|| ApiError::InvalidParameter { name: "value", value: value.to_string() })?
            / shard.nr_shards() as u64;
    let rate = (mib > 0).then_some(per_shard.max(1));
    on_every_shard(shard, move |r: Rc<Replica>| async move { r.set_compaction_throughput(rate) }).await?;
    tracing::info!("percore: compaction throughput set to {mib} MiB/s (0: unthrottled)");
    Ok(String::new())
}

/// The ids of the named tables (all of the keyspace's), or `None` for every table.
fn table_ids(shard: &Shard, keyspace: Option<&str>, query: &str) -> Result<Option<Vec<uuid::Uuid>>, ApiError> {
    let Some(ks) = keyspace.filter(|k| !k.is_empty()) else { return Ok(None) };
    let schema = shard.schema();
    let def = schema.keyspace(ks).ok_or_else(|| ApiError::UnknownKeyspace(ks.to_string()))?;
    let named: Vec<&str> =
        query_param(query, "cf").map(|v| v.split(',').filter(|t| !t.is_empty()).collect()).unwrap_or_default();
    if named.is_empty() {
        return Ok(Some(def.tables.values().map(|t| t.id).collect()));
    }
    named
        .into_iter()
        .map(|t| def.tables.get(t).map(|t| t.id).ok_or_else(|| ApiError::UnknownTable(ks.to_string(), t.to_string())))
        .collect::<Result<Vec<_>, _>>()
        .map(Some)
}

async fn set_autocompaction(
    shard: &Shard,
    keyspace: Option<&str>,
    query: &str,
    enabled: bool,
) -> Result<String, ApiError> {
    let ids = table_ids(shard, keyspace, query)?;
    on_every_shard(shard, move |r: Rc<Replica>| {
        let ids = ids.clone();
        async move { compaction_scheduler::set_autocompaction(&r, ids.as_deref(), enabled) }
    })
    .await?;
    Ok(String::new())
}

/// Flushes every table on every shard, then closes every shard's CQL listeners.
async fn drain(shard: &Shard) -> Result<String, ApiError> {
    let flushed =
        on_every_shard(shard, |r: Rc<Replica>| async move { flush_scheduler::flush_tables(&r, None).await }).await?;
    flushed.into_iter().collect::<Result<Vec<()>, _>>()?;
    let node = &shard.node;
    node.request_drain();
    let deadline = std::time::Instant::now() + Duration::from_millis(DRAIN_LISTENERS_WAIT_MS);
    while node.listening_shards() > 0 {
        if std::time::Instant::now() > deadline {
            return Err(ApiError::DrainTimeout(node.listening_shards()));
        }
        glommio::timer::sleep(Duration::from_millis(DRAIN_POLL_MS)).await;
    }
    tracing::info!("percore: drained: memtables flushed, CQL listeners closed");
    Ok(String::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_are_read() {
        assert_eq!(query_param("cf=t&key=a%3Ab+c", "key"), Some("a%3Ab+c"));
        assert_eq!(percent_decode("a%3Ab+c"), "a:b c");
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(query_param("cf=t", "key"), None);
        assert_eq!(query_param("keys=1", "key"), None);
    }
}
