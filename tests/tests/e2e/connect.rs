//! The driver connects shard-aware, sees the schema it created, and uses one
//! connection per shard (each request lands on the shard that owns its token).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context};
use scylla::cluster::metadata::{ColumnKind, ColumnType, NativeType, Strategy};

use crate::common::{connect, create_keyspace, ddl, run, start, CONNECTIONS};

const SCHEMA_BUDGET: Duration = Duration::from_secs(5);

#[test]
fn sharding_info_and_schema_metadata() {
    run(|| async {
        let server = start(2)?;
        let session = connect(&server).await?;
        let state = session.get_cluster_state();
        let nodes = state.get_nodes_info();
        ensure!(nodes.len() == 1, "expected one node, got {}", nodes.len());
        let sharder = nodes[0].sharder().context("driver found no (complete) SCYLLA_* sharding info in SUPPORTED")?;
        ensure!(sharder.nr_shards.get() == 2, "nr_shards = {}", sharder.nr_shards.get());
        ensure!(sharder.msb_ignore == 12, "msb_ignore = {}", sharder.msb_ignore);
        ensure!(state.get_keyspace("system_schema").is_some(), "no system_schema in metadata");

        let t0 = Instant::now();
        create_keyspace(&session, "ks_meta").await?;
        ddl(
            &session,
            "CREATE TABLE ks_meta.events (tenant int, day text, at timestamp, id uuid, \
             payload blob, PRIMARY KEY ((tenant, day), at, id)) \
             WITH CLUSTERING ORDER BY (at DESC, id ASC)",
        )
        .await?;
        session.await_schema_agreement().await?;
        ensure!(t0.elapsed() < SCHEMA_BUDGET, "DDL + schema agreement took {:?}", t0.elapsed());

        session.refresh_metadata().await?;
        let state = session.get_cluster_state();
        let ks = state.get_keyspace("ks_meta").context("keyspace missing from driver metadata")?;
        ensure!(
            matches!(ks.strategy, Strategy::SimpleStrategy { replication_factor: 1, .. }),
            "strategy {:?}",
            ks.strategy
        );
        let table = ks.tables.get("events").context("table missing from driver metadata")?;
        ensure!(table.partition_key == ["tenant", "day"], "pk {:?}", table.partition_key);
        ensure!(table.clustering_key == ["at", "id"], "ck {:?}", table.clustering_key);
        let expect = [
            ("tenant", NativeType::Int, ColumnKind::PartitionKey),
            ("day", NativeType::Text, ColumnKind::PartitionKey),
            ("at", NativeType::Timestamp, ColumnKind::Clustering),
            ("id", NativeType::Uuid, ColumnKind::Clustering),
            ("payload", NativeType::Blob, ColumnKind::Regular),
        ];
        ensure!(table.columns.len() == expect.len(), "columns {:?}", table.columns.keys());
        for (name, typ, kind) in expect {
            let col = table.columns.get(name).with_context(|| format!("column {name} missing"))?;
            ensure!(col.typ == ColumnType::Native(typ.clone()), "{name}: {:?}", col.typ);
            ensure!(col.kind == kind, "{name}: {:?}", col.kind);
        }
        drop(session);
        server.stop()
    });
}

#[test]
fn one_connection_per_shard_and_requests_land_on_the_owner() {
    run(|| async {
        let server = start(2)?;
        let session = connect(&server).await?;
        create_keyspace(&session, "ks_conn").await?;
        ddl(&session, "CREATE TABLE ks_conn.kv (k int PRIMARY KEY, v int)").await?;
        let sharder = session.get_cluster_state().get_nodes_info()[0].sharder().context("no sharding info")?;

        let select = session.prepare("SELECT v FROM ks_conn.kv WHERE k = ?").await?;
        ensure!(select.is_token_aware(), "PREPARED result lacks pk_index (not token-aware)");
        // The pool fills in the background: allow it a few seconds to reach every shard.
        let deadline = Instant::now() + Duration::from_secs(10);
        let mut seen = BTreeSet::new();
        let mut k = 0;
        while seen.len() < 2 {
            ensure!(Instant::now() < deadline, "only shards {seen:?} were ever used");
            let token = select.calculate_token(&(k,))?.context("no token")?;
            let result = session.execute_unpaged(&select, (k,)).await?;
            let shard = result.request_coordinator().shard();
            if let Some(shard) = shard {
                seen.insert(shard);
                // once the pool is full, the driver must use the owner's connection
                if seen.len() == 2 {
                    ensure!(shard == sharder.shard_of(token), "key {k}: served by {shard}");
                }
            }
            k += 1;
        }
        for k in 0..100 {
            let token = select.calculate_token(&(k,))?.context("no token")?;
            let result = session.execute_unpaged(&select, (k,)).await?;
            let shard = result.request_coordinator().shard();
            ensure!(
                shard == Some(sharder.shard_of(token)),
                "key {k}: token {} belongs to shard {}, request went to {shard:?}",
                token.value(),
                sharder.shard_of(token)
            );
        }
        let per_shard = server.metrics()?.per_shard(CONNECTIONS);
        ensure!(
            (0..2).all(|s| per_shard.get(&s).copied().unwrap_or(0.0) >= 1.0),
            "server-side connections per shard: {per_shard:?}"
        );
        drop(session);
        server.stop()
    });
}
