//! fdatasync latency: write 4 KiB (O_DIRECT) then fdatasync, timed together, N times.
#![allow(unsafe_code)] // pwrite/fdatasync FFI on an owned fd and an aligned buffer.

use super::buffer::AlignedBuf;
use crate::limits::{FSYNC_SLOTS, MAX_FSYNC_SAMPLES, MIN_FSYNC_SAMPLES, RANDOM_BLOCK_BYTES};
use crate::signal;
use anyhow::{bail, Result};
use serde::Serialize;
use std::os::fd::RawFd;
use std::time::{Duration, Instant};

/// Latency summary of the write + fdatasync probe.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SyncLatency {
    pub samples: usize,
    pub median_us: f64,
    pub p99_us: f64,
}

/// Runs the probe until `budget` elapses (but at least `MIN_FSYNC_SAMPLES` times) or `MAX_FSYNC_SAMPLES` are taken.
pub fn measure(fd: RawFd, file_size: u64, budget: Duration) -> Result<Option<SyncLatency>> {
    let buf = AlignedBuf::random(RANDOM_BLOCK_BYTES, 0x5eed);
    let slots = (file_size / RANDOM_BLOCK_BYTES as u64).clamp(1, FSYNC_SLOTS);
    let start = Instant::now();
    let mut samples = Vec::with_capacity(MAX_FSYNC_SAMPLES);
    let wanted = |n: usize| n < MIN_FSYNC_SAMPLES || (n < MAX_FSYNC_SAMPLES && start.elapsed() < budget);
    while wanted(samples.len()) && !signal::stop_requested() {
        let off = (samples.len() as u64 % slots) * RANDOM_BLOCK_BYTES as u64;
        let t = Instant::now();
        // SAFETY: buf is valid for its length; fd is an open O_DIRECT file.
        let n = unsafe { libc::pwrite(fd, buf.as_ptr().cast(), buf.len(), off as libc::off_t) };
        if n != buf.len() as isize {
            bail!("pwrite for the fdatasync probe failed: {}", std::io::Error::last_os_error());
        }
        // SAFETY: fd is open.
        if unsafe { libc::fdatasync(fd) } != 0 {
            bail!("fdatasync failed: {}", std::io::Error::last_os_error());
        }
        samples.push(t.elapsed());
    }
    Ok(summarize(&mut samples))
}

/// Median and p99 of latency samples (`None` when empty).
pub fn summarize(samples: &mut [Duration]) -> Option<SyncLatency> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_unstable();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    Some(SyncLatency {
        samples: samples.len(),
        median_us: us(percentile(samples, 50.0)),
        p99_us: us(percentile(samples, 99.0)),
    })
}

/// Nearest-rank percentile of sorted samples.
pub fn percentile(sorted: &[Duration], pct: f64) -> Duration {
    let rank = ((pct / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_p99() {
        let mut v: Vec<Duration> = (1..=100).rev().map(Duration::from_micros).collect();
        let s = summarize(&mut v).unwrap();
        assert_eq!(s.samples, 100);
        assert_eq!(s.median_us, 50.0);
        assert_eq!(s.p99_us, 99.0);
        assert!(summarize(&mut []).is_none());
        let one = [Duration::from_micros(7)];
        assert_eq!(percentile(&one, 99.0), Duration::from_micros(7));
    }
}
