//! A keyspace's replication strategy, as placement uses it: the four classes Percore's schema
//! accepts, with their replication factors parsed.

use std::collections::BTreeMap;

/// Where Cassandra's replication strategies live: a short class name is one of these.
pub const STRATEGY_PACKAGE: &str = "org.apache.cassandra.locator.";

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ReplicationStrategy {
    /// `replication_factor` distinct nodes, walking the ring from the key's position.
    Simple { replication_factor: usize },
    /// Per data center its replication factor, spread over distinct racks first. Data
    /// centers may be named with factor 0, or name no node of the ring: they get no replica.
    NetworkTopology { datacenters: BTreeMap<String, usize> },
    /// Only the node itself (the `system` keyspaces).
    Local,
    /// Every node (ScyllaDB's EverywhereStrategy).
    Everywhere,
}

impl ReplicationStrategy {
    /// The class name without its package, as CQL users write it.
    pub fn short_class_name(&self) -> &'static str {
        match self {
            ReplicationStrategy::Simple { .. } => "SimpleStrategy",
            ReplicationStrategy::NetworkTopology { .. } => "NetworkTopologyStrategy",
            ReplicationStrategy::Local => "LocalStrategy",
            ReplicationStrategy::Everywhere => "EverywhereStrategy",
        }
    }

    /// The full class name, as `system_schema.keyspaces` shows it.
    pub fn class_name(&self) -> String {
        format!("{STRATEGY_PACKAGE}{}", self.short_class_name())
    }

    /// Whether replicas depend on the token (the ring strategies), not only on the nodes.
    pub fn is_ring_based(&self) -> bool {
        matches!(self, ReplicationStrategy::Simple { .. } | ReplicationStrategy::NetworkTopology { .. })
    }
}
