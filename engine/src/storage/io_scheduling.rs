//! How the node schedules its disk I/O, decided once at start-up from `io_properties_file`
//! (the disks' measured figures, [`crate::io_properties`]) and
//! `compaction_throughput_mb_per_sec`, and logged:
//!
//! * **Compaction is rate-limited** on every shard ([`crate::storage::bandwidth_limiter`], charged by the
//!   compaction executor with the larger of the bytes it read and wrote): at
//!   `compaction_throughput_mb_per_sec` split between the shards when that is set; else, when
//!   the data directory's disk was measured, at the rate that keeps the disk busy with
//!   compaction at most [`COMPACTION_DISK_TIME_PERCENT`] of the time
//!   ([`derived_compaction_bytes_per_second`]); else unlimited. The rest of the disk's time
//!   stays for commitlog writes, flushes and reads.
//! * **Flushes are not limited**: a flush writes what the commitlog already wrote, so over
//!   time it runs at the write rate clients impose; slowing it only fills the memtables and
//!   stalls writers (then `Overloaded`), which costs foreground latency instead of saving it.
//!   Its low-share `flush` task queue and 0.5 ms CPU slices already keep it behind requests.
//! * **Task-queue latency classes are left as they are.** In glommio 0.9 the io_uring ring an
//!   operation goes to depends on the operation only (`Reactor::ring_for_source`): file reads
//!   and writes go to the poll ring (NVMe with polling) or the main ring, sockets' receives to
//!   the latency ring, whatever task queue issued them. `Latency::Matters(d)` only shortens
//!   the preemption timer while that queue is runnable, and a request waiting for its
//!   commitlog write is not runnable. Requests stay in the default queue (shares 1000).
//!   (Queued disk I/O is submitted and reaped only when an executor returns to its reactor,
//!   which a busy background queue delays up to glommio's 100 ms preemption timer: a shorter
//!   `LocalExecutorBuilder::preempt_timer` cut write p99 during a major compaction from
//!   1.9 s to 0.14 s in a test, but with it executors sharing CPUs, e.g. `--smp 4` on two,
//!   sometimes all parked at start-up and never served: not used.)
//! * **Ring depth and I/O memory keep glommio's defaults** (128 entries, 10 MiB): a device's
//!   useful depth (Little's law: IOPS × latency) is reached with ~32–128 requests in flight,
//!   which the default already admits, and a smaller ring would also throttle sockets and
//!   timers, which share the main ring.

use std::path::{Path, PathBuf};

use crate::config::Config;
use crate::io_properties::{DiskMatch, DiskProperties, IoProperties, IoPropertiesError};

/// Share of the data disk's time compaction may take when the limit is derived from the
/// measured figures: at most as much as the foreground gets, the disk-side counterpart of the
/// compaction queue's CPU shares, which at their maximum equal the requests' (1000 each).
pub const COMPACTION_DISK_TIME_PERCENT: u64 = 50;
/// `compaction_throughput_mb_per_sec` counts mebibytes, as Cassandra and ScyllaDB do.
const MIB: u64 = 1 << 20;

/// The start-up decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoScheduling {
    /// Compaction bandwidth of each shard, bytes/s (`None`: unlimited).
    pub compaction_bytes_per_second: Option<u64>,
    /// What start-up logs about it, in order.
    pub report: Vec<ReportLine>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReportLine {
    Info(String),
    Warn(String),
}

impl IoScheduling {
    /// Reads `io_properties_file` if configured (start-up only: blocking I/O) and decides.
    /// `data_dir` and `commitlog_dir` must exist (they are resolved through symlinks).
    pub fn plan(
        config: &Config,
        data_dir: &Path,
        commitlog_dir: &Path,
        nr_shards: usize,
    ) -> Result<IoScheduling, IoPropertiesError> {
        let properties = match &config.io_properties_file {
            Some(path) => Some((path.as_path(), IoProperties::load(path)?)),
            None => None,
        };
        let dirs = Directories { data: canonical(data_dir), commitlog: canonical(commitlog_dir) };
        let properties = properties.as_ref().map(|(path, p)| (*path, p));
        Ok(decide(properties, config.compaction_throughput_mb_per_sec, &dirs, nr_shards))
    }

    pub fn log(&self) {
        for line in &self.report {
            match line {
                ReportLine::Info(text) => tracing::info!("{text}"),
                ReportLine::Warn(text) => tracing::warn!("{text}"),
            }
        }
    }
}

/// The directories whose disks matter.
#[derive(Debug, Clone)]
pub struct Directories {
    pub data: PathBuf,
    pub commitlog: PathBuf,
}

