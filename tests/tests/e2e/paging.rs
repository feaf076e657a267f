//! Paged reads return every row exactly once: one wide partition, and a
//! full-table scan across shards.

use std::collections::BTreeSet;
use std::ops::ControlFlow;

use anyhow::{ensure, Result};
use futures::TryStreamExt;
use scylla::client::session::Session;
use scylla::response::PagingState;
use scylla::statement::Statement;

use crate::common::{connect, create_keyspace, ddl, run, start};

const N: i32 = 1000;
const PAGE: i32 = 100;

async fn fill(session: &Session) -> Result<()> {
    create_keyspace(session, "ks_paging").await?;
    ddl(session, "CREATE TABLE ks_paging.wide (p int, c int, v text, PRIMARY KEY (p, c))").await?;
    ddl(session, "CREATE TABLE ks_paging.many (k int PRIMARY KEY, v text)").await?;
    let wide = session.prepare("INSERT INTO ks_paging.wide (p, c, v) VALUES (?, ?, ?)").await?;
    let many = session.prepare("INSERT INTO ks_paging.many (k, v) VALUES (?, ?)").await?;
    let (wide, many) = (&wide, &many);
    for chunk in (0..N).collect::<Vec<_>>().chunks(50) {
        let writes = chunk.iter().map(|&i| async move {
            session.execute_unpaged(wide, (1, i, format!("row{i}"))).await?;
            session.execute_unpaged(many, (i, format!("key{i}"))).await?;
            Ok::<_, anyhow::Error>(())
        });
        futures::future::try_join_all(writes).await?;
    }
    session.query_unpaged("INSERT INTO ks_paging.wide (p, c, v) VALUES (2, 0, 'other')", ()).await?;
    Ok(())
}

#[test]
fn paged_reads_return_each_row_once() {
    run(|| async {
        let server = start(2)?;
        let session = connect(&server).await?;
        fill(&session).await?;

        // single partition, driver-managed paging, prepared
        let mut select = session.prepare("SELECT c, v FROM ks_paging.wide WHERE p = ?").await?;
        select.set_page_size(PAGE);
        let rows: Vec<(i32, String)> =
            session.execute_iter(select, (1,)).await?.rows_stream::<(i32, String)>()?.try_collect().await?;
        ensure!(
            rows.iter().map(|r| r.0).collect::<Vec<_>>() == (0..N).collect::<Vec<_>>(),
            "single partition: {} rows, not 0..{N} in order",
            rows.len()
        );
        ensure!(rows.iter().all(|(c, v)| *v == format!("row{c}")));

        // full table, driver-managed paging, unprepared
        let scan = Statement::new("SELECT k FROM ks_paging.many").with_page_size(PAGE);
        let keys: Vec<(i32,)> = session.query_iter(scan, ()).await?.rows_stream::<(i32,)>()?.try_collect().await?;
        let unique: BTreeSet<i32> = keys.iter().map(|k| k.0).collect();
        ensure!(keys.len() == N as usize, "full scan returned {} rows, want {N}", keys.len());
        ensure!(unique == (0..N).collect(), "full scan: {} distinct keys", unique.len());

        // full table, manual paging: count pages and check each page's size
        let scan = Statement::new("SELECT p, c FROM ks_paging.wide").with_page_size(PAGE);
        let mut state = PagingState::start();
        let (mut pages, mut seen) = (0, Vec::new());
        loop {
            ensure!(pages < 100, "paging never ended");
            let (result, next) = session.query_single_page(scan.clone(), (), state).await?;
            let rows = result.into_rows_result()?;
            ensure!(rows.rows_num() <= PAGE as usize, "page of {} rows", rows.rows_num());
            for row in rows.rows::<(i32, i32)>()? {
                seen.push(row?);
            }
            pages += 1;
            match next.into_paging_control_flow() {
                ControlFlow::Continue(s) => state = s,
                ControlFlow::Break(()) => break,
            }
        }
        ensure!(pages >= (N / PAGE) as usize, "{pages} pages for {} rows", seen.len());
        let unique: BTreeSet<(i32, i32)> = seen.iter().copied().collect();
        ensure!(
            seen.len() == N as usize + 1 && unique.len() == seen.len(),
            "{} rows, {} distinct",
            seen.len(),
            unique.len()
        );
        drop(session);
        server.stop()
    });
}
