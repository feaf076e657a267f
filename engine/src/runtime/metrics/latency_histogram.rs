//! Per-shard request latency histograms with fixed log-spaced buckets, exported in
//! Prometheus' histogram format. Only the owning shard records (relaxed atomic adds on
//! its own cache lines); the endpoint on shard 0 reads them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the buckets, in microseconds (the last bucket is +Inf).
pub const BUCKET_BOUNDS_US: [u64; 20] = [
    25, 50, 100, 200, 300, 500, 750, 1_000, 1_500, 2_000, 3_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000,
    500_000, 1_000_000, 10_000_000,
];

#[derive(Debug, Default)]
pub struct LatencyHistogram {
    /// Non-cumulative counts; index `BUCKET_BOUNDS_US.len()` is the +Inf bucket.
    buckets: [AtomicU64; BUCKET_BOUNDS_US.len() + 1],
    sum_ns: AtomicU64,
    count: AtomicU64,
}

impl LatencyHistogram {
    pub fn record(&self, latency: Duration) {
        let us = latency.as_micros() as u64;
        let bucket = BUCKET_BOUNDS_US.partition_point(|&bound| bound < us);
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        self.sum_ns.fetch_add(latency.as_nanos() as u64, Ordering::Relaxed);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    /// Cumulative counts per bucket (Prometheus `le` semantics), the sum in seconds, the count.
    pub fn snapshot(&self) -> (Vec<(Option<u64>, u64)>, f64, u64) {
        let mut cumulative = 0;
        let mut out = Vec::with_capacity(self.buckets.len());
        for (i, bucket) in self.buckets.iter().enumerate() {
            cumulative += bucket.load(Ordering::Relaxed);
            out.push((BUCKET_BOUNDS_US.get(i).copied(), cumulative));
        }
        let sum = self.sum_ns.load(Ordering::Relaxed) as f64 / 1e9;
        (out, sum, self.count.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_bounded() {
        let h = LatencyHistogram::default();
        h.record(Duration::from_micros(10));
        h.record(Duration::from_micros(25));
        h.record(Duration::from_micros(26));
        h.record(Duration::from_secs(100));
        let (buckets, sum, count) = h.snapshot();
        assert_eq!(count, 4);
        assert_eq!(buckets[0], (Some(25), 2), "le=25us holds 10us and 25us");
        assert_eq!(buckets[1], (Some(50), 3));
        assert_eq!(buckets.last().unwrap(), &(None, 4), "+Inf holds everything");
        assert!(sum > 100.0);
    }
}
