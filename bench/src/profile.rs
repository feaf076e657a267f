//! `percore-bench profile`: find the closed-loop maximum throughput, then run
//! open-loop steps at fractions of it and write a report directory:
//! `profile.svg` (p50/p99/p99.9 vs throughput), `profile.md`, `profile.csv`,
//! `profile.json` and one HDR interval log per step.

use std::fmt::Write as _;

use anyhow::{Context, Result};
use serde::Serialize;

use crate::args::ProfileArgs;
use crate::report::Summary;
use crate::run::{write_json, Bench};
use crate::svg::{latency_chart, Point};

#[derive(Clone, Debug, Serialize)]
pub struct Step {
    pub label: String,
    pub percent: Option<f64>,
    pub target_rate: Option<f64>,
    pub summary: Summary,
}

pub async fn run(p: ProfileArgs) -> Result<()> {
    std::fs::create_dir_all(&p.out).with_context(|| format!("creating {}", p.out.display()))?;
    let bench = Bench::setup(p.workload, p.run.clone()).await?;
    bench.warmup().await?;
    let d = Some(p.step_duration);
    let mut steps = Vec::new();

    let max = match p.max_rate {
        Some(m) => m,
        None => {
            println!("== max throughput (closed loop, {:?})", p.step_duration);
            let mut ph = bench.phase("max", d, None, None);
            ph.hdr_log = Some(p.out.join("max.hlog"));
            let s = bench.measure(&ph).await?;
            print!("{}", crate::report::format(&s));
            let m = s.op_rate;
            steps.push(Step { label: "max".into(), percent: None, target_rate: None, summary: s });
            m
        }
    };
    anyhow::ensure!(max > 0.0, "maximum throughput is zero (all operations failed?)");

    for &pct in &p.steps {
        let rate = max * pct / 100.0;
        println!("== step {pct}% of {max:.0} op/s = {rate:.0} op/s (open loop, {:?})", p.step_duration);
        let mut ph = bench.phase(&format!("{pct}%"), d, None, Some(rate));
        ph.hdr_log = Some(p.out.join(format!("step-{pct:03}.hlog")));
        let s = bench.measure(&ph).await?;
        print!("{}", crate::report::format(&s));
        steps.push(Step { label: format!("{pct}%"), percent: Some(pct), target_rate: Some(rate), summary: s });
    }

    let title = format!("percore-bench {:?}: latency vs throughput", p.workload).to_lowercase();
    std::fs::write(p.out.join("profile.svg"), latency_chart(&title, &points(&steps)))?;
    std::fs::write(p.out.join("profile.md"), markdown(&title, max, &steps))?;
    std::fs::write(p.out.join("profile.csv"), csv(&steps))?;
    write_json(&p.out.join("profile.json"), &steps)?;
    println!("\nReport written to {}", p.out.display());
    print!("{}", markdown(&title, max, &steps));
    Ok(())
}

fn points(steps: &[Step]) -> Vec<Point> {
    steps
        .iter()
        .filter(|s| s.summary.total_ops > 0)
        .map(|s| Point {
            ops: s.summary.op_rate,
            p50: s.summary.latency.median,
            p99: s.summary.latency.p99,
            p999: s.summary.latency.p999,
        })
        .collect()
}

fn server_us(s: &Summary) -> String {
    s.server.as_ref().and_then(|v| v.cpu_us_per_op).map_or("n/a".into(), |v| format!("{v:.1}"))
}

pub fn markdown(title: &str, max: f64, steps: &[Step]) -> String {
    let mut o = format!("# {title}\n\nMaximum (closed loop): {max:.0} op/s\n\n");
    o.push_str("| step | target op/s | achieved op/s | p50 ms | p99 ms | p99.9 ms | max ms | errors | client µs/op | server µs/op |\n");
    o.push_str("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for s in steps {
        let l = &s.summary.latency;
        let _ = writeln!(
            o,
            "| {} | {} | {:.0} | {:.3} | {:.3} | {:.3} | {:.3} | {} | {:.2} | {} |",
            s.label,
            s.target_rate.map_or("max".into(), |r| format!("{r:.0}")),
            s.summary.op_rate,
            l.median,
            l.p99,
            l.p999,
            l.max,
            s.summary.total_errors,
            s.summary.client_cpu_us_per_op,
            server_us(&s.summary)
        );
    }
    o.push_str("\n![latency vs throughput](profile.svg)\n");
    o
}

pub fn csv(steps: &[Step]) -> String {
    let mut o = String::from(
        "step,target_ops,achieved_ops,p50_ms,p99_ms,p999_ms,max_ms,errors,client_us_per_op,server_us_per_op\n",
    );
    for s in steps {
        let l = &s.summary.latency;
        let _ = writeln!(
            o,
            "{},{},{:.1},{:.4},{:.4},{:.4},{:.4},{},{:.3},{}",
            s.label,
            s.target_rate.map_or(String::new(), |r| format!("{r:.1}")),
            s.summary.op_rate,
            l.median,
            l.p99,
            l.p999,
            l.max,
            s.summary.total_errors,
            s.summary.client_cpu_us_per_op,
            s.summary.server.as_ref().and_then(|v| v.cpu_us_per_op).map_or(String::new(), |v| format!("{v:.3}"))
        );
    }
    o
}
