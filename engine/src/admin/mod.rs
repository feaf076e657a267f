//! The node's administration interface over HTTP (served by shard 0 on `prometheus_port`):
//! Prometheus metrics and the operator actions `percore nodetool` calls
//! ([`http_endpoint`]; the cluster's health on `/metrics`: [`cluster_metrics`]; test-only
//! messaging fault injection: [`fault_injection_api`]). It sits
//! at the top with the node's start-up: it reaches every layer's per-shard service through
//! typed cross-shard calls.

pub mod cluster_metrics;
pub mod fault_injection_api;
pub mod http_endpoint;
pub mod http_request;
pub mod nodetool_api;
pub mod ring_api;
pub mod ring_views;
pub mod views;
