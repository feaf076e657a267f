//! Connecting: a shard-aware `scylla` session with `--connections` per shard, no
//! retries (every failure is counted, not hidden) and the client-side timeout.

use std::num::NonZeroUsize;
use std::sync::Arc;

use anyhow::{Context, Result};
use scylla::client::execution_profile::ExecutionProfile;
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;
use scylla::client::PoolSize;
use scylla::policies::retry::FallthroughRetryPolicy;

use crate::args::RunArgs;
use crate::workload::parse_consistency;

pub async fn connect(a: &RunArgs) -> Result<Session> {
    let profile = ExecutionProfile::builder()
        .consistency(parse_consistency(&a.consistency)?)
        // `--timeout 0s` drops the driver's per-request timer (server timeouts still count).
        .request_timeout((!a.timeout.is_zero()).then_some(a.timeout))
        .retry_policy(Arc::new(FallthroughRetryPolicy))
        .build();
    let per_shard = NonZeroUsize::new(a.connections.max(1)).expect("non-zero");
    SessionBuilder::new()
        .known_nodes(&a.nodes)
        .pool_size(PoolSize::PerShard(per_shard))
        .default_execution_profile_handle(profile.into_handle())
        .build()
        .await
        .with_context(|| format!("connecting to {}", a.nodes.join(",")))
}