/// The decision from the (loaded) file, `compaction_throughput_mb_per_sec` and the shard count.
pub fn decide(
    properties: Option<(&Path, &IoProperties)>,
    compaction_throughput_mb_per_sec: u64,
    dirs: &Directories,
    nr_shards: usize,
) -> IoScheduling {
    let nr_shards = nr_shards.max(1) as u64;
    let per_shard = |node: u64| (node / nr_shards).max(1);
    let configured =
        (compaction_throughput_mb_per_sec > 0).then(|| per_shard(compaction_throughput_mb_per_sec.saturating_mul(MIB)));
    let configured_why = format!("compaction_throughput_mb_per_sec: {compaction_throughput_mb_per_sec}");
    let Some((file, properties)) = properties else {
        let compaction = match configured {
            Some(rate) => format!("compaction limited to {} per shard ({configured_why})", mib_per_second(rate)),
            None => "compaction unlimited".to_string(),
        };
        let text = format!(
            "no io_properties_file configured: running untuned (run `percore-tune io --dir {}` and set \
             io_properties_file in percore.yaml); {compaction}",
            dirs.data.display()
        );
        return IoScheduling { compaction_bytes_per_second: configured, report: vec![ReportLine::Info(text)] };
    };
    let mut report = Vec::new();
    let data_disk = matched_disk(file, properties, "data directory", &dirs.data, &mut report);
    let derived = data_disk.map(|disk| per_shard(derived_compaction_bytes_per_second(disk)));
    let compaction_bytes_per_second = configured.or(derived);
    let compaction = match (configured, derived) {
        (Some(rate), _) => format!("compaction limited to {} per shard ({configured_why})", mib_per_second(rate)),
        (None, Some(rate)) => format!(
            "compaction limited to {} per shard ({COMPACTION_DISK_TIME_PERCENT}% of the disk's time over {nr_shards} \
             shard(s))",
            mib_per_second(rate)
        ),
        (None, None) => "compaction unlimited".to_string(),
    };
    report.push(ReportLine::Info(match data_disk {
        Some(disk) => format!("{}; {compaction}", describe(file, "data directory", &dirs.data, disk, properties)),
        None => format!(
            "I/O properties from {}: no entry for data directory {} (mount points: {}): untuned; {compaction}",
            file.display(),
            dirs.data.display(),
            mountpoints(properties)
        ),
    }));
    let commitlog_disk = matched_disk(file, properties, "commitlog directory", &dirs.commitlog, &mut report);
    report.push(ReportLine::Info(match commitlog_disk {
        Some(disk) => describe(file, "commitlog directory", &dirs.commitlog, disk, properties),
        None => format!(
            "I/O properties from {}: no entry for commitlog directory {} (mount points: {}): untuned",
            file.display(),
            dirs.commitlog.display(),
            mountpoints(properties)
        ),
    }));
    IoScheduling { compaction_bytes_per_second, report }
}

/// The node-wide compaction rate that keeps a disk busy with compaction at most
/// [`COMPACTION_DISK_TIME_PERCENT`] of the time. The limiter bounds both the bytes read and
/// the bytes written by the rate L, which then take L/read_bandwidth + L/write_bandwidth of
/// each second: L = share × R·W / (R + W).
pub fn derived_compaction_bytes_per_second(disk: &DiskProperties) -> u64 {
    let (r, w) = (u128::from(disk.read_bandwidth), u128::from(disk.write_bandwidth));
    let rate = u128::from(COMPACTION_DISK_TIME_PERCENT) * r * w / (100 * (r + w)).max(1);
    u64::try_from(rate).unwrap_or(u64::MAX)
}

/// The entry serving `dir`, with a warning when the single entry is used for lack of a match.
fn matched_disk<'a>(
    file: &Path,
    properties: &'a IoProperties,
    what: &str,
    dir: &Path,
    report: &mut Vec<ReportLine>,
) -> Option<&'a DiskProperties> {
    match properties.disk_for(dir) {
        DiskMatch::Mountpoint { disk, .. } => Some(disk),
        DiskMatch::OnlyEntry(disk) => {
            report.push(ReportLine::Warn(format!(
                "I/O properties from {}: no mount point in it holds {what} {}; using its only entry ({})",
                file.display(),
                dir.display(),
                mountpoints(properties)
            )));
            Some(disk)
        }
        DiskMatch::Unmatched => None,
    }
}

fn describe(file: &Path, what: &str, dir: &Path, disk: &DiskProperties, properties: &IoProperties) -> String {
    let mountpoint = match properties.disk_for(dir) {
        DiskMatch::Mountpoint { mountpoint, .. } => mountpoint.display().to_string(),
        _ => disk.mountpoints.iter().map(|m| m.display().to_string()).collect::<Vec<_>>().join(", "),
    };
    format!(
        "I/O properties from {}: {what} {} on {mountpoint}: read {} IOPS / {}, write {} IOPS / {}",
        file.display(),
        dir.display(),
        disk.read_iops,
        mib_per_second(disk.read_bandwidth),
        disk.write_iops,
        mib_per_second(disk.write_bandwidth)
    )
}

fn mountpoints(properties: &IoProperties) -> String {
    let all: Vec<_> = properties.disks.iter().flat_map(|d| &d.mountpoints).map(|m| m.display().to_string()).collect();
    all.join(", ")
}

fn mib_per_second(bytes_per_second: u64) -> String {
    format!("{:.1} MiB/s", bytes_per_second as f64 / MIB as f64)
}

