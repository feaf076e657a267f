//! Frame compression negotiated in STARTUP: the driver reads and writes lz4- and
//! snappy-compressed frames, and a large value survives the round trip.

use anyhow::{anyhow, ensure};
use scylla::client::session_builder::SessionBuilder;
use scylla::client::Compression;
use std::time::Duration;

use crate::common::{create_keyspace, ddl, run, start};

#[test]
fn lz4_and_snappy_frames_round_trip() {
    run(|| async {
        let server = start(1)?;
        for (i, compression) in [Compression::Lz4, Compression::Snappy].into_iter().enumerate() {
            let session = SessionBuilder::new()
                .known_node_addr(server.addr())
                .compression(Some(compression))
                .connection_timeout(Duration::from_secs(10))
                .build()
                .await
                .map_err(|e| anyhow!("connect with {compression:?}: {e}\n{}", server.log_excerpt()))?;
            let ks = format!("ks_compress{i}");
            create_keyspace(&session, &ks).await?;
            ddl(&session, &format!("CREATE TABLE {ks}.blobs (k int PRIMARY KEY, v blob)")).await?;
            // Compressible and large: many frames' worth of repeated bytes.
            let value: Vec<u8> = (0..200_000u32).map(|n| (n % 7) as u8).collect();
            let insert = session.prepare(format!("INSERT INTO {ks}.blobs (k, v) VALUES (?, ?)")).await?;
            session.execute_unpaged(&insert, (1, &value)).await?;
            let rows =
                session.query_unpaged(format!("SELECT v FROM {ks}.blobs WHERE k = 1"), ()).await?.into_rows_result()?;
            let (read,): (Vec<u8>,) = rows.single_row()?;
            ensure!(read == value, "{compression:?}: value changed in transit");
        }
        Ok(())
    })
}
