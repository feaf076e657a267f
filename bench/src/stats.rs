//! Latency histograms and counters: recorded by the load slots into a few
//! mutex-guarded shards (one per client thread, so the lock is uncontended),
//! drained once per interval by the reporter, which prints the progress line.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::errors::{ErrorKind, KINDS};

/// Latencies are recorded in nanoseconds, 3 significant digits, up to 5 minutes.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, 300_000_000_000, 3).expect("histogram bounds")
}

/// Counters and latencies of one operation type.
#[derive(Clone)]
pub struct OpStats {
    pub hist: Histogram<u64>,
    pub ops: u64,
    pub rows: u64,
    pub errors: [u64; KINDS],
}

impl Default for OpStats {
    fn default() -> Self {
        OpStats { hist: new_histogram(), ops: 0, rows: 0, errors: [0; KINDS] }
    }
}

impl OpStats {
    pub fn add(&mut self, o: &OpStats) {
        self.hist.add(&o.hist).expect("same bounds");
        self.ops += o.ops;
        self.rows += o.rows;
        for (a, b) in self.errors.iter_mut().zip(o.errors) {
            *a += b;
        }
    }

    pub fn reset(&mut self) {
        self.hist.reset();
        self.ops = 0;
        self.rows = 0;
        self.errors = [0; KINDS];
    }

    pub fn error_count(&self) -> u64 {
        self.errors.iter().sum()
    }
}

struct Shard {
    ops: Vec<OpStats>,
    samples: BTreeMap<&'static str, String>,
}

/// Where slots record. Index the shard by slot id modulo [`Recorder::shards`].
pub struct Recorder {
    shards: Vec<Mutex<Shard>>,
    nops: usize,
}

impl Recorder {
    pub fn new(shards: usize, nops: usize) -> Self {
        Recorder {
            shards: (0..shards.max(1))
                .map(|_| {
                    Mutex::new(Shard { ops: (0..nops).map(|_| OpStats::default()).collect(), samples: BTreeMap::new() })
                })
                .collect(),
            nops,
        }
    }

    pub fn shards(&self) -> usize {
        self.shards.len()
    }

    #[inline]
    pub fn ok(&self, shard: usize, op: usize, latency: Duration, rows: u64) {
        let mut s = self.shards[shard].lock().unwrap();
        let o = &mut s.ops[op];
        o.hist.saturating_record(latency.as_nanos() as u64);
        o.ops += 1;
        o.rows += rows;
    }

    pub fn err(&self, shard: usize, op: usize, kind: ErrorKind, msg: impl FnOnce() -> String) {
        let mut s = self.shards[shard].lock().unwrap();
        s.ops[op].errors[kind.index()] += 1;
        if !s.samples.contains_key(kind.name()) {
            let m = msg();
            s.samples.insert(kind.name(), m);
        }
    }

    /// Move everything recorded since the last drain into `into` (one per op).
    pub fn drain(&self, into: &mut [OpStats], samples: &mut BTreeMap<String, String>) {
        debug_assert_eq!(into.len(), self.nops);
        for sh in &self.shards {
            let mut s = sh.lock().unwrap();
            for (dst, src) in into.iter_mut().zip(s.ops.iter_mut()) {
                dst.add(src);
                src.reset();
            }
            for (k, v) in std::mem::take(&mut s.samples) {
                samples.entry(k.to_string()).or_insert(v);
            }
        }
    }
}

/// Milliseconds from a nanosecond histogram value.
pub fn ms(ns: f64) -> f64 {
    ns / 1e6
}

pub const PROGRESS_HEADER: &str =
    "  time(s)   total ops       op/s      row/s    mean     med     .95     .99    .999     max  errors";

/// One progress line (latencies in ms) for an interval.
pub fn progress_line(t: f64, total_ops: u64, secs: f64, s: &OpStats) -> String {
    let h = &s.hist;
    let rate = |n: u64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
    let q = |p: f64| ms(h.value_at_quantile(p) as f64);
    format!(
        "{:>9.1} {:>11} {:>10.0} {:>10.0} {:>7.3} {:>7.3} {:>7.3} {:>7.3} {:>7.3} {:>7.3} {:>7}",
        t,
        total_ops,
        rate(s.ops),
        rate(s.rows),
        ms(h.mean()),
        q(0.5),
        q(0.95),
        q(0.99),
        q(0.999),
        ms(h.max() as f64),
        s.error_count()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_drain_progress() {
        let r = Recorder::new(2, 2);
        r.ok(0, 0, Duration::from_micros(500), 1);
        r.ok(1, 0, Duration::from_micros(1500), 1);
        r.ok(1, 1, Duration::from_millis(2), 10);
        r.err(0, 1, ErrorKind::Timeout, || "boom".into());
        r.err(0, 1, ErrorKind::Timeout, || unreachable!("only first sample kept"));
        let mut out = vec![OpStats::default(), OpStats::default()];
        let mut samples = BTreeMap::new();
        r.drain(&mut out, &mut samples);
        assert_eq!(out[0].ops, 2);
        assert_eq!(out[1].rows, 10);
        assert_eq!(out[1].errors[ErrorKind::Timeout.index()], 2);
        assert_eq!(samples["timeout"], "boom");
        let line = progress_line(1.0, 3, 1.0, &out[0]);
        assert!(line.contains(" 1.000 "), "{line}");
        // drained shards are empty
        let mut again = vec![OpStats::default(), OpStats::default()];
        r.drain(&mut again, &mut samples);
        assert_eq!(again[0].ops + again[1].ops, 0);
    }
}