/// `dir` through symlinks (mount points are real paths), or as given if that fails.
fn canonical(dir: &Path) -> PathBuf {
    // Start-up only, before the executors run.
    std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk(mountpoint: &str, read_bandwidth: u64, write_bandwidth: u64) -> DiskProperties {
        DiskProperties {
            mountpoints: vec![PathBuf::from(mountpoint)],
            read_iops: 95_000,
            read_bandwidth,
            write_iops: 85_000,
            write_bandwidth,
        }
    }

    fn dirs(data: &str, commitlog: &str) -> Directories {
        Directories { data: PathBuf::from(data), commitlog: PathBuf::from(commitlog) }
    }

    const FILE: &str = "/etc/percore/io_properties.yaml";

    fn texts(s: &IoScheduling) -> Vec<&str> {
        s.report
            .iter()
            .map(|l| match l {
                ReportLine::Info(t) | ReportLine::Warn(t) => t.as_str(),
            })
            .collect()
    }

    #[test]
    fn untuned_is_unlimited_unless_a_throughput_is_set() {
        let s = decide(None, 0, &dirs("/var/lib/percore", "/var/lib/percore/commitlog"), 4);
        assert_eq!(s.compaction_bytes_per_second, None);
        assert_eq!(s.report.len(), 1);
        assert!(texts(&s)[0].starts_with("no io_properties_file configured: running untuned"), "{:?}", s.report);
        assert!(texts(&s)[0].contains("percore-tune io --dir /var/lib/percore"));
        let s = decide(None, 64, &dirs("/d", "/d/commitlog"), 4);
        assert_eq!(s.compaction_bytes_per_second, Some(16 * MIB), "node-wide, split between shards");
        assert!(texts(&s)[0].contains("compaction limited to 16.0 MiB/s per shard"), "{:?}", s.report);
    }

    #[test]
    fn the_limit_is_derived_from_the_data_disk() {
        // R = W = 1000 MiB/s: half the disk's time at equal rates both ways is 250 MiB/s.
        let d = disk("/", 1000 * MIB, 1000 * MIB);
        assert_eq!(derived_compaction_bytes_per_second(&d), 250 * MIB);
        let d = disk("/", 3000 * MIB, 1000 * MIB);
        assert_eq!(derived_compaction_bytes_per_second(&d), 375 * MIB);
        let p = IoProperties { disks: vec![disk("/", 4000 * MIB, 4000 * MIB), disk("/data", 1000 * MIB, 1000 * MIB)] };
        let s = decide(Some((Path::new(FILE), &p)), 0, &dirs("/data/percore", "/commitlog"), 2);
        assert_eq!(s.compaction_bytes_per_second, Some(125 * MIB));
        let t = texts(&s);
        assert_eq!(
            t[0],
            "I/O properties from /etc/percore/io_properties.yaml: data directory /data/percore on /data: read 95000 \
             IOPS / 1000.0 MiB/s, write 85000 IOPS / 1000.0 MiB/s; compaction limited to 125.0 MiB/s per shard (50% \
             of the disk's time over 2 shard(s))"
        );
        assert!(t[1].contains("commitlog directory /commitlog on /: read 95000 IOPS / 4000.0 MiB/s"), "{t:?}");
        // An explicit throughput wins over the derived one.
        let s = decide(Some((Path::new(FILE), &p)), 100, &dirs("/data/percore", "/commitlog"), 2);
        assert_eq!(s.compaction_bytes_per_second, Some(50 * MIB));
        assert!(texts(&s)[0].contains("(compaction_throughput_mb_per_sec: 100)"));
    }

    #[test]
    fn a_single_entry_serves_with_a_warning_several_unmatched_do_not() {
        let one = IoProperties { disks: vec![disk("/mnt/nvme", 1000 * MIB, 1000 * MIB)] };
        let s = decide(Some((Path::new(FILE), &one)), 0, &dirs("/var/lib/percore", "/var/lib/percore/cl"), 1);
        assert_eq!(s.compaction_bytes_per_second, Some(250 * MIB));
        assert!(matches!(&s.report[0], ReportLine::Warn(t) if t.contains("using its only entry (/mnt/nvme)")));
        let two = IoProperties { disks: vec![disk("/mnt/a", MIB, MIB), disk("/mnt/b", MIB, MIB)] };
        let s = decide(Some((Path::new(FILE), &two)), 0, &dirs("/var/lib/percore", "/mnt/b/commitlog"), 1);
        assert_eq!(s.compaction_bytes_per_second, None);
        let t = texts(&s);
        assert!(t[0].contains("no entry for data directory /var/lib/percore (mount points: /mnt/a, /mnt/b): untuned"));
        assert!(t[1].contains("commitlog directory /mnt/b/commitlog on /mnt/b"), "{t:?}");
    }

    #[test]
    fn node_wide_limits_are_split_between_shards() {
        let s = decide(None, 3, &dirs("/d", "/d/cl"), 3);
        assert_eq!(s.compaction_bytes_per_second, Some(MIB));
        let slow = IoProperties { disks: vec![disk("/", 4, 4)] };
        let s = decide(Some((Path::new(FILE), &slow)), 0, &dirs("/d", "/d/cl"), 64);
        assert_eq!(s.compaction_bytes_per_second, Some(1), "never zero (zero would mean unlimited)");
    }
}
