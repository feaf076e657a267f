//! One load phase: `--concurrency` slots (one tokio task each) claim requests
//! from the shared [`Schedule`], execute the chosen prepared operation and record
//! into the [`Recorder`]; a reporter thread drains it every second for the
//! progress line and the HDR interval log.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, Result};
use scylla::client::session::Session;
use tokio::sync::Semaphore;

use crate::errors::{classify, classify_prepare, ErrorKind};
use crate::hdr_log::{self, HdrOut};
use crate::rate::{measure_from, Schedule};
use crate::rng::{mix64, Rng};
use crate::stats::{progress_line, OpStats, Recorder, PROGRESS_HEADER};
use crate::values::RawRow;
use crate::workload::Workload;

/// What to run.
#[derive(Clone, Debug, Default)]
pub struct Phase {
    pub label: String,
    pub duration: Option<Duration>,
    pub ops: Option<u64>,
    pub rate: Option<f64>,
    pub concurrency: usize,
    pub shards: usize,
    pub seed: u64,
    pub progress: bool,
    pub hdr_log: Option<PathBuf>,
}

/// What happened.
pub struct PhaseResult {
    pub elapsed: Duration,
    pub per_op: Vec<OpStats>,
    pub error_samples: BTreeMap<String, String>,
    pub client_cpu_seconds: f64,
}

impl PhaseResult {
    pub fn total(&self) -> OpStats {
        let mut t = OpStats::default();
        for o in &self.per_op {
            t.add(o);
        }
        t
    }
}

pub async fn run_phase(session: &Arc<Session>, wl: &Arc<Workload>, p: &Phase) -> Result<PhaseResult> {
    let rec = Arc::new(Recorder::new(p.shards, wl.ops.len()));
    let start = Instant::now();
    let wall = SystemTime::now();
    let sched = Arc::new(Schedule::new(start, p.rate, p.ops, p.duration));
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let reporter = {
        let (rec, names, p) = (rec.clone(), wl.op_names(), p.clone());
        std::thread::Builder::new()
            .name("bench-reporter".into())
            .spawn(move || report_loop(&rec, &names, &p, start, wall, stop_rx))?
    };
    let cpu0 = crate::cpu::process_cpu_seconds();
    let nslots = p.concurrency.max(1);
    // Open loop: a timerfd ticker hands out one permit per due request.
    let gate = p.rate.map(|_| Arc::new(Semaphore::new(0)));
    let ticker = match (p.rate, &gate) {
        (Some(r), Some(g)) => Some(tokio::spawn(crate::ticker::run(r, start, sched.clone(), g.clone(), nslots))),
        _ => None,
    };
    let slots: Vec<_> = (0..nslots)
        .map(|id| {
            let (s, w, sc, r, g) = (session.clone(), wl.clone(), sched.clone(), rec.clone(), gate.clone());
            tokio::spawn(slot(id, s, w, sc, r, g, p.seed))
        })
        .collect();
    for s in slots {
        s.await.context("load slot panicked")?;
    }
    if let Some(t) = ticker {
        t.await.context("ticker panicked")?.context("open-loop ticker (timerfd)")?;
    }
    let elapsed = start.elapsed();
    let client_cpu_seconds = crate::cpu::process_cpu_seconds() - cpu0;
    drop(stop_tx);
    let (per_op, error_samples) = reporter.join().expect("reporter thread")?;
    Ok(PhaseResult { elapsed, per_op, error_samples, client_cpu_seconds })
}

/// One in-flight request slot.
async fn slot(
    id: usize,
    session: Arc<Session>,
    wl: Arc<Workload>,
    sched: Arc<Schedule>,
    rec: Arc<Recorder>,
    gate: Option<Arc<Semaphore>>,
    seed: u64,
) {
    let mut rng = Rng::new(seed ^ mix64(id as u64 + 1));
    let mut row = RawRow::with_capacity(512, 16);
    let shard = id % rec.shards();
    loop {
        if let Some(g) = &gate {
            match g.acquire().await {
                Ok(p) => p.forget(),
                Err(_) => break,
            }
        }
        let Some(due) = sched.next() else { break };
        let from = measure_from(due, Instant::now());
        let i = wl.choose(&mut rng);
        let op = &wl.ops[i];
        row.fill(&op.gens, &mut rng, &wl.pool);
        let Some(stmt) = &op.stmt else {
            // Not preparable: ask again so the server's current answer is counted.
            match session.prepare(op.cql.as_str()).await {
                Ok(_) => rec.err(shard, i, ErrorKind::Other, || format!("{}: prepared late; restart the run", op.name)),
                Err(e) => rec.err(shard, i, classify_prepare(&e), || format!("{}: {e}", op.name)),
            }
            continue;
        };
        match session.execute_unpaged(stmt, &row).await {
            Ok(res) => {
                let latency = from.elapsed();
                let rows =
                    if op.reads_rows { res.into_rows_result().map(|r| r.rows_num() as u64).unwrap_or(0) } else { 1 };
                rec.ok(shard, i, latency, rows);
            }
            Err(e) => rec.err(shard, i, classify(&e), || format!("{}: {e}", op.name)),
        }
    }
}

type Drained = (Vec<OpStats>, BTreeMap<String, String>);

/// Reporter thread: drain every second, print, log; return the totals at the end.
fn report_loop(
    rec: &Recorder,
    names: &[String],
    p: &Phase,
    start: Instant,
    wall: SystemTime,
    stop: mpsc::Receiver<()>,
) -> Result<Drained> {
    let n = names.len();
    let mut hdr_out = match &p.hdr_log {
        Some(path) => Some(HdrOut::create(path, wall, &format!("percore-bench {} ({})", p.label, names.join(",")))?),
        None => None,
    };
    let mut hdr = hdr_out.as_mut().map(|h| h.writer()).transpose()?;
    let mut totals: Vec<OpStats> = (0..n).map(|_| OpStats::default()).collect();
    let mut interval: Vec<OpStats> = (0..n).map(|_| OpStats::default()).collect();
    let mut all = OpStats::default();
    let mut samples = BTreeMap::new();
    let mut total_ops = 0;
    let mut last = start;
    let mut tick = 1u64;
    if p.progress {
        println!("{PROGRESS_HEADER}");
    }
    loop {
        let next = start + Duration::from_secs(tick);
        let wait = next.saturating_duration_since(Instant::now());
        let finished = !matches!(stop.recv_timeout(wait), Err(mpsc::RecvTimeoutError::Timeout));
        let now = Instant::now();
        rec.drain(&mut interval, &mut samples);
        all.reset();
        for (t, i) in totals.iter_mut().zip(&interval) {
            all.add(i);
            t.add(i);
        }
        total_ops += all.ops;
        let secs = (now - last).as_secs_f64();
        if p.progress && (all.ops > 0 || all.error_count() > 0 || !finished) {
            println!("{}", progress_line((now - start).as_secs_f64(), total_ops, secs, &all));
        }
        if let Some(w) = hdr.as_mut() {
            let (from, len) = (last - start, now - last);
            hdr_log::write(w, &all.hist, from, len, None)?;
            if n > 1 {
                for (name, i) in names.iter().zip(&interval) {
                    hdr_log::write(w, &i.hist, from, len, Some(name))?;
                }
            }
        }
        for i in &mut interval {
            i.reset();
        }
        last = now;
        tick = (now - start).as_secs() + 1;
        if finished {
            break;
        }
    }
    drop(hdr);
    drop(hdr_out);
    Ok((totals, samples))
}
