//! The ring as replica lookups need it: this node's [`ClusterView`] made into token metadata,
//! and a keyspace's replication map (from the schema) made into an
//! [`EffectiveReplicationMap`] over it. Built once per ring version and kept per shard
//! ([`RingCache`], no locks): nodetool's `status`, `ring`, `describering`, `getendpoints` and
//! `DESCRIBE CLUSTER` all read the ring through it.
//!
//! Keyspaces replicate by their `replication` map, the system keyspaces included: theirs
//! names LocalStrategy, every token on this node alone.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use super::placement::{
    EffectiveReplicationMap, ReplicationOptionsError, ReplicationStrategy, TokenMetadata, TokenMetadataError,
};
use super::view::{self, ClusterView};
use crate::schema::KeyspaceDef;

/// Why the ring or a keyspace's placement on it cannot be computed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RingError {
    #[error("the ring group 0 holds is not a valid ring: {0}")]
    Ring(#[from] TokenMetadataError),
    #[error("keyspace {keyspace} has a replication map placement cannot use: {source}")]
    Replication { keyspace: String, source: ReplicationOptionsError },
}

/// The replication strategy a keyspace's `replication` map names.
pub fn keyspace_strategy(keyspace: &KeyspaceDef) -> Result<ReplicationStrategy, RingError> {
    ReplicationStrategy::from_replication_map(&keyspace.replication)
        .map_err(|source| RingError::Replication { keyspace: keyspace.name.clone(), source })
}

/// One ring version's token metadata and the replication maps asked of it so far.
struct CachedRing {
    version: u64,
    ring: Arc<TokenMetadata>,
    maps: HashMap<ReplicationStrategy, Arc<EffectiveReplicationMap>>,
}

/// The current ring and its replication maps, per shard: rebuilt when group 0's ring
/// version moves on (a member joined, moved or left), shared by keyspaces with equal
/// strategies.
#[derive(Default)]
pub struct RingCache {
    cached: RefCell<Option<CachedRing>>,
}

impl RingCache {
    /// The ring of the NORMAL members `view` holds.
    pub fn token_metadata(&self, view: &ClusterView) -> Result<Arc<TokenMetadata>, RingError> {
        self.refresh(view)?;
        let cached = self.cached.borrow();
        Ok(Arc::clone(&cached.as_ref().expect("refreshed just now").ring))
    }

    /// Every token's replicas for `keyspace` on the current ring.
    pub fn replication_map(
        &self,
        view: &ClusterView,
        keyspace: &KeyspaceDef,
    ) -> Result<Arc<EffectiveReplicationMap>, RingError> {
        self.strategy_map(view, keyspace_strategy(keyspace)?)
    }

    /// Every token's replicas under `strategy` on the current ring.
    pub fn strategy_map(
        &self,
        view: &ClusterView,
        strategy: ReplicationStrategy,
    ) -> Result<Arc<EffectiveReplicationMap>, RingError> {
        self.refresh(view)?;
        let mut cached = self.cached.borrow_mut();
        let cached = cached.as_mut().expect("refreshed just now");
        let ring = &cached.ring;
        let map = cached.maps.entry(strategy).or_insert_with_key(|strategy| {
            Arc::new(EffectiveReplicationMap::new(Arc::clone(ring), strategy.clone(), view.local_host_id()))
        });
        Ok(Arc::clone(map))
    }

    /// Rebuilds the token metadata if the view's ring version is not the cached one.
    fn refresh(&self, view: &ClusterView) -> Result<(), RingError> {
        let state = view.state();
        if self.cached.borrow().as_ref().is_some_and(|c| c.version == state.ring_version) {
            return Ok(());
        }
        let ring = Arc::new(view::token_metadata(&state)?);
        *self.cached.borrow_mut() = Some(CachedRing { version: state.ring_version, ring, maps: HashMap::new() });
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::net::IpAddr;

    use uuid::Uuid;

    use super::*;
    use crate::cluster::group0::state::{Group0State, NodeRecord, NodeStatus};

    fn record(n: u8, tokens: Vec<i64>) -> NodeRecord {
        NodeRecord {
            host_id: Uuid::from_u128(n as u128),
            address: IpAddr::from([127, 0, 0, n]),
            rpc_address: IpAddr::from([127, 0, 0, n]),
            data_center: "dc1".into(),
            rack: "rack1".into(),
            tokens,
            nr_shards: 1,
            release_version: "3.0.8".into(),
            status: NodeStatus::Normal,
        }
    }

    fn state(version: u64, records: Vec<NodeRecord>) -> Arc<Group0State> {
        Arc::new(Group0State {
            nodes: records.into_iter().map(|r| (r.host_id, r)).collect(),
            ring_version: version,
            ..Group0State::default()
        })
    }

    fn keyspace(name: &str, replication: &[(&str, &str)]) -> KeyspaceDef {
        KeyspaceDef {
            name: name.into(),
            replication: replication.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            durable_writes: true,
            tables: BTreeMap::new(),
            types: BTreeMap::new(),
            is_system: false,
            indexes: BTreeMap::new(),
        }
    }

    fn addresses(map: &EffectiveReplicationMap, token: i64) -> Vec<String> {
        map.endpoints_for_token(token).map(|e| e.address.to_string()).collect()
    }

    #[test]
    fn maps_follow_the_ring_version() {
        let view = ClusterView::new(Uuid::from_u128(1), state(1, vec![record(1, vec![0])]));
        let cache = RingCache::default();
        let rf2 = keyspace("ks", &[("class", "SimpleStrategy"), ("replication_factor", "2")]);
        let first = cache.replication_map(&view, &rf2).unwrap();
        assert_eq!(addresses(&first, 5), ["127.0.0.1"]);
        let again = cache.replication_map(&view, &rf2).unwrap();
        assert!(Arc::ptr_eq(&first, &again), "one map per ring version and strategy");

        view.install(state(2, vec![record(1, vec![0]), record(2, vec![100])]));
        let grown = cache.replication_map(&view, &rf2).unwrap();
        assert_eq!(grown.version(), 2);
        assert_eq!(addresses(&grown, 5), ["127.0.0.2", "127.0.0.1"]);
        assert_eq!(cache.token_metadata(&view).unwrap().ring().len(), 2);
    }

    #[test]
    fn system_keyspaces_are_this_node_alone() {
        let view = ClusterView::new(Uuid::from_u128(2), state(1, vec![record(1, vec![0]), record(2, vec![100])]));
        let local = keyspace("system", &[("class", "org.apache.cassandra.locator.LocalStrategy")]);
        let map = RingCache::default().replication_map(&view, &local).unwrap();
        assert_eq!(map.strategy(), &ReplicationStrategy::Local);
        for token in [-5, 5, 500] {
            assert_eq!(addresses(&map, token), ["127.0.0.2"]);
        }
    }

    #[test]
    fn unusable_replication_maps_are_errors() {
        let view = ClusterView::new(Uuid::from_u128(1), state(1, vec![record(1, vec![0])]));
        let bad = keyspace("odd", &[("class", "NoSuchStrategy")]);
        assert!(matches!(
            RingCache::default().replication_map(&view, &bad),
            Err(RingError::Replication { keyspace, .. }) if keyspace == "odd"
        ));
    }
}
