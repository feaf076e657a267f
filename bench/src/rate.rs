//! The operation schedule shared by all in-flight slots.
//!
//! Closed loop (no `--rate`): a slot starts its next request as soon as the
//! previous one completes; latency is measured from the actual send.
//!
//! Open loop (`--rate R`): request `i` is due at `start + i/R` whatever happens to
//! earlier requests, and its latency is measured from that intended time, so a
//! stalled server is charged for every request it delayed (coordinated-omission
//! correction). Pacing is done by [`crate::ticker`] (timerfd, not tokio's 1 ms
//! timer wheel); a request released a few µs early counts from its actual send.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

pub struct Schedule {
    start: Instant,
    rate: Option<f64>,
    limit: Option<u64>,
    end: Option<Instant>,
    next: AtomicU64,
}

impl Schedule {
    pub fn new(start: Instant, rate: Option<f64>, limit: Option<u64>, duration: Option<Duration>) -> Self {
        Schedule { start, rate, limit, end: duration.map(|d| start + d), next: AtomicU64::new(0) }
    }

    /// Offset of request `i`'s intended start from the schedule start.
    pub fn intended_offset(rate: f64, i: u64) -> Duration {
        Duration::from_nanos((i as f64 * 1e9 / rate) as u64)
    }

    /// Whether request `i` belongs to the run (within `--ops` and `--duration`).
    pub fn is_due_index(&self, i: u64) -> bool {
        if self.limit.is_some_and(|l| i >= l) {
            return false;
        }
        match (self.rate, self.end) {
            (Some(r), Some(e)) => self.start + Self::intended_offset(r, i) < e,
            _ => true,
        }
    }

    /// Claim the next request: `None` when the run is over; `Some(None)` in closed
    /// loop; `Some(Some(t))` with the intended start `t` in open loop.
    #[inline]
    pub fn next(&self) -> Option<Option<Instant>> {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        if self.limit.is_some_and(|l| i >= l) {
            return None;
        }
        match self.rate {
            Some(r) => {
                let due = self.start + Self::intended_offset(r, i);
                if self.end.is_some_and(|e| due >= e) {
                    return None;
                }
                Some(Some(due))
            }
            None => {
                if self.end.is_some_and(|e| Instant::now() >= e) {
                    return None;
                }
                Some(None)
            }
        }
    }
}

/// The instant latency is measured from: the intended start if the request is
/// on time or late (charging the delay), the actual send if released early.
#[inline]
pub fn measure_from(due: Option<Instant>, now: Instant) -> Instant {
    match due {
        Some(d) if d <= now => d,
        _ => now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_loop_intended_times() {
        let t0 = Instant::now();
        let s = Schedule::new(t0, Some(1000.0), Some(5), None);
        let due: Vec<Duration> = std::iter::from_fn(|| s.next()).map(|d| d.unwrap() - t0).collect();
        assert_eq!(due, (0..5).map(Duration::from_millis).collect::<Vec<_>>());
        assert_eq!(Schedule::intended_offset(4.0, 10), Duration::from_millis(2500));
    }

    #[test]
    fn open_loop_stops_at_duration() {
        let t0 = Instant::now();
        let s = Schedule::new(t0, Some(100.0), None, Some(Duration::from_secs(1)));
        assert_eq!(std::iter::from_fn(|| s.next()).count(), 100);
    }

    #[test]
    fn closed_loop_limit() {
        let s = Schedule::new(Instant::now(), None, Some(3), None);
        assert_eq!(std::iter::from_fn(|| s.next()).collect::<Vec<_>>(), vec![None, None, None]);
    }

    #[test]
    fn measure_from_charges_lateness_only() {
        let now = Instant::now();
        let late = now - Duration::from_millis(3);
        assert_eq!(measure_from(Some(late), now), late);
        assert_eq!(measure_from(Some(now + Duration::from_micros(5)), now), now);
        assert_eq!(measure_from(None, now), now);
        let s = Schedule::new(now, Some(10.0), None, Some(Duration::from_secs(1)));
        assert!(s.is_due_index(9));
        assert!(!s.is_due_index(10));
    }
}
