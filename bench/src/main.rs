//! `percore-bench`: a cassandra-stress/latte-style load generator and latency
//! profiler for Percore, built on the shard-aware `scylla` driver.
//!
//! See `percore-bench --help` and `docs/benchmarks.md`.

mod args;
mod cpu;
mod errors;
mod hdr_log;
mod keys;
mod profile;
mod rate;
mod report;
mod rng;
mod run;
mod runner;
mod schema;
mod server_metrics;
mod session;
mod stats;
mod svg;
mod ticker;
mod values;
mod workload;

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use anyhow::Result;
use clap::Parser;

use args::{Cli, Command, WorkloadKind};

/// Client runtime: `current_thread` for one thread, else a small multi-thread
/// runtime; threads pinned round-robin to `--cpu` when given.
fn runtime(threads: usize, cpus: Vec<usize>) -> Result<tokio::runtime::Runtime> {
    if let Some(&c) = cpus.first() {
        cpu::pin_current(c)?;
    }
    if threads <= 1 {
        return Ok(tokio::runtime::Builder::new_current_thread().enable_all().build()?);
    }
    let next = Arc::new(AtomicUsize::new(0));
    let mut b = tokio::runtime::Builder::new_multi_thread();
    b.worker_threads(threads).enable_all();
    if !cpus.is_empty() {
        b.on_thread_start(move || {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if let Err(e) = cpu::pin_current(cpus[i % cpus.len()]) {
                eprintln!("warning: {e:#}");
            }
        });
    }
    Ok(b.build()?)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let (kind, run_args) = match &cli.cmd {
        Command::Write(a) => (Some(WorkloadKind::Write), a),
        Command::Read(a) => (Some(WorkloadKind::Read), a),
        Command::Mixed(a) => (Some(WorkloadKind::Mixed), a),
        Command::Counter(a) => (Some(WorkloadKind::Counter), a),
        Command::User(a) => (Some(WorkloadKind::User), a),
        Command::Profile(p) => (None, &p.run),
    };
    let result = run_args.cpus().and_then(|cpus| runtime(run_args.threads, cpus)).and_then(|rt| {
        rt.block_on(async {
            match (kind, cli.cmd) {
                (
                    Some(k),
                    Command::Write(a) | Command::Read(a) | Command::Mixed(a) | Command::Counter(a) | Command::User(a),
                ) => {
                    let s = run::run(k, a).await?;
                    // Every operation failed: say so in the exit status.
                    Ok(if s.total_ops == 0 && s.total_errors > 0 { ExitCode::from(1) } else { ExitCode::SUCCESS })
                }
                (_, Command::Profile(p)) => profile::run(p).await.map(|_| ExitCode::SUCCESS),
                _ => unreachable!(),
            }
        })
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
