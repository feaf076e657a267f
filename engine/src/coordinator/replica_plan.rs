//! The replicas a request goes to: the natural replicas of its token from the keyspace's
//! effective replication map, this node first, then the rest of its datacenter, then the
//! other datacenters (the order reads pick data and digest replicas in), each marked alive
//! or not by the failure detector; and what the consistency level blocks for. The
//! `Unavailable` check is made here, before anything is sent.

use std::net::IpAddr;

use uuid::Uuid;

use std::sync::Arc;

use crate::cluster::placement::NodeEndpoint;
use crate::model::token::Token;
use crate::schema::KeyspaceDef;

use super::consistency::{BlockFor, ReplicaState, ReplicationFactors};
use super::error::CoordinatorError;
use super::Coordinator;

/// One natural replica of a token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host_id: Uuid,
    pub address: IpAddr,
    pub datacenter: String,
    /// This node.
    pub is_local: bool,
    pub alive: bool,
}

/// Where a request on one token goes.
#[derive(Debug, Clone)]
pub enum Placement {
    /// Keyspaces kept on this node alone (the system keyspaces): read and written here
    /// whatever the level.
    NodeLocal,
    Replicated(ReplicaPlan),
}

/// The natural replicas of a token and what the level waits for.
#[derive(Debug, Clone)]
pub struct ReplicaPlan {
    pub level: u16,
    /// This node first (if a replica), then its datacenter, then the others.
    pub targets: Vec<Target>,
    pub block_for: BlockFor,
}

impl ReplicaPlan {
    /// The only replica is this node: nothing travels.
    pub fn is_local_only(&self) -> bool {
        self.targets.len() == 1 && self.targets[0].is_local
    }

    /// Whether this node is one of the replicas.
    pub fn includes_local(&self) -> bool {
        self.targets.first().is_some_and(|t| t.is_local)
    }

    pub fn alive(&self) -> impl Iterator<Item = &Target> + Clone {
        self.targets.iter().filter(|t| t.alive)
    }
}

impl Coordinator {
    /// The replicas of `token` in `keyspace` at `level`, or `Unavailable` if too few are
    /// alive for it.
    pub fn plan(&self, keyspace: &Arc<KeyspaceDef>, token: Token, level: u16) -> Result<Placement, CoordinatorError> {
        let placement = self.keyspace_placement(keyspace)?;
        let (Some(factors), Some(map)) = (&placement.factors, &placement.map) else { return Ok(Placement::NodeLocal) };
        let block_for = BlockFor::of(level, factors, &self.local_datacenter);
        self.plan_for(map.endpoints_for_token(token), block_for, level).map(Placement::Replicated)
    }

    /// The plan over `endpoints` (a token's or a range's replicas): this node first, then
    /// its datacenter, each marked alive; `Unavailable` if too few are for the level.
    pub fn plan_for<'a>(
        &self,
        endpoints: impl Iterator<Item = &'a NodeEndpoint>,
        block_for: BlockFor,
        level: u16,
    ) -> Result<ReplicaPlan, CoordinatorError> {
        let local_host = self.view.local_host_id();
        let mut targets: Vec<Target> = endpoints
            .map(|e| Target {
                host_id: e.host_id,
                address: e.address,
                datacenter: e.datacenter.clone(),
                is_local: e.host_id == local_host,
                alive: self.view.is_up(e.host_id),
            })
            .collect();
        // Stable: within each group the ring's order stays.
        targets.sort_by_key(|t| (!t.is_local, t.datacenter != self.local_datacenter));
        let states: Vec<ReplicaState<'_>> =
            targets.iter().map(|t| ReplicaState { datacenter: &t.datacenter, alive: t.alive }).collect();
        block_for.assure_sufficient_live(level, &states)?;
        Ok(ReplicaPlan { level, targets, block_for })
    }
}

impl Coordinator {
    /// `Unavailable` unless every token range of `keyspace` has enough live replicas for
    /// `level` (what a scan of the whole ring needs before it starts).
    pub fn assure_available_everywhere(&self, keyspace: &KeyspaceDef, level: u16) -> Result<(), CoordinatorError> {
        let Some(factors) = ReplicationFactors::of(keyspace) else { return Ok(()) };
        let map =
            self.ring.replication_map(&self.view, keyspace).map_err(|e| CoordinatorError::Placement(e.to_string()))?;
        let block_for = BlockFor::of(level, &factors, &self.local_datacenter);
        let ring = map.token_metadata();
        let mut seen: Vec<&[crate::cluster::placement::NodeIndex]> = Vec::new();
        for (_, replicas) in map.range_replicas() {
            if seen.contains(&replicas) {
                continue;
            }
            seen.push(replicas);
            let states: Vec<ReplicaState<'_>> = replicas
                .iter()
                .map(|&i| {
                    let e = ring.endpoint(i);
                    ReplicaState { datacenter: &e.datacenter, alive: self.view.is_up(e.host_id) }
                })
                .collect();
            block_for.assure_sufficient_live(level, &states)?;
        }
        if map.range_replicas().next().is_none() {
            // No ring yet (or no replica anywhere): nothing is alive.
            block_for.assure_sufficient_live(level, &[])?;
        }
        Ok(())
    }
}

impl Coordinator {
    /// Whether a scan of `keyspace` at `level` may read this node's shards alone: this node
    /// is a replica of every range and its answer alone meets the level.
    pub fn scan_is_local(&self, keyspace: &KeyspaceDef, level: u16) -> Result<bool, CoordinatorError> {
        let Some(factors) = ReplicationFactors::of(keyspace) else { return Ok(true) };
        let block_for = BlockFor::of(level, &factors, &self.local_datacenter);
        if !block_for.is_met(std::iter::once(self.local_datacenter.as_str())) {
            return Ok(false);
        }
        let map =
            self.ring.replication_map(&self.view, keyspace).map_err(|e| CoordinatorError::Placement(e.to_string()))?;
        let ring = map.token_metadata();
        let local = self.view.local_host_id();
        let everywhere =
            map.range_replicas().all(|(_, replicas)| replicas.iter().any(|&i| ring.endpoint(i).host_id == local));
        Ok(everywhere)
    }
}
