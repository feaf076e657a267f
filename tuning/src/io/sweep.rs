//! Queue-depth sweeps: raise the depth until throughput stops growing, keep the best point.

use crate::limits::{PLATEAU_MIN_GAIN, PLATEAU_PATIENCE};
use serde::Serialize;

/// One measured queue depth.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Point {
    pub depth: u32,
    pub value: f64,
}

/// Points of one sweep, in the order measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Sweep {
    pub points: Vec<Point>,
    /// Consecutive points so far that did not grow.
    #[serde(skip)]
    misses: usize,
}

impl Sweep {
    /// Records a point; returns whether a deeper queue is still worth trying: false once
    /// `PLATEAU_PATIENCE` consecutive points failed to beat the best before them by `PLATEAU_MIN_GAIN`.
    pub fn record(&mut self, depth: u32, value: f64) -> bool {
        let grew = self.best().is_none_or(|best| !is_plateau(best.value, value));
        self.misses = if grew { 0 } else { self.misses + 1 };
        self.points.push(Point { depth, value });
        self.misses < PLATEAU_PATIENCE
    }

    /// The point with the highest value (the shallowest one on ties).
    pub fn best(&self) -> Option<Point> {
        self.points.iter().copied().fold(None, |acc: Option<Point>, p| match acc {
            Some(a) if a.value >= p.value => Some(a),
            _ => Some(p),
        })
    }
}

/// Whether `current` fails to beat `best` by the minimum gain.
pub fn is_plateau(best: f64, current: f64) -> bool {
    current < best * PLATEAU_MIN_GAIN
}

/// Runs `measure` at each depth in order until the plateau (or `measure` says stop by returning `None`).
pub fn sweep(depths: &[u32], mut measure: impl FnMut(u32) -> anyhow::Result<Option<f64>>) -> anyhow::Result<Sweep> {
    let mut s = Sweep::default();
    for &d in depths {
        match measure(d)? {
            Some(v) => {
                if !s.record(d, v) {
                    break;
                }
            }
            None => break,
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plateau_threshold_is_five_percent() {
        assert!(is_plateau(100.0, 104.9));
        assert!(!is_plateau(100.0, 105.0));
        assert!(is_plateau(100.0, 80.0));
    }

    #[test]
    fn sweep_stops_at_the_plateau_and_keeps_the_best() {
        let curve = [(1, 1000.0), (2, 1900.0), (4, 3500.0), (8, 3600.0), (16, 3550.0), (32, 9999.0)];
        let mut seen = vec![];
        let s = sweep(&[1, 2, 4, 8, 16, 32], |d| {
            seen.push(d);
            Ok(curve.iter().find(|c| c.0 == d).map(|c| c.1))
        })
        .unwrap();
        assert_eq!(seen, vec![1, 2, 4, 8, 16], "32 must not be tried after two <5% gains");
        assert_eq!(s.best(), Some(Point { depth: 8, value: 3600.0 }));
    }

    #[test]
    fn a_drop_stops_the_sweep_and_the_best_stays_earlier() {
        let mut s = Sweep::default();
        assert!(s.record(1, 500.0));
        assert!(s.record(2, 900.0));
        assert!(s.record(4, 700.0), "one noisy step is tolerated");
        assert!(s.record(8, 1000.0), "growth resets the patience");
        assert!(s.record(16, 1020.0));
        assert!(!s.record(32, 990.0));
        assert_eq!(s.best().unwrap().depth, 16);
        assert_eq!(Sweep::default().best(), None);
    }

    #[test]
    fn a_stop_request_ends_the_sweep() {
        let s = sweep(&[1, 2, 4], |d| Ok(if d < 2 { Some(10.0) } else { None })).unwrap();
        assert_eq!(s.points.len(), 1);
    }
}
