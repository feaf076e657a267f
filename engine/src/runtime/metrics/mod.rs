//! Per-shard metrics: counters and gauges each shard publishes with relaxed atomics, and
//! the latency histogram (a runtime facility every layer uses, as Seastar's metrics). Rendered as Prometheus text by the admin endpoint (`crate::admin`).

pub mod latency_histogram;
pub mod shard_metrics;

pub use shard_metrics::ShardMetrics;
