//! Per-shard metrics and the Prometheus text endpoint that exposes them.

pub mod http_endpoint;
pub mod latency_histogram;
pub mod shard_metrics;

pub use shard_metrics::ShardMetrics;
