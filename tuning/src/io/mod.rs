//! `percore-tune io`: measures each data directory's disk with io_uring O_DIRECT and writes `io_properties.yaml`.

pub mod budget;
pub mod buffer;
pub mod engine;
pub mod fsync;
pub mod properties;
pub mod report;
pub mod sweep;
pub mod testfile;

use crate::fsinfo;
use crate::limits::{FILL_QUEUE_DEPTH, RANDOM_BLOCK_BYTES, RANDOM_DEPTHS, SEQ_BLOCK_BYTES, SEQ_DEPTHS};
use crate::signal;
use anyhow::{bail, Context, Result};
use budget::PhaseBudgets;
use engine::{Job, Op, Pattern, Until};
use report::DiskReport;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use testfile::TestFile;

/// Options of the `io` subcommand.
#[derive(Debug, Clone)]
pub struct IoOptions {
    pub dirs: Vec<PathBuf>,
    pub duration: Duration,
    pub output: PathBuf,
}

/// Measures every distinct device among `dirs`, prints the table and writes the YAML file.
pub fn run(opts: &IoOptions) -> Result<Vec<DiskReport>> {
    let mut targets: Vec<PathBuf> = Vec::new();
    let mut seen_devs = Vec::new();
    for dir in &opts.dirs {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create directory {}", dir.display()))?;
        let fs = fsinfo::probe(dir)?;
        if let Some(reason) = fsinfo::refusal_reason(fs.fs_magic) {
            bail!("refusing {}: it {reason}; point --dir at a directory on the real data disk", dir.display());
        }
        if seen_devs.contains(&(fs.dev_major, fs.dev_minor)) {
            eprintln!("percore-tune: {} is on an already measured device, skipped", dir.display());
            continue;
        }
        seen_devs.push((fs.dev_major, fs.dev_minor));
        targets.push(dir.clone());
    }
    let per_dir = opts.duration / targets.len().max(1) as u32;
    let mut reports = Vec::new();
    for dir in &targets {
        reports.push(measure_dir(dir, per_dir)?);
    }
    let props = properties::IoProperties { disks: reports.iter().map(|r| r.properties()).collect() };
    let yaml = properties::to_yaml(&props)?;
    std::fs::write(&opts.output, &yaml).with_context(|| format!("writing {}", opts.output.display()))?;
    for r in &reports {
        println!("{}", r.table());
    }
    println!("wrote {}:\n{yaml}", opts.output.display());
    Ok(reports)
}

/// Measures one directory within `budget`.
pub fn measure_dir(dir: &Path, budget: Duration) -> Result<DiskReport> {
    let started = Instant::now();
    let fs = fsinfo::probe(dir)?;
    let size = budget::test_file_bytes(budget, fs.free_bytes) / SEQ_BLOCK_BYTES as u64 * SEQ_BLOCK_BYTES as u64;
    if size == 0 {
        bail!("not enough free space in {} for a test file", dir.display());
    }
    let canonical = dir.canonicalize()?;
    let mounts = fsinfo::parse_mountinfo(&std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default());
    let mountpoint = fsinfo::mount_point_of(&canonical, &mounts);
    eprintln!(
        "percore-tune: measuring {} (mount {}, {}), budget {:.1}s, test file {} MiB",
        dir.display(),
        mountpoint.display(),
        fsinfo::fs_name(fs.fs_magic),
        budget.as_secs_f64(),
        size >> 20
    );
    let file = TestFile::create(dir, size)?;
    eprintln!("  test file {}", file.path().display());
    let fill_job = Job {
        op: Op::Write,
        pattern: Pattern::Sequential,
        block: SEQ_BLOCK_BYTES,
        depth: FILL_QUEUE_DEPTH,
        until: Until::Bytes(size),
    };
    let fill = engine::run(file.fd(), file.size(), &fill_job, 1)?;
    check_interrupted()?;
    eprintln!("  fill: {} MiB at {:.1} MiB/s", size >> 20, fill.bandwidth() / (1u64 << 20) as f64);
    let phases = PhaseBudgets::split(budget.saturating_sub(started.elapsed()));
    let seq_write = sweep_phase(&file, "sequential write", Op::Write, Pattern::Sequential, phases.seq_write)?;
    let seq_read = sweep_phase(&file, "sequential read", Op::Read, Pattern::Sequential, phases.seq_read)?;
    let rand_read = sweep_phase(&file, "random read", Op::Read, Pattern::Random, phases.rand_read)?;
    let rand_write = sweep_phase(&file, "random write", Op::Write, Pattern::Random, phases.rand_write)?;
    eprintln!("  write 4 KiB + fdatasync for {:.1}s", phases.fsync.as_secs_f64());
    let fsync = fsync::measure(file.fd(), file.size(), phases.fsync)?;
    check_interrupted()?;
    Ok(DiskReport {
        dir: dir.display().to_string(),
        mountpoint: mountpoint.display().to_string(),
        fs: fsinfo::fs_name(fs.fs_magic),
        file_bytes: size,
        fill,
        seq_write,
        seq_read,
        rand_read,
        rand_write,
        fsync,
    })
}

