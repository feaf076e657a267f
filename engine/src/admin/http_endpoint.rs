//! The node's HTTP endpoint on `prometheus_port`, served by shard 0: Prometheus text at
//! `GET /metrics` (per-shard counters labelled `shard`, `process_cpu_seconds_total`, and
//! the cluster's health: [`super::cluster_metrics`]),
//! and the operator actions `percore nodetool` calls, on Scylla's REST paths:
//! `POST /storage_service/keyspace_flush/<keyspace>[?cf=t1,t2]`, `POST /storage_service/flush`,
//! `POST /storage_service/keyspace_compaction/<keyspace>[?cf=t1,t2]` and `POST /storage_service/compact`;
//! the other nodetool paths are [`super::nodetool_api`]'s; messaging fault injection (tests
//! only) is [`super::fault_injection_api`]'s. Connections are kept alive between requests
//! (HTTP/1.1), so a client asking many questions reuses one. A request body (read only by
//! the paths that take one) may have at most [`ADMIN_REQUEST_BODY_BYTES_MAX`] bytes: a
//! larger one is answered 413 and its connection closed.

use std::fmt::Write;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::Duration;

use futures::{AsyncReadExt, AsyncWriteExt};
use glommio::net::TcpStream;

use super::cluster_metrics;
use crate::cql::shard::Shard;
use crate::limits::{ADMIN_REQUEST_BODY_BYTES_MAX, METRICS_REQUEST_BYTES_MAX};
use crate::replica::{compaction_scheduler, flush_scheduler, Replica, ReplicaError};
use crate::runtime::metrics::ShardMetrics;
use crate::runtime::node_state::NodeState;

use super::http_request;

/// How long a kept-alive connection may stay idle before it is closed.
const KEEP_ALIVE_IDLE_S: u64 = 60;

pub fn start(shard: Rc<Shard>) -> std::io::Result<()> {
    let node = shard.node.clone();
    let config = &node.config;
    let addr = SocketAddr::new(config.prometheus_address.unwrap_or(config.rpc_address()), config.prometheus_port);
    let listener = crate::runtime::listen_socket::listen(addr, false)?;
    glommio::spawn_local(async move {
        loop {
            match listener.accept().await {
                Ok(stream) => {
                    glommio::spawn_local(serve(shard.clone(), stream)).detach();
                }
                Err(e) => tracing::warn!("metrics endpoint: accept failed: {e}"),
            }
        }
    })
    .detach();
    Ok(())
}

/// Answers requests on one connection until the client closes it, asks to close it, or
/// leaves it idle for [`KEEP_ALIVE_IDLE_S`].
async fn serve(shard: Rc<Shard>, mut stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(KEEP_ALIVE_IDLE_S)));
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        let head_len = loop {
            if let Some(len) = http_request::head_len(&buffer) {
                break len;
            }
            if buffer.len() > METRICS_REQUEST_BYTES_MAX {
                return;
            }
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        };
        let head = http_request::parse_head(&buffer[..head_len]);
        if head.content_length > ADMIN_REQUEST_BODY_BYTES_MAX {
            let body = format!("a request body may have at most {ADMIN_REQUEST_BODY_BYTES_MAX} bytes\n");
            let response = format!(
                "HTTP/1.1 413 Payload Too Large\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.close().await;
            return;
        }
        let request_len = head_len + head.content_length;
        while buffer.len() < request_len {
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            }
        }
        let (status, body) = route(&shard, &head.method, &head.target, &buffer[head_len..request_len]).await;
        buffer.drain(..request_len);
        let connection = if head.keep_alive { "keep-alive" } else { "close" };
        let response = format!(
            "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: {connection}\r\n\r\n{body}",
            body.len()
        );
        if stream.write_all(response.as_bytes()).await.is_err() || !head.keep_alive {
            let _ = stream.close().await;
            return;
        }
    }
}

async fn route(shard: &Rc<Shard>, method: &str, target: &str, body: &[u8]) -> (&'static str, String) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    match (method, path) {
        ("GET", "/metrics") => ("200 OK", metrics(shard).await),
        ("POST", "/storage_service/flush") => table_operation(shard, TableOperation::Flush, None, &[]).await,
        ("POST", "/storage_service/compact") => table_operation(shard, TableOperation::Compact, None, &[]).await,
        ("POST", p) if p.starts_with("/storage_service/keyspace_flush/") => {
            let keyspace = &p["/storage_service/keyspace_flush/".len()..];
            table_operation(shard, TableOperation::Flush, Some(keyspace), &tables_of(query)).await
        }
        ("POST", p) if p.starts_with("/storage_service/keyspace_compaction/") => {
            let keyspace = &p["/storage_service/keyspace_compaction/".len()..];
            table_operation(shard, TableOperation::Compact, Some(keyspace), &tables_of(query)).await
        }
        _ => {
            if let Some(response) = super::fault_injection_api::route(shard, method, path, body).await {
                return response;
            }
            match super::nodetool_api::route(shard, method, path, query).await {
                Some(response) => response,
                None => ("404 Not Found", "not found\n".to_string()),
            }
        }
    }
}

