//! The Rust `scylla` driver against a 3-node cluster: given one contact point it sees every
//! node with its host id, dc and rack, and its replica locator agrees with the server's own
//! placement (the admin API behind `nodetool getendpoints`) for every key tried.

use std::collections::BTreeSet;
use std::time::Duration;

use anyhow::{anyhow, bail, Context};
use percore_tests::cluster::TestCluster;
use scylla::client::session_builder::SessionBuilder;

use crate::common::run;

/// Keys checked per keyspace (the Python driver test checks 10 000 in its soak form).
const KEYS: i32 = 300;

#[test]
fn driver_sees_every_node_and_places_like_the_server() {
    run(|| async {
        let cluster = TestCluster::start(3)?;
        let session = SessionBuilder::new()
            .known_node_addr(cluster.nodes[1].addr())
            .connection_timeout(Duration::from_secs(10))
            .build()
            .await
            .map_err(|e| anyhow!("scylla driver could not connect: {e}"))?;
        let state = session.get_cluster_state();
        let nodes = state.get_nodes_info();
        let addresses: BTreeSet<String> = nodes.iter().map(|n| n.address.ip().to_string()).collect();
        let expected: BTreeSet<String> = cluster.nodes.iter().map(|n| n.host.to_string()).collect();
        if addresses != expected {
            bail!("the driver sees {addresses:?}, the cluster is {expected:?}");
        }
        if nodes.iter().any(|n| n.datacenter.is_none() || n.rack.is_none()) {
            bail!("a node without dc/rack: {nodes:?}");
        }
        for rf in 1..=3 {
            let ks = format!("placed_rf{rf}");
            session
                .query_unpaged(
                    format!("CREATE KEYSPACE {ks} WITH replication = {{'class': 'SimpleStrategy', 'replication_factor': {rf}}}"),
                    &[],
                )
                .await?;
            session.query_unpaged(format!("CREATE TABLE {ks}.t (k int PRIMARY KEY, v int)"), &[]).await?;
        }
        session.await_schema_agreement().await?;
        session.refresh_metadata().await?;
        let state = session.get_cluster_state();
        let server = &cluster.nodes[0];
        for rf in 1..=3 {
            let ks = format!("placed_rf{rf}");
            for key in 0..KEYS {
                let driver: Vec<String> = state
                    .get_endpoints(&ks, "t", &(key,))
                    .with_context(|| format!("token of {key}"))?
                    .iter()
                    .map(|(node, _)| node.address.ip().to_string())
                    .collect();
                let body = server.http_get(&format!("/storage_service/natural_endpoints/{ks}?cf=t&key={key}"))?;
                let ours: Vec<String> = serde_like_list(&body);
                if driver != ours {
                    bail!("{ks} key {key}: the driver places it on {driver:?}, the server on {ours:?}");
                }
            }
        }
        Ok(())
    })
}

/// The JSON list of strings the admin API answers (`["a","b"]`).
fn serde_like_list(body: &str) -> Vec<String> {
    body.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .split(',')
        .map(|s| s.trim().trim_matches('"').to_string())
        .filter(|s| !s.is_empty())
        .collect()
}
