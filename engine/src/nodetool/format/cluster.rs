//! `nodetool describecluster`, `describering` and `getendpoints` as Cassandra 4 prints them
//! (`DescribeCluster`, `DescribeRing`, `GetEndpoints`); `status` and `ring` are
//! [`super::status`]'s.
//!
//! describecluster: the cluster's name, snitch and partitioner; each schema version with the
//! addresses reporting it (down members under `UNREACHABLE`, listed last); the counts of live
//! and unreachable members; each data center's members and how many are down; each release
//! version with the members running it (`address:storage_port`, as Cassandra lists them);
//! every keyspace's replication; the ownership note last. Versions and addresses are sorted
//! (Cassandra's come from hash maps).

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::admin::views::TokenRangeView;
use crate::nodetool::ring_answers::RingAnswers;

use super::status::{address_and_port, by_datacenter};

/// Where `describecluster` lists the members it has no schema version from.
const UNREACHABLE: &str = "UNREACHABLE";

/// Addresses in address order (by value, not as text), as Java prints a list.
fn address_list(mut addresses: Vec<String>) -> String {
    addresses.sort_by_key(|a| (a.parse::<IpAddr>().ok(), a.clone()));
    format!("[{}]", addresses.join(", "))
}

pub fn describe_cluster(answers: &RingAnswers) -> String {
    let (info, ring) = (&answers.local, &answers.ring);
    let mut out = format!(
        "Cluster Information:\n\tName: {}\n\tSnitch: {}\n\tDynamicEndPointSnitch: disabled\n\tPartitioner: {}\n\tSchema versions:\n",
        info.cluster_name, info.snitch, info.partitioner
    );
    let mut versions: BTreeMap<(bool, String), Vec<String>> = BTreeMap::new();
    for m in &ring.members {
        let version = answers.schema_version(m);
        let key = (version.is_none(), version.map_or_else(|| UNREACHABLE.to_string(), |v| v.to_string()));
        versions.entry(key).or_default().push(m.address.clone());
    }
    for ((_, version), addresses) in versions {
        out.push_str(&format!("\t\t{version}: {}\n\n", address_list(addresses)));
    }
    let down = ring.members.iter().filter(|m| !m.up).count();
    out.push_str(&format!(
        "Stats for all nodes:\n\tLive: {}\n\tJoining: 0\n\tMoving: 0\n\tLeaving: 0\n\tUnreachable: {down}\n",
        ring.members.len() - down
    ));
    out.push_str("\nData Centers: \n");
    for (dc, members) in by_datacenter(&ring.members) {
        let down = members.iter().filter(|m| !m.up).count();
        out.push_str(&format!("\t{dc} #Nodes: {} #Down: {down}\n", members.len()));
    }
    out.push_str("\nDatabase versions:\n");
    let mut releases: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for m in &ring.members {
        releases.entry(&m.release_version).or_default().push(address_and_port(&m.address, ring.storage_port));
    }
    for (release, addresses) in releases {
        out.push_str(&format!("\t{release}: {}\n\n", address_list(addresses)));
    }
    out.push_str("Keyspaces:\n");
    for ks in &ring.keyspaces {
        let options: Vec<String> = ks.options.iter().map(|(k, v)| format!("{k}={v}")).collect();
        out.push_str(&format!("\t{} -> Replication class: {} {{{}}}\n", ks.name, ks.class, options.join(", ")));
    }
    if let Some(note) = &ring.ownership_note {
        out.push_str(&format!("\nNote: {note}\n"));
    }
    out
}

pub fn describe_ring(schema_version: &uuid::Uuid, ranges: &[TokenRangeView]) -> String {
    let mut out = format!("Schema Version:{schema_version}\nTokenRange: \n");
    for r in ranges {
        let details: Vec<String> = r
            .endpoint_details
            .iter()
            .map(|d| format!("EndpointDetails(host:{}, datacenter:{}, rack:{})", d.host, d.datacenter, d.rack))
            .collect();
        out.push_str(&format!(
            "\tTokenRange(start_token:{}, end_token:{}, endpoints:[{}], rpc_endpoints:[{}], endpoint_details:[{}])\n",
            r.start_token,
            r.end_token,
            r.endpoints.join(", "),
            r.rpc_endpoints.join(", "),
            details.join(", ")
        ));
    }
    out
}

pub fn endpoints(addresses: &[String]) -> String {
    addresses.iter().map(|a| format!("{a}\n")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::admin::views::EndpointDetails;
    use crate::nodetool::format::status::tests::{answers, three};

    #[test]
    fn describecluster_groups_members_by_schema_and_release_version() {
        let text = describe_cluster(&answers(three(), Some("keyspaces differ")));
        let expected = "Cluster Information:\n\
             \tName: Test Cluster\n\
             \tSnitch: org.apache.cassandra.locator.SimpleSnitch\n\
             \tDynamicEndPointSnitch: disabled\n\
             \tPartitioner: org.apache.cassandra.dht.Murmur3Partitioner\n\
             \tSchema versions:\n\
             \t\t00000000-0000-0000-0000-000000000007: [127.0.0.1, 127.0.0.2]\n\n\
             \t\tUNREACHABLE: [127.0.0.3]\n\n\
             Stats for all nodes:\n\
             \tLive: 2\n\tJoining: 0\n\tMoving: 0\n\tLeaving: 0\n\tUnreachable: 1\n\
             \n\
             Data Centers: \n\
             \tdc1 #Nodes: 2 #Down: 0\n\
             \tdc2 #Nodes: 1 #Down: 1\n\
             \n\
             Database versions:\n\
             \t3.0.8: [127.0.0.1:7000, 127.0.0.2:7000, 127.0.0.3:7000]\n\n\
             Keyspaces:\n\
             \tks -> Replication class: SimpleStrategy {replication_factor=2}\n\
             \n\
             Note: keyspaces differ\n";
        assert_eq!(text, expected, "{text}");
    }

    #[test]
    fn a_member_that_answered_reports_its_own_schema_version() {
        let mut a = answers(three(), None);
        let mut second = a.local.clone();
        second.host_id = a.ring.members[1].host_id;
        second.schema_version = uuid::Uuid::from_u128(9);
        a.nodes.insert(second.host_id, second);
        let text = describe_cluster(&a);
        assert!(text.contains("\t\t00000000-0000-0000-0000-000000000007: [127.0.0.1]\n\n"), "{text}");
        assert!(text.contains("\t\t00000000-0000-0000-0000-000000000009: [127.0.0.2]\n\n"), "{text}");
        assert!(!text.contains("Note:"));
    }

    #[test]
    fn describering_and_getendpoints() {
        let range = TokenRangeView {
            start_token: "0".into(),
            end_token: "0".into(),
            endpoints: vec!["127.0.0.1".into()],
            rpc_endpoints: vec!["127.0.0.1".into()],
            endpoint_details: vec![EndpointDetails {
                host: "127.0.0.1".into(),
                datacenter: "dc1".into(),
                rack: "r1".into(),
            }],
        };
        assert_eq!(
            describe_ring(&uuid::Uuid::from_u128(7), &[range]).lines().nth(2),
            Some("\tTokenRange(start_token:0, end_token:0, endpoints:[127.0.0.1], rpc_endpoints:[127.0.0.1], endpoint_details:[EndpointDetails(host:127.0.0.1, datacenter:dc1, rack:r1)])")
        );
        assert_eq!(endpoints(&["127.0.0.2".into(), "127.0.0.1".into()]), "127.0.0.2\n127.0.0.1\n");
    }
}