fn sweep_phase(file: &TestFile, name: &str, op: Op, pattern: Pattern, phase: Duration) -> Result<sweep::Sweep> {
    let (depths, block) = match pattern {
        Pattern::Sequential => (SEQ_DEPTHS, SEQ_BLOCK_BYTES),
        Pattern::Random => (RANDOM_DEPTHS, RANDOM_BLOCK_BYTES),
    };
    let step = budget::step_duration(phase, depths.len());
    let result = sweep::sweep(depths, |depth| {
        let job = Job { op, pattern, block, depth, until: Until::Elapsed(step) };
        let r = engine::run(file.fd(), file.size(), &job, u64::from(depth) * 7919)?;
        if signal::stop_requested() {
            return Ok(None);
        }
        let value = match pattern {
            Pattern::Sequential => r.bandwidth(),
            Pattern::Random => r.iops(),
        };
        match pattern {
            Pattern::Sequential => eprintln!("  {name} qd {depth}: {:.1} MiB/s", value / (1u64 << 20) as f64),
            Pattern::Random => eprintln!("  {name} qd {depth}: {value:.0} IOPS"),
        }
        Ok(Some(value))
    })?;
    check_interrupted()?;
    Ok(result)
}

/// Error out (dropping, hence removing, the test file) once Ctrl-C was pressed.
fn check_interrupted() -> Result<()> {
    if signal::stop_requested() {
        bail!(Interrupted);
    }
    Ok(())
}

/// Marker error of a run stopped by Ctrl-C / SIGTERM.
#[derive(Debug)]
pub struct Interrupted;

impl std::fmt::Display for Interrupted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("interrupted; test files removed")
    }
}

impl std::error::Error for Interrupted {}

#[cfg(test)]
mod tests {
    use super::*;

    /// One real, tiny run on a temp directory under the working directory (a real disk, not tmpfs).
    #[test]
    fn quick_real_run_writes_seastar_yaml() {
        let t = tempfile::tempdir_in(".").unwrap();
        let dir = t.path().join("data");
        let output = t.path().join("io_properties.yaml");
        let opts = IoOptions { dirs: vec![dir.clone()], duration: Duration::from_secs(3), output: output.clone() };
        let started = Instant::now();
        let reports = run(&opts).unwrap();
        assert!(started.elapsed() < Duration::from_secs(15), "budget not respected: {:?}", started.elapsed());
        let props: properties::IoProperties = serde_yaml::from_str(&std::fs::read_to_string(&output).unwrap()).unwrap();
        assert_eq!(props.disks.len(), 1);
        let d = &props.disks[0];
        assert!(d.read_iops > 0 && d.write_iops > 0 && d.read_bandwidth > 0 && d.write_bandwidth > 0, "{d:?}");
        assert!(reports[0].fsync.is_some());
        assert!(!dir.join(crate::limits::TEST_FILE_NAME).exists(), "test file must be removed");
    }
}
