//! The coordinator — Cassandra's and ScyllaDB's "storage proxy": any node, any shard,
//! coordinates any request. It finds the natural replicas of a token on the effective
//! replication map, checks the consistency level against the live ones (`Unavailable`
//! before anything is sent), sends the work to every replica — this node's through the
//! replica API on the owning shard, the others over internode messaging from this shard to
//! the same shard number — and answers when the level is met, with Cassandra's timeouts
//! and failures otherwise.
//!
//! One concept per file:
//! - [`consistency`] — levels: validation, what each blocks for, the live-replica check;
//! - [`replica_plan`] — the replicas of a token, ordered for this node, and the level's needs;
//! - [`write`] — coordinated writes; [`read`] — coordinated single-partition reads with
//!   digests, reconciliation and blocking read repair; [`range_read`] — coordinated range
//!   scans, segment by segment of the ring; [`speculation`] — speculative retry;
//! - [`truncate`] — TRUNCATE on every node;
//! - [`replica_handlers`] — the MUTATION and READ verbs' replica side; [`wire`] — their
//!   payloads; [`error`] — [`CoordinatorError`] and the write types.

pub mod consistency;
pub mod error;
pub mod placement_cache;
pub mod range_read;
pub mod read;
pub mod replica_handlers;
pub mod replica_plan;
pub mod speculation;
pub mod truncate;
pub mod wire;
pub mod write;

use std::rc::Rc;
use std::time::Duration;

pub use error::{CoordinatorError, WriteType};

use crate::cluster::ring::RingCache;
use crate::cluster::view::ClusterView;
use crate::messaging::Messaging;
use crate::model::token::Token;
use crate::replica::Replica;
use crate::runtime::metrics::ShardMetrics;

use placement_cache::PlacementCache;
use replica_plan::ReplicaPlan;
use speculation::ReadLatencies;

/// One shard's coordinator.
pub struct Coordinator {
    pub id: usize,
    pub replica: Rc<Replica>,
    pub messaging: Rc<Messaging>,
    /// The ring as this node knows it, and the failure detector's verdicts.
    pub view: Rc<ClusterView>,
    /// The ring and keyspaces' replica maps, rebuilt when the ring changes.
    pub ring: RingCache,
    pub local_datacenter: String,
    /// `write_request_timeout_in_ms`.
    pub write_timeout: Duration,
    /// `read_request_timeout_in_ms`.
    pub read_timeout: Duration,
    /// Recent coordinated read latencies (percentile speculative retry delays).
    pub read_latencies: ReadLatencies,
    /// Keyspaces' replication factors and maps, per keyspace definition and ring version.
    pub placements: PlacementCache,
}

impl Coordinator {
    pub fn new(replica: Rc<Replica>, messaging: Rc<Messaging>, view: Rc<ClusterView>) -> Rc<Coordinator> {
        let config = &replica.node.config;
        Rc::new(Coordinator {
            id: replica.id,
            local_datacenter: config.data_center.clone(),
            write_timeout: Duration::from_millis(config.write_request_timeout_in_ms),
            read_timeout: Duration::from_millis(config.read_request_timeout_in_ms),
            replica,
            messaging,
            view,
            ring: RingCache::default(),
            read_latencies: ReadLatencies::default(),
            placements: PlacementCache::default(),
        })
    }

    pub fn metrics(&self) -> &ShardMetrics {
        self.replica.metrics()
    }

    /// Counts where a replicated request is coordinated: on the shard owning the token of a
    /// replica, on another shard of a replica, or on a node that is no replica.
    pub fn count_placement(&self, plan: &ReplicaPlan, token: Token) {
        let metrics = self.metrics();
        let counter = if !plan.includes_local() {
            &metrics.coordinated_on_non_replica
        } else if self.replica.owner_of(token) == self.id {
            &metrics.coordinated_on_owner_shard
        } else {
            &metrics.coordinated_on_other_shard
        };
        ShardMetrics::inc(counter);
    }
}
