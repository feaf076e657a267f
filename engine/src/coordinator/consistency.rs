//! Consistency levels as Cassandra's coordinator applies them: which levels a request may
//! use (`validate`), how many replica answers a level blocks for (from the keyspace's
//! replication factors, not from the nodes that happen to exist), and whether enough of a
//! token's replicas are alive to try at all (`assure_sufficient_live`, the `Unavailable`
//! check made before anything is sent). Which answers count is [`BlockFor::counts`]:
//! `LOCAL_*` levels count only this datacenter, `EACH_QUORUM` a quorum in every one.

use std::collections::BTreeMap;

use percore_protocol::wire::consistency::{self as cl, name};

use crate::schema::KeyspaceDef;

use super::error::CoordinatorError;

/// What the request does with the keyspace's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    /// The commit of a lightweight transaction.
    ConditionalWrite,
}

/// Refuses levels that make no sense for `access` (before anything else is looked at).
pub fn validate(level: u16, access: Access) -> Result<(), CoordinatorError> {
    match (level, access) {
        (cl::ANY, Access::Read) => {
            Err(CoordinatorError::Invalid("ANY ConsistencyLevel is only supported for writes".into()))
        }
        (cl::SERIAL | cl::LOCAL_SERIAL, Access::Write) => {
            Err(CoordinatorError::Invalid("You must use conditional updates for serializable writes".into()))
        }
        (cl::SERIAL | cl::LOCAL_SERIAL, Access::ConditionalWrite) => Err(CoordinatorError::Invalid(format!(
            "{} is not supported as conditional update commit consistency. Use ANY if you mean \"make sure it is \
             accepted but I don't care how many replicas commit it for non-SERIAL reads\"",
            name(level)
        ))),
        (cl::ANY | cl::ONE | cl::TWO | cl::THREE | cl::QUORUM | cl::ALL | cl::LOCAL_QUORUM | cl::EACH_QUORUM, _)
        | (cl::SERIAL | cl::LOCAL_SERIAL | cl::LOCAL_ONE, _) => Ok(()),
        (other, _) => Err(CoordinatorError::Protocol(format!("Unknown consistency level code {other:#06x}"))),
    }
}

/// A keyspace's replication factors as consistency levels see them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationFactors {
    /// Over every datacenter.
    pub total: u32,
    /// Per datacenter (NetworkTopologyStrategy); empty for SimpleStrategy, whose replicas
    /// count as local wherever they are.
    pub per_datacenter: BTreeMap<String, u32>,
}

impl ReplicationFactors {
    /// `None` for strategies that keep data on this node alone (`LocalStrategy`,
    /// `EverywhereStrategy`: the system keyspaces), which every level reads and writes locally.
    pub fn of(keyspace: &KeyspaceDef) -> Option<ReplicationFactors> {
        if keyspace.is_system {
            return None;
        }
        let class = keyspace.replication.get("class").map(String::as_str).unwrap_or_default();
        let factor = |v: &str| v.parse::<u32>().unwrap_or(0);
        if class.ends_with("SimpleStrategy") {
            let rf = keyspace.replication.get("replication_factor").map_or(0, |v| factor(v));
            Some(ReplicationFactors { total: rf, per_datacenter: BTreeMap::new() })
        } else if class.ends_with("NetworkTopologyStrategy") {
            let per_datacenter: BTreeMap<String, u32> = keyspace
                .replication
                .iter()
                .filter(|(k, _)| *k != "class" && *k != "replication_factor")
                .map(|(k, v)| (k.clone(), factor(v)))
                .collect();
            Some(ReplicationFactors { total: per_datacenter.values().sum(), per_datacenter })
        } else {
            None
        }
    }

    /// The factor of datacenter `dc` (SimpleStrategy: the whole factor, as Cassandra's
    /// `localReplicationFactor` for non-topology strategies).
    pub fn local(&self, dc: &str) -> u32 {
        if self.per_datacenter.is_empty() {
            self.total
        } else {
            self.per_datacenter.get(dc).copied().unwrap_or(0)
        }
    }
}

fn quorum(n: u32) -> u32 {
    n / 2 + 1
}

/// One replica as the level sees it: its datacenter and whether it is alive.
#[derive(Debug, Clone, Copy)]
pub struct ReplicaState<'a> {
    pub datacenter: &'a str,
    pub alive: bool,
}

