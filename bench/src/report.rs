//! The final summary: cassandra-stress labels on stdout, the same data as JSON.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::errors::ErrorKind;
use crate::runner::PhaseResult;
use crate::server_metrics::ServerDelta;
use crate::stats::{ms, OpStats};

/// Latencies in milliseconds.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct Latency {
    pub mean: f64,
    pub median: f64,
    pub p95: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
}

impl Latency {
    pub fn of(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Latency::default();
        }
        let q = |p| ms(h.value_at_quantile(p) as f64);
        Latency {
            mean: ms(h.mean()),
            median: q(0.5),
            p95: q(0.95),
            p99: q(0.99),
            p999: q(0.999),
            max: ms(h.max() as f64),
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct OpSummary {
    pub name: String,
    pub ops: u64,
    pub rows: u64,
    pub op_rate: f64,
    pub row_rate: f64,
    pub latency: Latency,
    pub errors: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ServerSummary {
    #[serde(flatten)]
    pub delta: ServerDelta,
    pub cpu_us_per_op: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    pub workload: String,
    pub op_rate: f64,
    pub row_rate: f64,
    pub latency: Latency,
    pub total_ops: u64,
    pub total_rows: u64,
    pub total_errors: u64,
    pub errors_by_kind: BTreeMap<String, u64>,
    pub error_samples: BTreeMap<String, String>,
    pub duration_seconds: f64,
    pub target_rate: Option<f64>,
    pub concurrency: usize,
    pub connections_per_shard: usize,
    pub client_threads: usize,
    pub per_op: Vec<OpSummary>,
    pub client_cpu_seconds: f64,
    pub client_cpu_us_per_op: f64,
    pub server: Option<ServerSummary>,
    pub server_note: Option<String>,
}

/// Run shape carried into the summary.
pub struct RunInfo {
    pub workload: String,
    pub target_rate: Option<f64>,
    pub concurrency: usize,
    pub connections: usize,
    pub threads: usize,
}

fn op_summary(name: &str, o: &OpStats, secs: f64) -> OpSummary {
    OpSummary {
        name: name.to_string(),
        ops: o.ops,
        rows: o.rows,
        op_rate: o.ops as f64 / secs,
        row_rate: o.rows as f64 / secs,
        latency: Latency::of(&o.hist),
        errors: o.error_count(),
    }
}

pub fn build(info: RunInfo, names: &[String], r: &PhaseResult, server: Result<ServerDelta, String>) -> Summary {
    let secs = r.elapsed.as_secs_f64().max(1e-9);
    let total = r.total();
    let all = op_summary("total", &total, secs);
    let attempts = (total.ops + total.error_count()).max(1) as f64;
    let errors_by_kind = ErrorKind::ALL
        .iter()
        .filter(|k| total.errors[k.index()] > 0)
        .map(|k| (k.name().to_string(), total.errors[k.index()]))
        .collect();
    let (server, server_note) = match server {
        Ok(d) => {
            let us = d.cpu_seconds.map(|c| c * 1e6 / attempts);
            (Some(ServerSummary { delta: d, cpu_us_per_op: us }), None)
        }
        Err(note) => (None, Some(note)),
    };
    Summary {
        workload: info.workload,
        op_rate: all.op_rate,
        row_rate: all.row_rate,
        latency: all.latency,
        total_ops: total.ops,
        total_rows: total.rows,
        total_errors: all.errors,
        errors_by_kind,
        error_samples: r.error_samples.clone(),
        duration_seconds: secs,
        target_rate: info.target_rate,
        concurrency: info.concurrency,
        connections_per_shard: info.connections,
        client_threads: info.threads,
        per_op: names.iter().zip(&r.per_op).map(|(n, o)| op_summary(n, o, secs)).collect(),
        client_cpu_seconds: r.client_cpu_seconds,
        client_cpu_us_per_op: r.client_cpu_seconds * 1e6 / attempts,
        server,
        server_note,
    }
}

/// `HH:MM:SS`.
pub fn hms(secs: f64) -> String {
    let s = secs.round() as u64;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

fn line(out: &mut String, label: &str, value: String) {
    let _ = writeln!(out, "{label:<26}: {value}");
}

/// The cassandra-stress style result block.
pub fn format(s: &Summary) -> String {
    let mut o = String::from("\nResults:\n");
    let multi = s.per_op.len() > 1;
    let per = |f: &dyn Fn(&OpSummary) -> String| -> String {
        if multi {
            let parts: Vec<String> = s.per_op.iter().map(|p| format!("{}: {}", p.name, f(p))).collect();
            format!("  [{}]", parts.join(", "))
        } else {
            String::new()
        }
    };
    line(&mut o, "Op rate", format!("{:.0} op/s{}", s.op_rate, per(&|p| format!("{:.0} op/s", p.op_rate))));
    line(&mut o, "Row rate", format!("{:.0} row/s{}", s.row_rate, per(&|p| format!("{:.0} row/s", p.row_rate))));
    type Pick = fn(&Latency) -> f64;
    let lat: [(&str, Pick); 6] = [
        ("Latency mean", |l| l.mean),
        ("Latency median", |l| l.median),
        ("Latency 95th percentile", |l| l.p95),
        ("Latency 99th percentile", |l| l.p99),
        ("Latency 99.9th percentile", |l| l.p999),
        ("Latency max", |l| l.max),
    ];
    for (label, f) in lat {
        line(&mut o, label, format!("{:.3} ms{}", f(&s.latency), per(&|p| format!("{:.3} ms", f(&p.latency)))));
    }
    line(&mut o, "Total operations", format!("{}", s.total_ops));
    let kinds: Vec<String> = s.errors_by_kind.iter().map(|(k, v)| format!("{k}: {v}")).collect();
    let kinds = if kinds.is_empty() { String::new() } else { format!("  [{}]", kinds.join(", ")) };
    line(&mut o, "Total errors", format!("{}{kinds}", s.total_errors));
    line(&mut o, "Total operation time", hms(s.duration_seconds));
    for (kind, msg) in &s.error_samples {
        let _ = writeln!(o, "  first {kind} error: {msg}");
    }
    let _ = writeln!(o);
    line(
        &mut o,
        "Client CPU",
        format!(
            "{:.2} us/op  ({:.2} s on {} thread(s))",
            s.client_cpu_us_per_op, s.client_cpu_seconds, s.client_threads
        ),
    );
    match (&s.server, &s.server_note) {
        (Some(sv), _) => {
            let cpu = match (sv.cpu_us_per_op, sv.delta.cpu_seconds) {
                (Some(us), Some(c)) => format!("{us:.2} us/op  ({c:.2} s)"),
                _ => "n/a (no process_cpu_seconds_total)".into(),
            };
            line(&mut o, "Server CPU", cpu);
            let fwd: u64 = sv.delta.forwarded_per_shard.values().sum();
            line(
                &mut o,
                "Server requests",
                format!(
                    "{} (forwarded {fwd}, errors {})",
                    sv.delta.requests,
                    sv.delta.errors.map_or("n/a".into(), |e| e.to_string())
                ),
            );
            for (shard, req) in &sv.delta.requests_per_shard {
                let local = sv.delta.local_per_shard.get(shard).copied().unwrap_or(0);
                let f = sv.delta.forwarded_per_shard.get(shard).copied().unwrap_or(0);
                let latency =
                    sv.delta.mean_latency_ms_per_shard.get(shard).map_or("n/a".into(), |ms| format!("{ms:.3} ms"));
                let busy =
                    sv.delta.reactor_busy_seconds_per_shard.get(shard).map_or("n/a".into(), |s| format!("{s:.2} s"));
                line(
                    &mut o,
                    &format!("  shard {shard}"),
                    format!("requests {req}, local {local}, forwarded {f}, server mean latency {latency}, reactor busy {busy}"),
                );
            }
        }
        (None, Some(note)) => line(&mut o, "Server metrics", format!("skipped ({note})")),
        (None, None) => {}
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Recorder;
    use std::time::Duration;

    fn result() -> PhaseResult {
        let r = Recorder::new(1, 2);
        for i in 0..1000u64 {
            r.ok(0, (i % 2) as usize, Duration::from_micros(100 + i), 1);
        }
        r.err(0, 1, ErrorKind::Overloaded, || "read: overloaded".into());
        let mut per_op = vec![OpStats::default(), OpStats::default()];
        let mut error_samples = BTreeMap::new();
        r.drain(&mut per_op, &mut error_samples);
        PhaseResult { elapsed: Duration::from_secs(2), per_op, error_samples, client_cpu_seconds: 0.01 }
    }

    fn info() -> RunInfo {
        RunInfo { workload: "mixed".into(), target_rate: None, concurrency: 8, connections: 1, threads: 1 }
    }

    #[test]
    fn summary_lines() {
        let names = vec!["write".to_string(), "read".to_string()];
        let s = build(info(), &names, &result(), Err("unreachable".into()));
        let text = format(&s);
        assert!(text.contains("\nOp rate                   : 500 op/s  [write: 250 op/s, read: 250 op/s]\n"), "{text}");
        for label in [
            "Latency mean              : ",
            "Latency median            : ",
            "Latency 95th percentile   : ",
            "Latency 99th percentile   : ",
            "Latency 99.9th percentile : ",
            "Latency max               : ",
            "Total errors              : 1  [overloaded: 1]",
            "Total operation time      : 00:00:02",
            "Server metrics            : skipped (unreachable)",
        ] {
            assert!(text.contains(label), "missing {label:?} in\n{text}");
        }
        assert!((s.client_cpu_us_per_op - 0.01e6 / 1001.0).abs() < 1e-6);
        let json = serde_json::to_value(&s).unwrap();
        assert_eq!(json["total_ops"], 1000);
        assert_eq!(json["errors_by_kind"]["overloaded"], 1);
    }

    #[test]
    fn hms_format() {
        assert_eq!(hms(3723.4), "01:02:03");
        assert_eq!(hms(0.2), "00:00:00");
    }

    #[test]
    fn latency_ms() {
        let mut h = crate::stats::new_histogram();
        h.record(2_000_000).unwrap();
        let l = Latency::of(&h);
        assert!((l.median - 2.0).abs() < 0.01);
    }
}
