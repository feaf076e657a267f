//! The statement layer's per-shard context, shared by every task on that shard's executor
//! (`Rc`, never sent to another thread): the shard's replica (its storage and schema), its
//! prepared statements, where schema events go, its router to the other shards, and its
//! coordinator for replicated reads and writes.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::Arc;

use percore_protocol::response::SchemaChange;

use crate::cluster::view::ClusterView;
use crate::coordinator::Coordinator;
use crate::model::token::Token;
use crate::replica::Replica;
use crate::runtime::mesh::ShardRouter;
use crate::runtime::metrics::ShardMetrics;
use crate::runtime::node_state::NodeState;
use crate::schema::Schema;

use super::prepared_cache::PreparedCache;

/// Where this shard announces schema changes (the transport's REGISTERed connections).
pub trait EventSink {
    fn schema_changed(&self, change: &SchemaChange);
}

pub struct Shard {
    pub id: usize,
    pub node: Arc<NodeState>,
    pub router: Rc<ShardRouter>,
    pub replica: Rc<Replica>,
    pub prepared: RefCell<PreparedCache>,
    pub events: Rc<dyn EventSink>,
    /// The ring as this node knows it (installed after every group 0 change).
    pub cluster: Rc<ClusterView>,
    /// Replicated reads and writes (it also keeps the ring's replica maps).
    pub coordinator: Rc<Coordinator>,
    /// Serialises DDL on the schema coordinator (an async semaphore, not a thread lock).
    pub ddl_lock: glommio::sync::Semaphore,
    in_flight_requests: Cell<usize>,
}

impl Shard {
    pub fn new(coordinator: Rc<Coordinator>, events: Rc<dyn EventSink>) -> Rc<Shard> {
        let replica = coordinator.replica.clone();
        Rc::new(Shard {
            id: replica.id,
            node: replica.node.clone(),
            router: replica.router.clone(),
            replica,
            prepared: RefCell::new(PreparedCache::default()),
            events,
            cluster: coordinator.view.clone(),
            coordinator,
            ddl_lock: glommio::sync::Semaphore::new(1),
            in_flight_requests: Cell::new(0),
        })
    }

    pub fn metrics(&self) -> &ShardMetrics {
        &self.node.metrics[self.id]
    }

    pub fn nr_shards(&self) -> usize {
        self.node.nr_shards
    }

    /// The shard that owns a token.
    pub fn owner_of(&self, token: Token) -> usize {
        self.replica.owner_of(token)
    }

    /// The current schema snapshot (immutable; replaced whole on DDL).
    pub fn schema(&self) -> Arc<Schema> {
        self.replica.schema()
    }

    /// Installs a schema snapshot on this shard: storage of dropped tables goes, prepared
    /// statements are prepared again, and subscribers hear of the change.
    /// Uses `schema` from now on and tells this shard's clients of `changes`.
    pub fn install_schema(&self, schema: Arc<Schema>, changes: &[SchemaChange]) {
        self.replica.install_schema(schema);
        self.prepared.borrow_mut().clear();
        for change in changes {
            self.events.schema_changed(change);
        }
    }

    /// Admits one more request if the shard is below its bound.
    pub fn try_admit_request(&self) -> Option<InFlightGuard<'_>> {
        let n = self.in_flight_requests.get();
        if n >= crate::limits::SHARD_IN_FLIGHT_REQUESTS_MAX {
            return None;
        }
        self.in_flight_requests.set(n + 1);
        Some(InFlightGuard { shard: self })
    }
}

/// Counts a request as in flight on its shard until dropped.
pub struct InFlightGuard<'a> {
    shard: &'a Shard,
}

impl Drop for InFlightGuard<'_> {
    fn drop(&mut self) {
        let n = self.shard.in_flight_requests.get();
        debug_assert!(n > 0);
        self.shard.in_flight_requests.set(n - 1);
    }
}
