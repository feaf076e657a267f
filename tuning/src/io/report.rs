//! The per-directory result of `io` and its human-readable table.

use super::engine::JobResult;
use super::fsync::SyncLatency;
use super::properties::DiskProperties;
use super::sweep::Sweep;
use crate::limits::{FILL_QUEUE_DEPTH, RANDOM_BLOCK_BYTES, SEQ_BLOCK_BYTES};

const MIB: f64 = 1024.0 * 1024.0;

/// Everything measured on one directory.
#[derive(Debug, Clone)]
pub struct DiskReport {
    pub dir: String,
    pub mountpoint: String,
    pub fs: String,
    pub file_bytes: u64,
    pub fill: JobResult,
    /// Bytes/s per depth.
    pub seq_write: Sweep,
    /// Bytes/s per depth.
    pub seq_read: Sweep,
    /// IOPS per depth.
    pub rand_read: Sweep,
    /// IOPS per depth.
    pub rand_write: Sweep,
    pub fsync: Option<SyncLatency>,
}

impl DiskReport {
    /// The Seastar entry: best of each sweep.
    pub fn properties(&self) -> DiskProperties {
        let best = |s: &Sweep| s.best().map(|p| p.value.round() as u64).unwrap_or(0);
        DiskProperties {
            mountpoint: self.mountpoint.clone(),
            read_iops: best(&self.rand_read),
            read_bandwidth: best(&self.seq_read),
            write_iops: best(&self.rand_write),
            write_bandwidth: best(&self.seq_write),
        }
    }

    /// Text table for stdout.
    pub fn table(&self) -> String {
        let mut out = format!(
            "{} (mount {}, {}, test file {:.0} MiB)\n{:<28} {:>14} {:>7}  {}\n",
            self.dir,
            self.mountpoint,
            self.fs,
            self.file_bytes as f64 / MIB,
            "measurement",
            "best",
            "depth",
            "sweep (depth: value)"
        );
        let seq = SEQ_BLOCK_BYTES / 1024;
        let rnd = RANDOM_BLOCK_BYTES / 1024;
        out.push_str(&row(&format!("sequential write {seq} KiB"), &self.seq_write, bw));
        out.push_str(&row(&format!("sequential read {seq} KiB"), &self.seq_read, bw));
        out.push_str(&row(&format!("random read {rnd} KiB"), &self.rand_read, iops));
        out.push_str(&row(&format!("random write {rnd} KiB"), &self.rand_write, iops));
        out.push_str(&format!(
            "{:<28} {:>14} {:>7}  initial fill\n",
            "sequential fill",
            bw(self.fill.bandwidth()),
            FILL_QUEUE_DEPTH
        ));
        match self.fsync {
            Some(l) => out.push_str(&format!(
                "{:<28} median {:.0} us, p99 {:.0} us ({} samples)\n",
                format!("write {rnd} KiB + fdatasync"),
                l.median_us,
                l.p99_us,
                l.samples
            )),
            None => out.push_str("write 4 KiB + fdatasync      not measured (no time left)\n"),
        }
        out
    }
}

fn bw(v: f64) -> String {
    format!("{:.1} MiB/s", v / MIB)
}

fn iops(v: f64) -> String {
    format!("{v:.0} IOPS")
}

fn row(name: &str, s: &Sweep, fmt: fn(f64) -> String) -> String {
    let sweep: Vec<String> = s.points.iter().map(|p| format!("{}: {}", p.depth, fmt(p.value))).collect();
    match s.best() {
        Some(b) => format!("{name:<28} {:>14} {:>7}  {}\n", fmt(b.value), b.depth, sweep.join(", ")),
        None => format!("{name:<28} {:>14}\n", "not measured"),
    }
}
