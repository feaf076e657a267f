//! Node configuration: `percore.yaml` with ScyllaDB's key names, overridden by command-line
//! flags, then validated. Unknown YAML keys are rejected so typos are not silently ignored.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use thiserror::Error;

use crate::limits;

#[derive(Debug, Error)]
pub enum ConfigError {
    #[error("cannot read config file {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("invalid config file {path}: {source}")]
    Parse { path: PathBuf, source: serde_yaml::Error },
    #[error("invalid value for {key}: {reason}")]
    Invalid { key: &'static str, reason: String },
}

/// The node's settings (Scylla-style names; see `docs/operations.md`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub cluster_name: String,
    pub listen_address: IpAddr,
    pub rpc_address: Option<IpAddr>,
    pub native_transport_port: u16,
    pub native_shard_aware_transport_port: u16,
    pub prometheus_port: u16,
    pub prometheus_address: Option<IpAddr>,
    pub data_file_directories: Vec<PathBuf>,
    pub commitlog_directory: Option<PathBuf>,
    /// `periodic` (ack after the write reached the device, fdatasync every period) or
    /// `batch` (ack after fdatasync, group commit).
    pub commitlog_sync: String,
    pub commitlog_sync_period_in_ms: u64,
    pub commitlog_segment_size_in_mb: u64,
    pub native_transport_max_frame_size_in_mb: usize,
    pub murmur3_partitioner_ignore_msb_bits: u32,
    pub endpoint_snitch: String,
    pub data_center: String,
    pub rack: String,
    /// Number of shards (`--smp`); default: one per CPU the process may run on.
    pub smp: Option<usize>,
    /// CPUs the shards may use (`--cpuset`, e.g. `0-3,6`); default: the process affinity.
    pub cpuset: Option<String>,
    /// Memory for the node in bytes (`--memory`), split evenly between shards.
    pub memory_bytes: Option<u64>,
    /// The disks' measured figures (`percore-tune io`, Seastar's format), which set the I/O
    /// scheduling (`--io-properties-file`). Only this path is read: no default location. A
    /// configured file that is missing or invalid stops start-up.
    pub io_properties_file: Option<PathBuf>,
    /// Compaction I/O of the whole node, MiB/s, split evenly between shards; 0: derived from
    /// `io_properties_file` when there is one, else unlimited.
    pub compaction_throughput_mb_per_sec: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            cluster_name: "Percore Cluster".into(),
            listen_address: IpAddr::from([127, 0, 0, 1]),
            rpc_address: None,
            native_transport_port: 9042,
            native_shard_aware_transport_port: 19042,
            prometheus_port: 9180,
            prometheus_address: None,
            data_file_directories: vec![PathBuf::from("percore-data")],
            commitlog_directory: None,
            commitlog_sync: "periodic".into(),
            commitlog_sync_period_in_ms: 10_000,
            commitlog_segment_size_in_mb: 32,
            native_transport_max_frame_size_in_mb: limits::FRAME_BYTES_MAX_DEFAULT / (1024 * 1024),
            murmur3_partitioner_ignore_msb_bits: crate::model::shard::DEFAULT_IGNORE_MSB_BITS,
            endpoint_snitch: "SimpleSnitch".into(),
            data_center: "datacenter1".into(),
            rack: "rack1".into(),
            smp: None,
            cpuset: None,
            memory_bytes: None,
            io_properties_file: None,
            compaction_throughput_mb_per_sec: 0,
        }
    }
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        // Start-up only: runs before any executor exists.
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        serde_yaml::from_str(&text).map_err(|source| ConfigError::Parse { path: path.into(), source })
    }

    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.data_file_directories.len() != 1 {
            return Err(ConfigError::Invalid {
                key: "data_file_directories",
                reason: "exactly one data directory is supported".into(),
            });
        }
        if self.native_transport_port == self.native_shard_aware_transport_port {
            return Err(ConfigError::Invalid {
                key: "native_shard_aware_transport_port",
                reason: "must differ from native_transport_port".into(),
            });
        }
        if self.native_transport_max_frame_size_in_mb == 0 || self.native_transport_max_frame_size_in_mb > 256 {
            return Err(ConfigError::Invalid {
                key: "native_transport_max_frame_size_in_mb",
                reason: "must be between 1 and 256".into(),
            });
        }
        if self.commitlog_sync != "periodic" && self.commitlog_sync != "batch" {
            return Err(ConfigError::Invalid {
                key: "commitlog_sync",
                reason: format!("'{}' is neither periodic nor batch", self.commitlog_sync),
            });
        }
        if !(1..=1024).contains(&self.commitlog_segment_size_in_mb) {
            return Err(ConfigError::Invalid {
                key: "commitlog_segment_size_in_mb",
                reason: "must be between 1 and 1024".into(),
            });
        }
        if self.commitlog_sync_period_in_ms == 0 {
            return Err(ConfigError::Invalid { key: "commitlog_sync_period_in_ms", reason: "must be positive".into() });
        }
        if self.smp == Some(0) {
            return Err(ConfigError::Invalid { key: "smp", reason: "must be at least 1".into() });
        }
        if self.murmur3_partitioner_ignore_msb_bits > 32 {
            return Err(ConfigError::Invalid {
                key: "murmur3_partitioner_ignore_msb_bits",
                reason: "must be at most 32".into(),
            });
        }
        Ok(())
    }

    pub fn data_directory(&self) -> &Path {
        &self.data_file_directories[0]
    }

    /// Where commitlog segments live (default: `<data>/commitlog`).
    pub fn commitlog_directory(&self) -> PathBuf {
        self.commitlog_directory.clone().unwrap_or_else(|| self.data_directory().join("commitlog"))
    }

    pub fn max_frame_bytes(&self) -> usize {
        self.native_transport_max_frame_size_in_mb * 1024 * 1024
    }

    pub fn rpc_address(&self) -> IpAddr {
        self.rpc_address.unwrap_or(self.listen_address)
    }
}

