//! Forwarded vs local: a token-aware prepared workload is never forwarded
//! between shards; unprepared statements on a non-token-aware policy are.

use anyhow::{ensure, Result};
use scylla::client::execution_profile::ExecutionProfile;
use scylla::policies::load_balancing::DefaultPolicy;
use scylla::statement::Statement;

use crate::common::{
    connect, create_keyspace, ddl, delta, metrics_after_ops, run, start, sum, FORWARDED, LOCAL, REQUESTS,
};

const N: i32 = 200;

#[test]
fn prepared_token_aware_workload_is_never_forwarded() {
    run(|| async {
        let server = start(2)?;
        let session = connect(&server).await?;
        create_keyspace(&session, "ks_route").await?;
        ddl(&session, "CREATE TABLE ks_route.kv (k int PRIMARY KEY, v text)").await?;
        ddl(&session, "CREATE TABLE ks_route.comp (a int, b text, c int, v int, PRIMARY KEY ((a, b), c))").await?;
        session.await_schema_agreement().await?;
        let insert = session.prepare("INSERT INTO ks_route.kv (k, v) VALUES (?, ?)").await?;
        let select = session.prepare("SELECT v FROM ks_route.kv WHERE k = ?").await?;
        let insert_c = session.prepare("INSERT INTO ks_route.comp (a, b, c, v) VALUES (?, ?, ?, ?)").await?;
        let select_c = session.prepare("SELECT v FROM ks_route.comp WHERE a = ? AND b = ? AND c = ?").await?;
        warm_up(&session, &select).await?;

        let before = server.metrics()?;
        for k in 0..N {
            session.execute_unpaged(&insert, (k, format!("v{k}"))).await?;
            session.execute_unpaged(&insert_c, (k, format!("b{}", k % 7), k % 3, k)).await?;
        }
        for k in 0..N {
            let rows = session.execute_unpaged(&select, (k,)).await?.into_rows_result()?;
            let (v,): (String,) = rows.single_row()?;
            ensure!(v == format!("v{k}"), "k={k}: {v}");
            let rows =
                session.execute_unpaged(&select_c, (k, format!("b{}", k % 7), k % 3)).await?.into_rows_result()?;
            let (v,): (i32,) = rows.single_row()?;
            ensure!(v == k, "comp k={k}: {v}");
        }
        let ops = 4.0 * f64::from(N);
        let after = metrics_after_ops(&server, &before, ops).await?;
        let (local, forwarded, requests) =
            (delta(&before, &after, LOCAL), delta(&before, &after, FORWARDED), delta(&before, &after, REQUESTS));
        ensure!(
            sum(&forwarded) == 0.0,
            "shard-aware prepared traffic was forwarded: forwarded {forwarded:?}, local {local:?}"
        );
        ensure!(sum(&local) == ops, "local {local:?}, expected {ops}");
        ensure!(
            (0..2).all(|s| requests.get(&s).copied().unwrap_or(0.0) > 0.0),
            "all traffic on one shard: {requests:?}"
        );
        drop(session);
        server.stop()
    });
}

#[test]
fn unprepared_statements_without_token_awareness_are_forwarded() {
    run(|| async {
        let server = start(2)?;
        let session = connect(&server).await?;
        create_keyspace(&session, "ks_fwd").await?;
        ddl(&session, "CREATE TABLE ks_fwd.kv (k int PRIMARY KEY, v text)").await?;
        session.await_schema_agreement().await?;
        let profile = ExecutionProfile::builder()
            .load_balancing_policy(DefaultPolicy::builder().token_aware(false).build())
            .build()
            .into_handle();

        let before = server.metrics()?;
        for k in 0..N {
            let mut st = Statement::new(format!("INSERT INTO ks_fwd.kv (k, v) VALUES ({k}, 'x')"));
            st.set_execution_profile_handle(Some(profile.clone()));
            session.query_unpaged(st, ()).await?;
        }
        let after = metrics_after_ops(&server, &before, f64::from(N)).await?;
        let (local, forwarded) = (delta(&before, &after, LOCAL), delta(&before, &after, FORWARDED));
        ensure!(sum(&forwarded) > 0.0, "nothing forwarded: local {local:?}, forwarded {forwarded:?}");
        ensure!(sum(&local) > 0.0, "nothing local: local {local:?}, forwarded {forwarded:?}");
        ensure!(sum(&local) + sum(&forwarded) == f64::from(N), "local {local:?} + forwarded {forwarded:?} != {N}");
        drop(session);
        server.stop()
    });
}

/// Wait until the driver has used connections to both shards (its pool fills in
/// the background), so the measured workload runs on a full pool.
async fn warm_up(
    session: &scylla::client::session::Session,
    select: &scylla::statement::prepared::PreparedStatement,
) -> Result<()> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut seen = std::collections::BTreeSet::new();
    let mut k = 1_000_000;
    while seen.len() < 2 {
        ensure!(std::time::Instant::now() < deadline, "driver only reached shards {seen:?}");
        let result = session.execute_unpaged(select, (k,)).await?;
        seen.extend(result.request_coordinator().shard());
        k += 1;
    }
    Ok(())
}