/// The answers a level waits for, and which replicas' answers count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockFor {
    /// Any `n` replicas.
    Any(u32),
    /// `n` replicas of this datacenter.
    Local { datacenter: String, n: u32 },
    /// A quorum in every datacenter (datacenter, n).
    EachQuorum(Vec<(String, u32)>),
}

impl BlockFor {
    /// What `level` blocks for under `rf`, coordinated from datacenter `local_dc`.
    pub fn of(level: u16, rf: &ReplicationFactors, local_dc: &str) -> BlockFor {
        let local = |n| BlockFor::Local { datacenter: local_dc.to_string(), n };
        match level {
            cl::ANY | cl::ONE => BlockFor::Any(1),
            cl::TWO => BlockFor::Any(2),
            cl::THREE => BlockFor::Any(3),
            cl::QUORUM | cl::SERIAL => BlockFor::Any(quorum(rf.total)),
            cl::ALL => BlockFor::Any(rf.total),
            cl::LOCAL_ONE if rf.per_datacenter.is_empty() => BlockFor::Any(1),
            cl::LOCAL_ONE => local(1),
            cl::LOCAL_QUORUM | cl::LOCAL_SERIAL if rf.per_datacenter.is_empty() => BlockFor::Any(quorum(rf.total)),
            cl::LOCAL_QUORUM | cl::LOCAL_SERIAL => local(quorum(rf.local(local_dc))),
            cl::EACH_QUORUM if rf.per_datacenter.is_empty() => BlockFor::Any(quorum(rf.total)),
            cl::EACH_QUORUM => BlockFor::EachQuorum(
                rf.per_datacenter.iter().filter(|(_, n)| **n > 0).map(|(dc, n)| (dc.clone(), quorum(*n))).collect(),
            ),
            _ => BlockFor::Any(quorum(rf.total)),
        }
    }

    /// The total number of answers waited for (the `blockfor` of timeouts).
    pub fn total(&self) -> u32 {
        match self {
            BlockFor::Any(n) | BlockFor::Local { n, .. } => *n,
            BlockFor::EachQuorum(dcs) => dcs.iter().map(|(_, n)| n).sum(),
        }
    }

    /// Whether an answer from a replica in `datacenter` counts toward the level.
    pub fn counts(&self, datacenter: &str) -> bool {
        match self {
            BlockFor::Any(_) => true,
            BlockFor::Local { datacenter: dc, .. } => dc == datacenter,
            BlockFor::EachQuorum(dcs) => dcs.iter().any(|(dc, _)| dc == datacenter),
        }
    }

    /// Whether the answers so far (the datacenter of each) satisfy the level.
    pub fn is_met<'a>(&self, answered: impl Iterator<Item = &'a str> + Clone) -> bool {
        match self {
            BlockFor::Any(n) => answered.count() as u32 >= *n,
            BlockFor::Local { datacenter, n } => answered.filter(|dc| dc == datacenter).count() as u32 >= *n,
            BlockFor::EachQuorum(dcs) => {
                dcs.iter().all(|(dc, n)| answered.clone().filter(|a| a == dc).count() as u32 >= *n)
            }
        }
    }

    /// `Unavailable` (with required and alive as Cassandra reports them) when too few of
    /// `replicas` are alive for the level; ANY needs none (a hint is enough).
    pub fn assure_sufficient_live(&self, level: u16, replicas: &[ReplicaState<'_>]) -> Result<(), CoordinatorError> {
        if level == cl::ANY {
            return Ok(());
        }
        let alive_in = |dc: Option<&str>| {
            replicas.iter().filter(|r| r.alive && dc.is_none_or(|dc| r.datacenter == dc)).count() as u32
        };
        match self {
            BlockFor::Any(n) => check(level, *n, alive_in(None)),
            BlockFor::Local { datacenter, n } => check(level, *n, alive_in(Some(datacenter))),
            BlockFor::EachQuorum(dcs) => dcs.iter().try_for_each(|(dc, n)| check(level, *n, alive_in(Some(dc)))),
        }
    }
}