/// Parses a memory size such as `512M`, `2G`, `1073741824`.
pub fn parse_memory_size(text: &str) -> Result<u64, ConfigError> {
    let text = text.trim();
    let (digits, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
    let number: u64 = digits.parse().map_err(|_| ConfigError::Invalid {
        key: "memory",
        reason: format!("'{text}' is not a size like 512M or 4G"),
    })?;
    let multiplier = match unit.to_ascii_uppercase().as_str() {
        "" | "B" => 1,
        "K" | "KB" | "KIB" => 1 << 10,
        "M" | "MB" | "MIB" => 1 << 20,
        "G" | "GB" | "GIB" => 1 << 30,
        "T" | "TB" | "TIB" => 1 << 40,
        _ => return Err(ConfigError::Invalid { key: "memory", reason: format!("unknown unit in '{text}'") }),
    };
    Ok(number.saturating_mul(multiplier))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sizes() {
        assert_eq!(parse_memory_size("512M").unwrap(), 512 << 20);
        assert_eq!(parse_memory_size("2G").unwrap(), 2 << 30);
        assert_eq!(parse_memory_size("100").unwrap(), 100);
        assert!(parse_memory_size("lots").is_err());
    }

    #[test]
    fn yaml_uses_scylla_keys_and_rejects_typos() {
        let c: Config = serde_yaml::from_str("cluster_name: x\nnative_transport_port: 9999\n").unwrap();
        assert_eq!(c.cluster_name, "x");
        assert_eq!(c.native_transport_port, 9999);
        assert!(serde_yaml::from_str::<Config>("native_transport_prot: 1\n").is_err());
    }

    #[test]
    fn io_scheduling_keys() {
        let c = Config::default();
        assert_eq!((c.io_properties_file, c.compaction_throughput_mb_per_sec), (None, 0));
        let text = "io_properties_file: /etc/percore/io_properties.yaml\ncompaction_throughput_mb_per_sec: 64\n";
        let c: Config = serde_yaml::from_str(text).unwrap();
        assert_eq!(c.io_properties_file, Some(PathBuf::from("/etc/percore/io_properties.yaml")));
        assert_eq!(c.compaction_throughput_mb_per_sec, 64);
        assert!(
            serde_yaml::from_str::<Config>("io_properties: /x\n").is_err(),
            "Seastar's other option is a typo here"
        );
    }
}
