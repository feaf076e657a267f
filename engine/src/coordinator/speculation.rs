//! Speculative retry (the table option `speculative_retry`, Cassandra's syntax): when a
//! contacted replica has not answered a read within a delay, one more replica is asked, so
//! a slow or paused node does not hold the read up to its timeout. The delay is fixed
//! (`'50ms'`), a percentile of this shard's recent coordinated read latencies (`'99p'`,
//! `'99.0PERCENTILE'`), immediate (`'ALWAYS'`) or never (`'NONE'`).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::time::Duration;

/// Recent read latencies kept per shard for percentile delays.
pub const LATENCY_SAMPLES_MAX: usize = 256;
/// The percentile is recomputed after this many new samples.
pub const LATENCY_RECOMPUTE_EVERY: u32 = 32;
/// Samples needed before a percentile is trusted; until then the fallback applies.
pub const LATENCY_SAMPLES_MIN: usize = 16;
/// The delay of a percentile policy before enough samples exist.
pub const SPECULATION_FALLBACK_DELAY: Duration = Duration::from_millis(50);
/// The least speculation delay of a percentile policy (a floor against noise).
pub const SPECULATION_DELAY_MIN: Duration = Duration::from_millis(1);

/// A table's `speculative_retry` policy.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SpeculativeRetry {
    Never,
    Always,
    Fixed(Duration),
    Percentile(f64),
}

impl SpeculativeRetry {
    /// Reads the option as Cassandra writes it; what it cannot read is the default, 99p.
    pub fn parse(option: &str) -> SpeculativeRetry {
        let upper = option.trim().to_ascii_uppercase();
        if upper == "NONE" {
            return SpeculativeRetry::Never;
        }
        if upper == "ALWAYS" {
            return SpeculativeRetry::Always;
        }
        if let Some(ms) = upper.strip_suffix("MS").and_then(|n| n.trim().parse::<f64>().ok()) {
            if ms.is_finite() && ms >= 0.0 {
                return SpeculativeRetry::Fixed(Duration::from_micros((ms * 1000.0) as u64));
            }
        }
        let percentile = upper.strip_suffix("PERCENTILE").or_else(|| upper.strip_suffix('P'));
        if let Some(p) = percentile.and_then(|n| n.trim().parse::<f64>().ok()) {
            if p > 0.0 && p < 100.0 {
                return SpeculativeRetry::Percentile(p);
            }
        }
        SpeculativeRetry::Percentile(99.0)
    }
}

/// This shard's recent coordinated read latencies.
#[derive(Debug, Default)]
pub struct ReadLatencies {
    samples: RefCell<VecDeque<u32>>,
    since_recompute: Cell<u32>,
    /// (percentile, its latency) last computed.
    cached: Cell<Option<(f64, Duration)>>,
}

impl ReadLatencies {
    pub fn record(&self, took: Duration) {
        let mut samples = self.samples.borrow_mut();
        if samples.len() == LATENCY_SAMPLES_MAX {
            samples.pop_front();
        }
        samples.push_back(took.as_micros().min(u32::MAX as u128) as u32);
        self.since_recompute.set(self.since_recompute.get() + 1);
    }

    /// How long to wait before asking one more replica under `policy` (`None`: never).
    pub fn delay(&self, policy: SpeculativeRetry) -> Option<Duration> {
        match policy {
            SpeculativeRetry::Never => None,
            SpeculativeRetry::Always => Some(Duration::ZERO),
            SpeculativeRetry::Fixed(d) => Some(d),
            SpeculativeRetry::Percentile(p) => Some(self.percentile(p)),
        }
    }

    fn percentile(&self, p: f64) -> Duration {
        if let Some((cached_p, d)) = self.cached.get() {
            if cached_p == p && self.since_recompute.get() < LATENCY_RECOMPUTE_EVERY {
                return d;
            }
        }
        let samples = self.samples.borrow();
        if samples.len() < LATENCY_SAMPLES_MIN {
            return SPECULATION_FALLBACK_DELAY;
        }
        let mut sorted: Vec<u32> = samples.iter().copied().collect();
        sorted.sort_unstable();
        let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
        let d = Duration::from_micros(sorted[rank.min(sorted.len() - 1)] as u64).max(SPECULATION_DELAY_MIN);
        self.cached.set(Some((p, d)));
        self.since_recompute.set(0);
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_read_as_cassandra_writes_them() {
        assert_eq!(SpeculativeRetry::parse("NONE"), SpeculativeRetry::Never);
        assert_eq!(SpeculativeRetry::parse("always"), SpeculativeRetry::Always);
        assert_eq!(SpeculativeRetry::parse("50ms"), SpeculativeRetry::Fixed(Duration::from_millis(50)));
        assert_eq!(SpeculativeRetry::parse("2.5MS"), SpeculativeRetry::Fixed(Duration::from_micros(2500)));
        assert_eq!(SpeculativeRetry::parse("99p"), SpeculativeRetry::Percentile(99.0));
        assert_eq!(SpeculativeRetry::parse("95.0PERCENTILE"), SpeculativeRetry::Percentile(95.0));
        assert_eq!(SpeculativeRetry::parse("nonsense"), SpeculativeRetry::Percentile(99.0));
    }

    #[test]
    fn percentiles_come_from_recent_reads() {
        let latencies = ReadLatencies::default();
        assert_eq!(latencies.delay(SpeculativeRetry::Percentile(99.0)), Some(SPECULATION_FALLBACK_DELAY));
        for ms in 1..=100u64 {
            latencies.record(Duration::from_millis(ms));
        }
        assert_eq!(latencies.delay(SpeculativeRetry::Percentile(50.0)), Some(Duration::from_millis(51)));
        assert_eq!(latencies.delay(SpeculativeRetry::Never), None);
    }
}
