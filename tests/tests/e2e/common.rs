//! Shared helpers: serialisation of tests, sessions, schema, metric deltas.

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use percore_tests::Server;
use scylla::client::session::Session;
use scylla::client::session_builder::SessionBuilder;

pub const TEST_TIMEOUT: Duration = Duration::from_secs(120);

pub const LOCAL: &str = "percore_cql_requests_local_total";
pub const FORWARDED: &str = "percore_cql_requests_forwarded_total";
pub const REQUESTS: &str = "percore_cql_requests_total";
pub const CONNECTIONS: &str = "percore_cql_connections";

static SERIAL: Mutex<()> = Mutex::new(());

/// Run one end-to-end test body: serialised with the others and bounded in time.
pub fn run<F, Fut>(body: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<()>>,
{
    let _guard: MutexGuard<'_, ()> = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("tokio runtime");
    let outcome = rt.block_on(async { tokio::time::timeout(TEST_TIMEOUT, body()).await });
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) => panic!("{e:?}"),
        Err(_) => panic!("test did not finish within {TEST_TIMEOUT:?}"),
    }
}

/// Start a server, or fail with its stderr.
pub fn start(smp: usize) -> Result<Server> {
    Server::start(smp)
}

/// A shard-aware session to `server` (the driver's defaults: token-aware, full metadata).
pub async fn connect(server: &Server) -> Result<Session> {
    SessionBuilder::new()
        .known_node_addr(server.addr())
        .connection_timeout(Duration::from_secs(10))
        .build()
        .await
        .map_err(|e| anyhow!("scylla driver could not connect: {e}\n{}", server.log_excerpt()))
}

pub async fn create_keyspace(session: &Session, ks: &str) -> Result<()> {
    session
        .query_unpaged(
            format!(
                "CREATE KEYSPACE {ks} WITH replication = \
                 {{'class': 'SimpleStrategy', 'replication_factor': 1}}"
            ),
            (),
        )
        .await
        .with_context(|| format!("CREATE KEYSPACE {ks}"))?;
    Ok(())
}

pub async fn ddl(session: &Session, cql: &str) -> Result<()> {
    session.query_unpaged(cql, ()).await.with_context(|| cql.to_string())?;
    Ok(())
}

/// Per-shard difference `after - before` of one metric.
pub fn delta(before: &percore_tests::Metrics, after: &percore_tests::Metrics, name: &str) -> BTreeMap<usize, f64> {
    let b = before.per_shard(name);
    let mut out = after.per_shard(name);
    for (shard, v) in out.iter_mut() {
        *v -= b.get(shard).copied().unwrap_or(0.0);
    }
    out
}

pub fn sum(m: &BTreeMap<usize, f64>) -> f64 {
    m.values().sum()
}

/// Scrape metrics until local+forwarded grew by `ops` since `before` (or fail after 5 s).
pub async fn metrics_after_ops(
    server: &Server,
    before: &percore_tests::Metrics,
    ops: f64,
) -> Result<percore_tests::Metrics> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let after = server.metrics()?;
        let seen = sum(&delta(before, &after, LOCAL)) + sum(&delta(before, &after, FORWARDED));
        if seen >= ops {
            return Ok(after);
        }
        if Instant::now() > deadline {
            bail!(
                "local+forwarded counters grew by {seen}, expected {ops}: local {:?}, forwarded {:?}, requests {:?}",
                delta(before, &after, LOCAL),
                delta(before, &after, FORWARDED),
                delta(before, &after, REQUESTS)
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
