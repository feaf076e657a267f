//! The `io` time budget: parsing `--duration`, splitting it among phases, sizing the test file.

use crate::limits::{
    MAX_FREE_SPACE_FRACTION, MAX_TEST_FILE_BYTES, MIN_STEP_DURATION, MIN_TEST_FILE_BYTES, PHASE_WEIGHTS,
    TEST_FILE_BYTES_PER_BUDGET_SECOND,
};
use std::time::Duration;

/// Time given to each measurement phase.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PhaseBudgets {
    pub seq_write: Duration,
    pub seq_read: Duration,
    pub rand_read: Duration,
    pub rand_write: Duration,
    pub fsync: Duration,
}

impl PhaseBudgets {
    /// Splits `total` by `PHASE_WEIGHTS`.
    pub fn split(total: Duration) -> Self {
        let w = PHASE_WEIGHTS;
        let sum = f64::from(w.seq_write + w.seq_read + w.rand_read + w.rand_write + w.fsync);
        let part = |x: u32| total.mul_f64(f64::from(x) / sum);
        Self {
            seq_write: part(w.seq_write),
            seq_read: part(w.seq_read),
            rand_read: part(w.rand_read),
            rand_write: part(w.rand_write),
            fsync: part(w.fsync),
        }
    }
}

/// Time at each queue depth of a sweep of at most `steps` depths within `phase`.
pub fn step_duration(phase: Duration, steps: usize) -> Duration {
    (phase / steps.max(1) as u32).max(MIN_STEP_DURATION)
}

/// Test-file size for a budget, capped by the limits and by a fraction of the free space.
pub fn test_file_bytes(total: Duration, free_bytes: u64) -> u64 {
    let by_budget = (total.as_secs_f64() * TEST_FILE_BYTES_PER_BUDGET_SECOND as f64) as u64;
    let by_space = (free_bytes as f64 * MAX_FREE_SPACE_FRACTION) as u64;
    by_budget.clamp(MIN_TEST_FILE_BYTES, MAX_TEST_FILE_BYTES).min(by_space)
}

/// Parses `60s`, `90`, `2m`, `1500ms`, `1h` into a duration.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().map_err(|_| format!("invalid duration {s:?} (examples: 60s, 2m, 500ms)"))?;
    let secs = match unit.trim() {
        "" | "s" | "sec" | "secs" => n,
        "ms" => n / 1000.0,
        "m" | "min" => n * 60.0,
        "h" => n * 3600.0,
        other => return Err(format!("unknown duration unit {other:?} (use ms, s, m or h)")),
    };
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_adds_up_to_the_total() {
        let b = PhaseBudgets::split(Duration::from_secs(60));
        let sum = b.seq_write + b.seq_read + b.rand_read + b.rand_write + b.fsync;
        assert!(sum <= Duration::from_secs(60) && sum > Duration::from_millis(59_990));
        assert_eq!(b.seq_write, Duration::from_secs(12));
        assert_eq!(b.fsync, Duration::from_secs(6));
        assert_eq!(step_duration(Duration::from_secs(15), 8), Duration::from_millis(1875));
        assert_eq!(step_duration(Duration::from_millis(10), 8), MIN_STEP_DURATION);
    }

    #[test]
    fn file_size_follows_budget_and_space() {
        const GIB: u64 = 1 << 30;
        assert_eq!(test_file_bytes(Duration::from_secs(60), 100 * GIB), 480 << 20);
        assert_eq!(test_file_bytes(Duration::from_secs(1), 100 * GIB), MIN_TEST_FILE_BYTES);
        assert_eq!(test_file_bytes(Duration::from_secs(3600), 100 * GIB), MAX_TEST_FILE_BYTES);
        assert_eq!(test_file_bytes(Duration::from_secs(60), GIB), GIB / 10);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("1500ms"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("abc").is_err());
        assert!(parse_duration("5 parsecs").is_err());
    }
}
