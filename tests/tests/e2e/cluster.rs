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

/// Requests per statement kind in the shard-awareness check.
const ROUTED_REQUESTS: i32 = 1000;
/// Requests sent before measuring, while the driver opens its per-shard connections.
const WARMUP_REQUESTS: i32 = 300;
/// The share of replicated requests that must be coordinated on a replica's owning shard.
const OWNER_SHARD_SHARE_MIN: f64 = 0.99;

/// Token- and shard-aware routing end to end: with prepared single-partition statements the
/// Rust driver sends (nearly) every request to a replica's owning shard, so the coordinator
/// applies or reads there and sends to the same shard number on the other replicas.
#[test]
fn prepared_requests_are_coordinated_on_a_replicas_owning_shard() {
    run(|| async {
        let cluster = TestCluster::start_with_shards(3, 2)?;
        let session = SessionBuilder::new()
            .known_node_addr(cluster.nodes[0].addr())
            .connection_timeout(Duration::from_secs(10))
            .build()
            .await
            .map_err(|e| anyhow!("scylla driver could not connect: {e}"))?;
        session
            .query_unpaged(
                "CREATE KEYSPACE routed WITH replication = {'class': 'SimpleStrategy', 'replication_factor': 3}",
                &[],
            )
            .await?;
        session.query_unpaged("CREATE TABLE routed.t (k int PRIMARY KEY, v int)", &[]).await?;
        session.await_schema_agreement().await?;
        session.refresh_metadata().await?;
        let insert = session.prepare("INSERT INTO routed.t (k, v) VALUES (?, ?)").await?;
        let select = session.prepare("SELECT v FROM routed.t WHERE k = ?").await?;
        // The driver opens its per-shard connections in the background: until it has, some
        // requests go to another shard. Warm up, then count only the measured requests.
        for k in 0..WARMUP_REQUESTS {
            session.execute_unpaged(&insert, (-1 - k, k)).await?;
        }
        let counted = |cluster: &TestCluster| -> anyhow::Result<(f64, f64)> {
            let (mut owner, mut total) = (0.0, 0.0);
            for node in &cluster.nodes {
                let metrics = node.metrics()?;
                let sum = |name: &str| metrics.per_shard(name).values().sum::<f64>();
                owner += sum("percore_coordinated_on_owner_shard_total");
                total += sum("percore_coordinated_on_owner_shard_total")
                    + sum("percore_coordinated_on_other_shard_total")
                    + sum("percore_coordinated_on_non_replica_total");
            }
            Ok((owner, total))
        };
        let (owner_before, total_before) = counted(&cluster)?;
        for k in 0..ROUTED_REQUESTS {
            session.execute_unpaged(&insert, (k, k)).await?;
        }
        for k in 0..ROUTED_REQUESTS {
            let rows = session.execute_unpaged(&select, (k,)).await?.into_rows_result()?;
            let (v,): (i32,) = rows.single_row()?;
            if v != k {
                bail!("key {k} read back {v}");
            }
        }
        let (owner_after, total_after) = counted(&cluster)?;
        let (owner, total) = (owner_after - owner_before, total_after - total_before);
        let requests = f64::from(2 * ROUTED_REQUESTS);
        if total < requests {
            bail!("only {total} replicated requests counted of {requests}");
        }
        if owner / total < OWNER_SHARD_SHARE_MIN {
            bail!("{owner} of {total} requests coordinated on a replica's owning shard");
        }
        Ok(())
    })
}
