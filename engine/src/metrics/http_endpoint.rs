//! The Prometheus text endpoint (`/metrics` on `prometheus_port`), served by shard 0:
//! per-shard counters labelled `shard`, and `process_cpu_seconds_total`.

use std::fmt::Write;
use std::net::SocketAddr;
use std::sync::Arc;

use futures::{AsyncReadExt, AsyncWriteExt};
use glommio::net::{TcpListener, TcpStream};

use crate::limits::METRICS_REQUEST_BYTES_MAX;
use crate::runtime::node_state::NodeState;

use super::ShardMetrics;

pub fn start(node: Arc<NodeState>) -> std::io::Result<()> {
    let config = &node.config;
    let addr = SocketAddr::new(config.prometheus_address.unwrap_or(config.rpc_address()), config.prometheus_port);
    let listener = TcpListener::bind(addr)?;
    glommio::spawn_local(async move {
        loop {
            match listener.accept().await {
                Ok(stream) => {
                    glommio::spawn_local(serve(node.clone(), stream)).detach();
                }
                Err(e) => tracing::warn!("metrics endpoint: accept failed: {e}"),
            }
        }
    })
    .detach();
    Ok(())
}

async fn serve(node: Arc<NodeState>, mut stream: TcpStream) {
    let mut request = Vec::new();
    let mut chunk = [0u8; 1024];
    while !request.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return,
            Ok(n) => request.extend_from_slice(&chunk[..n]),
        }
        if request.len() > METRICS_REQUEST_BYTES_MAX {
            return;
        }
    }
    let path = std::str::from_utf8(&request).ok().and_then(|r| r.split_whitespace().nth(1)).unwrap_or("/");
    let (status, body) =
        if path == "/metrics" { ("200 OK", render(&node)) } else { ("404 Not Found", "not found\n".to_string()) };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.close().await;
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
    ("percore_cql_requests_overloaded_total", "counter", "Requests answered Overloaded", |m| {
        &m.cql_requests_overloaded
    }),
    ("percore_cql_errors_total", "counter", "Errors returned to clients", |m| &m.cql_errors),
    ("percore_cql_connections", "gauge", "Open client connections", |m| &m.cql_connections),
    ("percore_storage_mutations_applied_total", "counter", "Mutations applied by the owner shard", |m| {
        &m.mutations_applied
    }),
    ("percore_memtable_bytes", "gauge", "Bytes held in memtables", |m| &m.memtable_bytes),
    ("percore_mesh_requests_received_total", "counter", "Requests received from other shards", |m| {
        &m.mesh_requests_received
    }),
];

pub fn render(node: &NodeState) -> String {
    let mut out = String::new();
    for (name, kind, help, counter) in SHARD_COUNTERS {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (shard, metrics) in node.metrics.iter().enumerate() {
            let _ = writeln!(out, "{name}{{shard=\"{shard}\"}} {}", ShardMetrics::get(counter(metrics)));
        }
    }
    let _ = writeln!(out, "# HELP process_cpu_seconds_total User and system CPU time of the process\n# TYPE process_cpu_seconds_total counter");
    let _ = writeln!(out, "process_cpu_seconds_total {}", process_cpu_seconds());
    out
}

fn process_cpu_seconds() -> f64 {
    // SAFETY: getrusage fills the struct for this process.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return 0.0;
    }
    let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    secs(usage.ru_utime) + secs(usage.ru_stime)
}
