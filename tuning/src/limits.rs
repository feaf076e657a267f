//! Every bound, threshold and default of `percore-tune` as a named constant.

use std::time::Duration;

// ---- `io`: measurement shape ----

/// Alignment of every O_DIRECT buffer, offset and length.
pub const DIRECT_IO_ALIGN: usize = 4096;
/// Block size of the sequential bandwidth phases.
pub const SEQ_BLOCK_BYTES: usize = 128 * 1024;
/// Block size of the random IOPS phases and of the fdatasync probe.
pub const RANDOM_BLOCK_BYTES: usize = 4096;
/// Queue depths tried by the sequential phases, in order.
pub const SEQ_DEPTHS: &[u32] = &[1, 2, 4, 8, 16, 32];
/// Queue depths tried by the random phases, in order.
pub const RANDOM_DEPTHS: &[u32] = &[1, 2, 4, 8, 16, 32, 64, 128];
/// A deeper queue must beat the best so far by this factor to count as growth.
pub const PLATEAU_MIN_GAIN: f64 = 1.05;
/// Consecutive depths failing `PLATEAU_MIN_GAIN` before a sweep stops (2 rides out one noisy step).
pub const PLATEAU_PATIENCE: usize = 2;
/// Queue depth used to fill the test file before the read phases.
pub const FILL_QUEUE_DEPTH: u32 = 8;

// ---- `io`: time budget ----

/// Default total time budget of `io`.
pub const DEFAULT_IO_DURATION: &str = "60s";
/// Shortest budget accepted (below this the figures are noise).
pub const MIN_IO_DURATION: Duration = Duration::from_secs(2);
/// Shortest time spent at one queue depth.
pub const MIN_STEP_DURATION: Duration = Duration::from_millis(100);
/// Share of the budget for each phase: sequential write, sequential read, random read, random write, fdatasync.
pub const PHASE_WEIGHTS: PhaseWeights =
    PhaseWeights { seq_write: 20, seq_read: 20, rand_read: 25, rand_write: 25, fsync: 10 };
/// Most fdatasync samples taken (the budget usually stops earlier on slow disks).
pub const MAX_FSYNC_SAMPLES: usize = 2000;
/// Fewest fdatasync samples taken, even past the budget.
pub const MIN_FSYNC_SAMPLES: usize = 10;
/// Number of distinct 4 KiB slots the fdatasync probe cycles over.
pub const FSYNC_SLOTS: u64 = 256;

/// Relative weights of the measurement phases.
#[derive(Debug, Clone, Copy)]
pub struct PhaseWeights {
    pub seq_write: u32,
    pub seq_read: u32,
    pub rand_read: u32,
    pub rand_write: u32,
    pub fsync: u32,
}

// ---- `io`: test file ----

/// Test-file bytes per second of budget (a 60 s run uses 480 MiB).
pub const TEST_FILE_BYTES_PER_BUDGET_SECOND: u64 = 8 * 1024 * 1024;
/// Smallest test file.
pub const MIN_TEST_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Largest test file (the machine's disk is shared).
pub const MAX_TEST_FILE_BYTES: u64 = 1024 * 1024 * 1024;
/// The test file never takes more than this fraction of the free space.
pub const MAX_FREE_SPACE_FRACTION: f64 = 0.10;
/// Name of the test file inside the measured directory.
pub const TEST_FILE_NAME: &str = ".percore-tune-testfile";
/// Default data directory measured and checked.
pub const DEFAULT_DATA_DIR: &str = "./percore-data";
/// Default output of `io`.
pub const DEFAULT_IO_PROPERTIES: &str = "io_properties.yaml";

// ---- `check` thresholds ----

/// glommio's default registered I/O memory per executor (`io_memory`), used to size RLIMIT_MEMLOCK.
pub const GLOMMIO_IO_MEMORY_BYTES: u64 = 10 * 1024 * 1024;
/// Recommended `fs.aio-max-nr` (ScyllaDB's setup uses at least this).
pub const RECOMMENDED_AIO_MAX_NR: u64 = 1_048_576;
/// `vm.swappiness` above this is a warning.
pub const MAX_SWAPPINESS: u64 = 10;
/// Value `apply` sets for `vm.swappiness`.
pub const RECOMMENDED_SWAPPINESS: u64 = 1;
/// Block-device request queue shallower than this is a warning.
pub const MIN_NR_REQUESTS: u64 = 32;
/// `nomerges` value recommended for non-rotational devices (no merge attempts at all).
pub const RECOMMENDED_NOMERGES: u64 = 2;
/// Free space below this fraction of the filesystem is a warning (compaction needs room).
pub const WARN_FREE_FRACTION: f64 = 0.20;
/// Free space below this fraction of the filesystem is critical.
pub const CRITICAL_FREE_FRACTION: f64 = 0.05;
/// Clocksources with a fast vDSO `clock_gettime`.
pub const GOOD_CLOCKSOURCES: &[&str] = &["tsc", "kvm-clock", "arch_sys_counter", "hyperv_clocksource_tsc_page"];
/// Filesystems Percore is tested on.
pub const GOOD_FILESYSTEMS: &[&str] = &["xfs", "ext4"];