/// The `cf=t1,t2` tables of a query string.
fn tables_of(query: &str) -> Vec<&str> {
    query
        .split('&')
        .filter_map(|kv| kv.strip_prefix("cf="))
        .flat_map(|v| v.split(','))
        .filter(|t| !t.is_empty())
        .collect()
}

/// What nodetool asks of tables.
#[derive(Debug, Clone, Copy)]
enum TableOperation {
    Flush,
    Compact,
}

/// Flushes or compacts the named tables (all of the keyspace, or every user table) on
/// every shard.
async fn table_operation(
    shard: &Rc<Shard>,
    operation: TableOperation,
    keyspace: Option<&str>,
    tables: &[&str],
) -> (&'static str, String) {
    let schema = shard.schema();
    let ids: Option<Vec<uuid::Uuid>> = match keyspace {
        None => None,
        Some(ks) => {
            let Some(def) = schema.keyspace(ks).filter(|k| !k.is_system) else {
                return ("400 Bad Request", format!("unknown keyspace {ks}\n"));
            };
            let mut ids = Vec::new();
            for t in tables {
                match def.tables.get(*t) {
                    Some(t) => ids.push(t.id),
                    None => return ("400 Bad Request", format!("unknown table {ks}.{t}\n")),
                }
            }
            if tables.is_empty() {
                ids.extend(def.tables.values().map(|t| t.id));
            }
            Some(ids)
        }
    };
    let on_every_shard = shard
        .router
        .call_all(shard.nr_shards(), move |replica: Rc<Replica>| async move {
            match operation {
                TableOperation::Flush => flush_scheduler::flush_tables(&replica, ids.as_deref()).await,
                TableOperation::Compact => compaction_scheduler::compact_tables(&replica, ids.as_deref()).await,
            }
        })
        .await;
    let failure = match on_every_shard {
        Ok(results) => results.into_iter().find_map(Result::err),
        Err(e) => Some(ReplicaError::from(e)),
    };
    match failure {
        None => ("200 OK", String::new()),
        Some(e) => ("500 Internal Server Error", format!("{e}\n")),
    }
}

type Counter = fn(&ShardMetrics) -> &std::sync::atomic::AtomicU64;

const SHARD_COUNTERS: &[(&str, &str, &str, Counter)] = &[
    (
        "percore_cql_requests_total",
        "counter",
        "QUERY/EXECUTE/BATCH requests received by this shard's connections",
        |m| &m.cql_requests,
    ),
    (
        "percore_cql_requests_local_total",
        "counter",
        "Single-partition operations executed on the shard that received them",
        |m| &m.cql_requests_local,
    ),
    (
        "percore_cql_requests_forwarded_total",
        "counter",
        "Single-partition operations forwarded to their owner shard",
        |m| &m.cql_requests_forwarded,
    ),
    (
        "percore_coordinated_on_owner_shard_total",
        "counter",
        "Replicated single-partition requests coordinated on the shard owning the token on a replica",
        |m| &m.coordinated_on_owner_shard,
    ),
    (
        "percore_coordinated_on_other_shard_total",
        "counter",
        "Replicated single-partition requests coordinated on another shard of a replica",
        |m| &m.coordinated_on_other_shard,
    ),
    (
        "percore_coordinated_on_non_replica_total",
        "counter",
        "Replicated single-partition requests coordinated on a node that is no replica",
        |m| &m.coordinated_on_non_replica,
    ),
    (
        "percore_replica_cross_shard_hops_total",
        "counter",
        "MUTATION and READ requests from other nodes that hopped to their owning shard",
        |m| &m.replica_cross_shard_hops,
    ),
    (
        "percore_coordinator_write_errors_total",
        "counter",
        "Coordinated writes that ended in WriteTimeout or WriteFailure",
        |m| &m.coordinator_write_errors,
    ),
    ("percore_read_digest_mismatches_total", "counter", "Coordinated reads whose replicas' digests disagreed", |m| {
        &m.read_digest_mismatches
    }),
    ("percore_read_repairs_total", "counter", "Coordinated reads that repaired a stale replica", |m| &m.read_repairs),
    (
        "percore_read_speculative_retries_total",
        "counter",
        "Coordinated reads that asked one more replica after the speculative retry delay",
        |m| &m.read_speculative_retries,
    ),
    ("percore_cql_requests_overloaded_total", "counter", "Requests answered Overloaded", |m| {
        &m.cql_requests_overloaded
    }),
    ("percore_cql_errors_total", "counter", "Errors returned to clients", |m| &m.cql_errors),
    ("percore_cql_connections", "gauge", "Open client connections", |m| &m.cql_connections),
    ("percore_storage_mutations_applied_total", "counter", "Mutations applied by the owner shard", |m| {
        &m.mutations_applied
    }),
    ("percore_memtable_bytes", "gauge", "Bytes held in memtables", |m| &m.memtable_bytes),
    ("percore_commitlog_segments", "gauge", "Commitlog segments on disk", |m| &m.commitlog_segments),
    ("percore_sstables", "gauge", "SSTables read by this shard", |m| &m.sstables),
    ("percore_memtable_flushes_total", "counter", "Memtables flushed to SSTables", |m| &m.memtable_flushes),
    ("percore_compactions_total", "counter", "Compactions completed", |m| &m.compactions),
    ("percore_compaction_failures_total", "counter", "Compactions that failed", |m| &m.compaction_failures),
    ("percore_compaction_read_bytes_total", "counter", "SSTable bytes compactions read", |m| &m.compaction_bytes_read),
    ("percore_compaction_written_bytes_total", "counter", "SSTable bytes compactions wrote", |m| {
        &m.compaction_bytes_written
    }),
    (
        "percore_compaction_bandwidth_limit_bytes_per_second",
        "gauge",
        "Disk bandwidth this shard's compactions may use, bytes/s (0: unlimited)",
        |m| &m.compaction_bandwidth_limit,
    ),
    ("percore_partition_reads_total", "counter", "Single-partition reads on the owner", |m| &m.partition_reads),
    (
        "percore_partition_read_sstables_total",
        "counter",
        "SSTables single-partition reads touched (after token range and bloom filter)",
        |m| &m.partition_read_sstables,
    ),
    ("percore_mesh_requests_received_total", "counter", "Requests received from other shards", |m| {
        &m.mesh_requests_received
    }),
];

