//! Consistency levels, checked as Cassandra's coordinator checks them before it does any
//! work: the replicas a level blocks for (from the keyspace's replication factors) against
//! the replicas alive. This node is the whole cluster, and it holds a keyspace's data only
//! if its own datacenter has a replication factor of at least one; so `QUORUM` on a keyspace
//! with `replication_factor: 3`, or anything on a keyspace replicated only to another
//! datacenter, is `Unavailable` here exactly as on a one-node Cassandra cluster.

use percore_protocol::wire::consistency::{self as cl, name};

use crate::cql::error::CqlError;
use crate::schema::KeyspaceDef;

/// What the request does with the keyspace's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    /// The commit of a lightweight transaction.
    ConditionalWrite,
}

/// Replication factors as a consistency level sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Replication {
    /// Over every datacenter.
    total: u32,
    /// In this node's datacenter.
    local: u32,
}

impl Replication {
    /// `None` for strategies that keep data on every node whatever the level
    /// (`LocalStrategy`, `EverywhereStrategy`: the system keyspaces).
    fn of(keyspace: &KeyspaceDef, local_datacenter: &str) -> Option<Replication> {
        let class = keyspace.replication.get("class").map(String::as_str).unwrap_or_default();
        let factor = |key: &str| keyspace.replication.get(key).and_then(|v| v.parse::<u32>().ok()).unwrap_or(0);
        if class.ends_with("SimpleStrategy") {
            let rf = factor("replication_factor");
            Some(Replication { total: rf, local: rf })
        } else if class.ends_with("NetworkTopologyStrategy") {
            let total = keyspace.replication.iter().filter(|(k, _)| *k != "class").map(|(k, _)| factor(k)).sum();
            Some(Replication { total, local: factor(local_datacenter) })
        } else {
            None
        }
    }
}

/// Refuses `consistency` for `access` to `keyspace` the way Cassandra would on one node:
/// `Invalid` for levels that make no sense there, `Unavailable` when the level blocks for
/// more replicas than are alive.
pub fn check(consistency: u16, access: Access, keyspace: &KeyspaceDef, local_datacenter: &str) -> Result<(), CqlError> {
    if keyspace.is_system {
        return Ok(());
    }
    let Some(rf) = Replication::of(keyspace, local_datacenter) else { return Ok(()) };
    match (consistency, access) {
        (cl::ANY, Access::Read) => {
            return Err(CqlError::invalid("ANY ConsistencyLevel is only supported for writes".into()));
        }
        (cl::SERIAL | cl::LOCAL_SERIAL, Access::Write) => {
            return Err(CqlError::invalid("You must use conditional updates for serializable writes".into()));
        }
        (cl::SERIAL | cl::LOCAL_SERIAL, Access::ConditionalWrite) => {
            return Err(CqlError::invalid(format!(
                "{} is not supported as conditional update commit consistency. Use ANY if you mean \"make sure it \
                 is accepted but I don't care how many replicas commit it for non-SERIAL reads\"",
                if consistency == cl::SERIAL { "SERIAL" } else { "LOCAL_SERIAL" }
            )));
        }
        // A hint on the coordinator is enough for ANY.
        (cl::ANY, Access::Write | Access::ConditionalWrite) => return Ok(()),
        _ => {}
    }
    let alive = u32::from(rf.local >= 1);
    let quorum = |n: u32| n / 2 + 1;
    let required = match consistency {
        cl::ONE | cl::LOCAL_ONE => 1,
        cl::TWO => 2,
        cl::THREE => 3,
        cl::QUORUM | cl::SERIAL => quorum(rf.total),
        cl::ALL => rf.total,
        cl::LOCAL_QUORUM | cl::LOCAL_SERIAL => quorum(rf.local),
        // A quorum in every datacenter with replicas; only the local one has a live node.
        cl::EACH_QUORUM if rf.total > rf.local => return Err(unavailable(consistency, quorum(rf.total - rf.local), 0)),
        cl::EACH_QUORUM => quorum(rf.local),
        other => return Err(CqlError::protocol(format!("Unknown consistency level code {other:#06x}"))),
    };
    if required > alive {
        return Err(unavailable(consistency, required, alive));
    }
    Ok(())
}

fn unavailable(consistency: u16, required: u32, alive: u32) -> CqlError {
    CqlError::unavailable(
        format!("Cannot achieve consistency level {}", name(consistency)),
        consistency,
        required as i32,
        alive as i32,
    )
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

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

    fn simple(rf: &str) -> KeyspaceDef {
        keyspace(&[("class", "org.apache.cassandra.locator.SimpleStrategy"), ("replication_factor", rf)])
    }

    fn code(r: Result<(), CqlError>) -> Option<(u32, String)> {
        r.err().map(|e| (e.code, e.message))
    }

    #[test]
    fn one_replica_serves_one_and_quorum_of_one() {
        for level in [cl::ONE, cl::LOCAL_ONE, cl::QUORUM, cl::LOCAL_QUORUM, cl::ALL, cl::EACH_QUORUM] {
            assert!(check(level, Access::Read, &simple("1"), "dc1").is_ok(), "{}", name(level));
            assert!(check(level, Access::Write, &simple("1"), "dc1").is_ok(), "{}", name(level));
        }
        assert!(check(cl::SERIAL, Access::Read, &simple("1"), "dc1").is_ok());
    }

    #[test]
    fn more_replicas_than_nodes_is_unavailable() {
        let rf3 = simple("3");
        assert!(check(cl::ONE, Access::Write, &rf3, "dc1").is_ok());
        let e = check(cl::QUORUM, Access::Write, &rf3, "dc1").unwrap_err();
        assert_eq!((e.code, e.message.as_str()), (0x1000, "Cannot achieve consistency level QUORUM"));
        assert_eq!(
            e.extra,
            percore_protocol::response::ErrorExtra::Unavailable { consistency: cl::QUORUM, required: 2, alive: 1 }
        );
        assert_eq!(code(check(cl::TWO, Access::Read, &simple("1"), "dc1")).map(|c| c.0), Some(0x1000));
        assert_eq!(code(check(cl::ALL, Access::Read, &rf3, "dc1")).map(|c| c.0), Some(0x1000));
    }

    #[test]
    fn datacenters_count_separately() {
        let nts =
            keyspace(&[("class", "org.apache.cassandra.locator.NetworkTopologyStrategy"), ("dc1", "1"), ("dc2", "3")]);
        assert!(check(cl::LOCAL_QUORUM, Access::Write, &nts, "dc1").is_ok());
        assert!(check(cl::LOCAL_ONE, Access::Read, &nts, "dc1").is_ok());
        assert_eq!(code(check(cl::QUORUM, Access::Write, &nts, "dc1")).map(|c| c.0), Some(0x1000));
        assert_eq!(code(check(cl::EACH_QUORUM, Access::Write, &nts, "dc1")).map(|c| c.0), Some(0x1000));
        // Replicated elsewhere only: not even ONE.
        assert_eq!(code(check(cl::ONE, Access::Write, &nts, "dc3")).map(|c| c.0), Some(0x1000));
        assert!(check(cl::ANY, Access::Write, &nts, "dc3").is_ok(), "a hint is enough for ANY");
    }

    #[test]
    fn levels_that_do_not_apply_are_invalid() {
        let e = check(cl::ANY, Access::Read, &simple("1"), "dc1").unwrap_err();
        assert_eq!(e.message, "ANY ConsistencyLevel is only supported for writes");
        let e = check(cl::SERIAL, Access::Write, &simple("1"), "dc1").unwrap_err();
        assert_eq!(e.message, "You must use conditional updates for serializable writes");
    }
}
