//! A single benchmark run: connect, create the schema, prepare, warm up, then
//! the measured phase bracketed by server-metrics scrapes; print and save the summary.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use scylla::client::session::Session;

use crate::args::{RunArgs, WorkloadKind};
use crate::report::{self, RunInfo, Summary};
use crate::runner::{run_phase, Phase};
use crate::server_metrics::{self, Scrape};
use crate::workload::{self, Workload};

/// A connected session with the workload prepared.
pub struct Bench {
    pub session: Arc<Session>,
    pub wl: Arc<Workload>,
    pub kind: WorkloadKind,
    pub args: RunArgs,
}

impl Bench {
    pub async fn setup(kind: WorkloadKind, args: RunArgs) -> Result<Self> {
        let def = workload::define(kind, &args)?;
        let session = Arc::new(crate::session::connect(&args).await?);
        let wl = Arc::new(workload::prepare(&session, &def, &args).await?);
        Ok(Bench { session, wl, kind, args })
    }

    pub fn phase(&self, label: &str, duration: Option<Duration>, ops: Option<u64>, rate: Option<f64>) -> Phase {
        Phase {
            label: label.to_string(),
            duration,
            ops,
            rate,
            concurrency: self.args.concurrency,
            shards: self.args.threads.max(1),
            seed: self.args.seed,
            progress: !self.args.quiet,
            hdr_log: None,
        }
    }

    fn scrape(&self) -> Result<Scrape, String> {
        if self.args.no_metrics {
            return Err("--no-metrics".into());
        }
        server_metrics::scrape(&self.args.metrics_url).map_err(|e| format!("{}: {e:#}", self.args.metrics_url))
    }

    pub async fn warmup(&self) -> Result<()> {
        if self.args.warmup.is_zero() {
            return Ok(());
        }
        if !self.args.quiet {
            println!("Warming up for {:?}", self.args.warmup);
        }
        let mut p = self.phase("warmup", Some(self.args.warmup), None, self.args.rate()?);
        p.progress = false;
        run_phase(&self.session, &self.wl, &p).await?;
        Ok(())
    }

    /// The measured phase with server metrics around it.
    pub async fn measure(&self, p: &Phase) -> Result<Summary> {
        let before = self.scrape();
        let r = run_phase(&self.session, &self.wl, p).await?;
        let server = match (before, self.scrape()) {
            (Ok(b), Ok(a)) => Ok(server_metrics::delta(&b, &a)),
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
        let info = RunInfo {
            workload: format!("{:?}", self.kind).to_lowercase(),
            target_rate: p.rate,
            concurrency: p.concurrency,
            connections: self.args.connections,
            threads: self.args.threads,
        };
        Ok(report::build(info, &self.wl.op_names(), &r, server))
    }
}

pub fn write_json(path: &std::path::Path, value: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))
}

/// `percore-bench <workload>`: returns the summary (already printed).
pub async fn run(kind: WorkloadKind, args: RunArgs) -> Result<Summary> {
    let bench = Bench::setup(kind, args).await?;
    let a = &bench.args;
    bench.warmup().await?;
    let mut p = bench.phase("measured", a.duration, a.op_limit()?, a.rate()?);
    p.hdr_log = a.hdr_log.clone();
    if !a.quiet {
        let what = match (p.rate, p.duration, p.ops) {
            (Some(r), _, _) => format!("open loop at {r:.0} op/s"),
            (None, ..) => "closed loop".to_string(),
        };
        println!(
            "Running {:?} ({what}, concurrency {}, {} connection(s)/shard, {} thread(s))",
            bench.kind, a.concurrency, a.connections, a.threads
        );
    }
    let s = bench.measure(&p).await?;
    print!("{}", report::format(&s));
    if let Some(path) = &a.json {
        write_json(path, &s)?;
    }
    if let Some(r) = p.rate {
        if s.op_rate < 0.95 * r {
            println!("WARNING: achieved {:.0} op/s, below the target {r:.0} op/s (raise --concurrency?)", s.op_rate);
        }
    }
    Ok(s)
}