/// Counters kept in nanoseconds, exported in seconds.
const SHARD_SECONDS_COUNTERS: &[(&str, &str, Counter)] = &[
    ("percore_reactor_busy_seconds_total", "Time the shard's executor spent running tasks", |m| &m.reactor_busy_ns),
    ("percore_compaction_throttled_seconds_total", "Time compactions waited for the compaction bandwidth limit", |m| {
        &m.compaction_throttled_ns
    }),
];

/// The whole `/metrics` page: this node's per-shard counters, then the cluster's health.
async fn metrics(shard: &Rc<Shard>) -> String {
    let mut out = render(&shard.node);
    let health = cluster_metrics::gather(shard).await;
    cluster_metrics::render(&mut out, &health);
    out
}

pub fn render(node: &NodeState) -> String {
    let mut out = String::new();
    for (name, kind, help, counter) in SHARD_COUNTERS {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (shard, metrics) in node.metrics.iter().enumerate() {
            let _ = writeln!(out, "{name}{{shard=\"{shard}\"}} {}", ShardMetrics::get(counter(metrics)));
        }
    }
    for (name, help, nanoseconds) in SHARD_SECONDS_COUNTERS {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter");
        for (shard, metrics) in node.metrics.iter().enumerate() {
            let _ =
                writeln!(out, "{name}{{shard=\"{shard}\"}} {}", ShardMetrics::get(nanoseconds(metrics)) as f64 / 1e9);
        }
    }
    let _ = writeln!(
        out,
        "# HELP percore_reactor_utilization Share of the last {} ms the shard's executor was busy\n# TYPE percore_reactor_utilization gauge",
        crate::limits::SHUTDOWN_POLL_INTERVAL_MS
    );
    for (shard, m) in node.metrics.iter().enumerate() {
        let _ = writeln!(
            out,
            "percore_reactor_utilization{{shard=\"{shard}\"}} {}",
            ShardMetrics::get(&m.reactor_utilization_ppm) as f64 / 1e6
        );
    }
    let name = "percore_cql_request_latency_seconds";
    let _ = writeln!(out, "# HELP {name} Latency of QUERY/EXECUTE/BATCH requests\n# TYPE {name} histogram");
    for (shard, m) in node.metrics.iter().enumerate() {
        let (buckets, sum, count) = m.request_latency.snapshot();
        for (bound_us, cumulative) in buckets {
            let le = bound_us.map_or("+Inf".to_string(), |us| format!("{}", us as f64 / 1e6));
            let _ = writeln!(out, "{name}_bucket{{shard=\"{shard}\",le=\"{le}\"}} {cumulative}");
        }
        let _ = writeln!(out, "{name}_sum{{shard=\"{shard}\"}} {sum}");
        let _ = writeln!(out, "{name}_count{{shard=\"{shard}\"}} {count}");
    }
    let _ = writeln!(out, "# HELP process_cpu_seconds_total User and system CPU time of the process\n# TYPE process_cpu_seconds_total counter");
    let _ = writeln!(out, "process_cpu_seconds_total {}", process_cpu_seconds());
    out
}

#[allow(unsafe_code)] // libc/fd calls; each `unsafe` block states its SAFETY
fn process_cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the struct for this process.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return 0.0;
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}
