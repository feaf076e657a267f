//! Each keyspace's placement as every request needs it — its replication factors and its
//! effective replication map — computed once per keyspace definition and ring version, not
//! on every request (parsing the replication options and hashing the strategy cost more
//! than the lookup itself). A cached entry holds the definition it was computed from, so
//! identity (`Arc::ptr_eq`) proves it current: a DDL replaces the definition.

use std::cell::RefCell;
use std::rc::Rc;
use std::sync::Arc;

use ahash::AHashMap;

use crate::cluster::placement::EffectiveReplicationMap;
use crate::schema::KeyspaceDef;

use super::consistency::ReplicationFactors;
use super::error::CoordinatorError;
use super::Coordinator;

/// Keyspaces whose placement is cached at most (a bound; beyond it the cache starts over).
pub const PLACEMENT_CACHE_KEYSPACES_MAX: usize = 1024;

/// What placement needs of a keyspace; `None` factors: kept on this node alone.
pub struct KeyspacePlacement {
    pub factors: Option<ReplicationFactors>,
    pub map: Option<Arc<EffectiveReplicationMap>>,
}

struct Cached {
    keyspace: Arc<KeyspaceDef>,
    ring_version: u64,
    placement: Rc<KeyspacePlacement>,
}

/// Placements by keyspace name.
#[derive(Default)]
pub struct PlacementCache {
    entries: RefCell<AHashMap<String, Cached>>,
}

impl Coordinator {
    /// The placement of `keyspace` on the current ring.
    pub fn keyspace_placement(&self, keyspace: &Arc<KeyspaceDef>) -> Result<Rc<KeyspacePlacement>, CoordinatorError> {
        let ring_version = self.view.ring_version();
        if let Some(c) = self.placements.entries.borrow().get(&keyspace.name) {
            if c.ring_version == ring_version && Arc::ptr_eq(&c.keyspace, keyspace) {
                return Ok(c.placement.clone());
            }
        }
        let factors = ReplicationFactors::of(keyspace);
        let map = match factors {
            Some(_) => Some(
                self.ring
                    .replication_map(&self.view, keyspace)
                    .map_err(|e| CoordinatorError::Placement(e.to_string()))?,
            ),
            None => None,
        };
        let placement = Rc::new(KeyspacePlacement { factors, map });
        let mut entries = self.placements.entries.borrow_mut();
        if entries.len() >= PLACEMENT_CACHE_KEYSPACES_MAX {
            entries.clear();
        }
        entries.insert(
            keyspace.name.clone(),
            Cached { keyspace: keyspace.clone(), ring_version, placement: placement.clone() },
        );
        Ok(placement)
    }
}