fn check(level: u16, required: u32, alive: u32) -> Result<(), CoordinatorError> {
    if alive < required {
        return Err(CoordinatorError::Unavailable { consistency: level, required, alive });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyspace(replication: &[(&str, &str)]) -> KeyspaceDef {
        KeyspaceDef {
            name: "ks".into(),
            replication: replication.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            durable_writes: true,
            tables: BTreeMap::new(),
            types: BTreeMap::new(),
            is_system: false,
            indexes: BTreeMap::new(),
        }
    }

    fn simple(rf: &str) -> ReplicationFactors {
        ReplicationFactors::of(&keyspace(&[("class", "SimpleStrategy"), ("replication_factor", rf)])).unwrap()
    }

    fn states<'a>(dcs: &[(&'a str, bool)]) -> Vec<ReplicaState<'a>> {
        dcs.iter().map(|(dc, alive)| ReplicaState { datacenter: dc, alive: *alive }).collect()
    }

    #[test]
    fn quorum_of_three_needs_two_alive() {
        let rf3 = simple("3");
        let q = BlockFor::of(cl::QUORUM, &rf3, "dc1");
        assert_eq!(q, BlockFor::Any(2));
        assert!(q.assure_sufficient_live(cl::QUORUM, &states(&[("dc1", true), ("dc1", true), ("dc1", false)])).is_ok());
        let e = q.assure_sufficient_live(cl::QUORUM, &states(&[("dc1", true), ("dc1", false), ("dc1", false)]));
        assert!(matches!(
            e.unwrap_err(),
            CoordinatorError::Unavailable { consistency: cl::QUORUM, required: 2, alive: 1 }
        ));
        assert_eq!(BlockFor::of(cl::ALL, &rf3, "dc1").total(), 3);
        assert!(BlockFor::of(cl::ANY, &rf3, "dc1").assure_sufficient_live(cl::ANY, &states(&[("dc1", false)])).is_ok());
    }

    #[test]
    fn more_replicas_than_nodes_is_unavailable() {
        // RF 3 on a one-node cluster: one natural replica.
        let q = BlockFor::of(cl::QUORUM, &simple("3"), "dc1");
        let e = q.assure_sufficient_live(cl::QUORUM, &states(&[("dc1", true)])).unwrap_err();
        assert!(matches!(e, CoordinatorError::Unavailable { consistency: cl::QUORUM, required: 2, alive: 1 }));
    }

    #[test]
    fn datacenters_count_separately() {
        let nts =
            ReplicationFactors::of(&keyspace(&[("class", "NetworkTopologyStrategy"), ("dc1", "3"), ("dc2", "2")]))
                .unwrap();
        assert_eq!(nts.total, 5);
        let local = BlockFor::of(cl::LOCAL_QUORUM, &nts, "dc1");
        assert_eq!(local, BlockFor::Local { datacenter: "dc1".into(), n: 2 });
        assert!(local.counts("dc1") && !local.counts("dc2"));
        assert!(local.is_met(["dc1", "dc2", "dc1"].into_iter()));
        assert!(!local.is_met(["dc1", "dc2", "dc2"].into_iter()));
        let each = BlockFor::of(cl::EACH_QUORUM, &nts, "dc1");
        assert_eq!(each.total(), 4);
        assert!(each.is_met(["dc1", "dc2", "dc1", "dc2"].into_iter()));
        assert!(!each.is_met(["dc1", "dc1", "dc1", "dc2"].into_iter()));
        let e = each
            .assure_sufficient_live(cl::EACH_QUORUM, &states(&[("dc1", true), ("dc1", true), ("dc2", true)]))
            .unwrap_err();
        assert!(matches!(e, CoordinatorError::Unavailable { consistency: cl::EACH_QUORUM, required: 2, alive: 1 }));
        // Replicated elsewhere only: not even LOCAL_ONE here.
        let e = BlockFor::of(cl::LOCAL_ONE, &nts, "dc3")
            .assure_sufficient_live(cl::LOCAL_ONE, &states(&[("dc1", true)]))
            .unwrap_err();
        assert!(matches!(e, CoordinatorError::Unavailable { consistency: cl::LOCAL_ONE, required: 1, alive: 0 }));
    }

    #[test]
    fn levels_that_do_not_apply_are_invalid() {
        let message = |r: Result<(), CoordinatorError>| r.unwrap_err().to_string();
        assert_eq!(message(validate(cl::ANY, Access::Read)), "ANY ConsistencyLevel is only supported for writes");
        assert_eq!(
            message(validate(cl::SERIAL, Access::Write)),
            "You must use conditional updates for serializable writes"
        );
        assert!(validate(cl::SERIAL, Access::Read).is_ok());
        assert!(matches!(validate(0x77, Access::Read), Err(CoordinatorError::Protocol(_))));
    }
}
