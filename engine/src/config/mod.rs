//! Node configuration: `percore.yaml` with ScyllaDB's key names, overridden by command-line
//! flags, then validated. Unknown YAML keys are rejected so typos are not silently ignored.
//! The cluster keys (`seed_provider`, addresses, `storage_port`, `num_tokens`, the snitch)
//! have cassandra.yaml's own forms: see [`seeds`] and [`rackdc`].

pub mod rackdc;
pub mod seeds;

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
    /// The address other nodes reach this one at (internode messaging binds it).
    pub listen_address: IpAddr,
    /// The internode address told to other nodes (default: `listen_address`).
    pub broadcast_address: Option<IpAddr>,
    /// Where the CQL ports listen (default: `listen_address`; may be `0.0.0.0`).
    pub rpc_address: Option<IpAddr>,
    /// The CQL address told to clients in `system.local`/`system.peers` (default:
    /// `rpc_address`; required when that is a wildcard).
    pub broadcast_rpc_address: Option<IpAddr>,
    /// cassandra.yaml's `seed_provider` list (`SimpleSeedProvider`, `seeds: "a,b"`).
    pub seed_provider: Vec<seeds::SeedProvider>,
    /// The internode messaging port (Cassandra's 7000), the same on every node.
    pub storage_port: u16,
    /// Tokens this node owns on the ring when it joins (random, as ScyllaDB picks them).
    pub num_tokens: u32,
    /// How long a peer may stay silent before the failure detector marks it DOWN.
    pub failure_detector_timeout_in_ms: u64,
    /// How long a coordinator waits for the replicas a write's consistency level needs.
    pub write_request_timeout_in_ms: u64,
    /// How long a coordinator waits for the replicas a read's consistency level needs.
    pub read_request_timeout_in_ms: u64,
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
    /// `SimpleSnitch` (dc `datacenter1`, rack `rack1`), or `GossipingPropertyFileSnitch`:
    /// dc and rack from `cassandra-rackdc.properties` beside the config file (or
    /// `rackdc_properties_file`), else from `data_center`/`rack` below.
    pub endpoint_snitch: String,
    pub data_center: String,
    pub rack: String,
    /// Where `GossipingPropertyFileSnitch` reads dc/rack (default: beside the config file).
    pub rackdc_properties_file: Option<PathBuf>,
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
    /// Tests only: messaging fault-injection rules installed on every shard at start-up
    /// (`rules:` of `{verb, peer, action: drop|delay|duplicate, ms, probability}`, `seed:`).
    /// Kept as YAML here and read by the node's start-up as `messaging::fault::FaultRules`
    /// (config does not know verbs); bad rules stop start-up. Default: none (off).
    pub messaging_fault_injection: Option<serde_yaml::Value>,
}

/// ScyllaDB's default: 256 random tokens per node (no replication-aware allocator).
pub const DEFAULT_NUM_TOKENS: u32 = 256;
/// Tokens a node may own (Cassandra's own bound on `num_tokens`).
pub const NUM_TOKENS_MAX: u32 = 1536;
/// ScyllaDB's default failure-detector timeout.
pub const DEFAULT_FAILURE_DETECTOR_TIMEOUT_MS: u64 = 20_000;
/// Cassandra's default `write_request_timeout_in_ms`.
pub const DEFAULT_WRITE_REQUEST_TIMEOUT_MS: u64 = 2_000;
/// Cassandra's default `read_request_timeout_in_ms`.
pub const DEFAULT_READ_REQUEST_TIMEOUT_MS: u64 = 5_000;
/// The longest request timeout accepted (a bound on how long a request holds its memory).
pub const REQUEST_TIMEOUT_MS_MAX: u64 = 600_000;
/// The least failure-detector timeout accepted (below it, echo rounds cannot keep up).
pub const FAILURE_DETECTOR_TIMEOUT_MS_MIN: u64 = 500;

impl Default for Config {
    fn default() -> Self {
        Config {
            cluster_name: "Percore Cluster".into(),
            listen_address: IpAddr::from([127, 0, 0, 1]),
            broadcast_address: None,
            rpc_address: None,
            broadcast_rpc_address: None,
            seed_provider: Vec::new(),
            storage_port: 7000,
            num_tokens: DEFAULT_NUM_TOKENS,
            failure_detector_timeout_in_ms: DEFAULT_FAILURE_DETECTOR_TIMEOUT_MS,
            write_request_timeout_in_ms: DEFAULT_WRITE_REQUEST_TIMEOUT_MS,
            read_request_timeout_in_ms: DEFAULT_READ_REQUEST_TIMEOUT_MS,
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
            rackdc_properties_file: None,
            smp: None,
            cpuset: None,
            memory_bytes: None,
            io_properties_file: None,
            compaction_throughput_mb_per_sec: 0,
            messaging_fault_injection: None,
        }
    }
}

impl Config {
    /// Reads `path` (start-up only: runs before any executor exists). With
    /// `GossipingPropertyFileSnitch`, dc and rack come from `cassandra-rackdc.properties`
    /// beside it (or `rackdc_properties_file`) when that file exists.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        // Blocking read: the main thread at start-up, before any executor runs.
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.into(), source })?;
        let mut config: Config = if text.trim().is_empty() {
            Config::default()
        } else {
            serde_yaml::from_str(&text).map_err(|source| ConfigError::Parse { path: path.into(), source })?
        };
        if config.uses_property_file_snitch() {
            let default_path = path.parent().unwrap_or(Path::new(".")).join(rackdc::RACKDC_FILE);
            let rackdc_path = config.rackdc_properties_file.clone().unwrap_or(default_path);
            if let Some(location) = rackdc::load(&rackdc_path)? {
                config.data_center = location.data_center;
                config.rack = location.rack;
            }
        }
        Ok(config)
    }

    fn uses_property_file_snitch(&self) -> bool {
        self.endpoint_snitch.rsplit('.').next() == Some("GossipingPropertyFileSnitch")
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
        if !(1..=NUM_TOKENS_MAX).contains(&self.num_tokens) {
            return Err(ConfigError::Invalid {
                key: "num_tokens",
                reason: format!("must be between 1 and {NUM_TOKENS_MAX}"),
            });
        }
        if self.failure_detector_timeout_in_ms < FAILURE_DETECTOR_TIMEOUT_MS_MIN {
            return Err(ConfigError::Invalid {
                key: "failure_detector_timeout_in_ms",
                reason: format!("must be at least {FAILURE_DETECTOR_TIMEOUT_MS_MIN}"),
            });
        }
        for (key, ms) in [
            ("write_request_timeout_in_ms", self.write_request_timeout_in_ms),
            ("read_request_timeout_in_ms", self.read_request_timeout_in_ms),
        ] {
            if !(1..=REQUEST_TIMEOUT_MS_MAX).contains(&ms) {
                return Err(ConfigError::Invalid {
                    key,
                    reason: format!("must be between 1 and {REQUEST_TIMEOUT_MS_MAX}"),
                });
            }
        }
        if self.listen_address.is_unspecified() {
            return Err(ConfigError::Invalid {
                key: "listen_address",
                reason: "must be the node's own address, not a wildcard (other nodes connect to it)".into(),
            });
        }
        if self.broadcast_address.is_some_and(|a| a.is_unspecified()) {
            return Err(ConfigError::Invalid { key: "broadcast_address", reason: "cannot be a wildcard".into() });
        }
        if self.rpc_address().is_unspecified() && self.broadcast_rpc_address.is_none() {
            return Err(ConfigError::Invalid {
                key: "broadcast_rpc_address",
                reason: "must be set when rpc_address is a wildcard (clients must be told a real address)".into(),
            });
        }
        if self.broadcast_rpc_address.is_some_and(|a| a.is_unspecified()) {
            return Err(ConfigError::Invalid { key: "broadcast_rpc_address", reason: "cannot be a wildcard".into() });
        }
        if self.storage_port == self.native_transport_port
            || self.storage_port == self.native_shard_aware_transport_port
        {
            return Err(ConfigError::Invalid { key: "storage_port", reason: "must differ from the CQL ports".into() });
        }
        seeds::validate(&self.seed_provider)?;
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

    /// Where the CQL listeners bind.
    pub fn rpc_address(&self) -> IpAddr {
        self.rpc_address.unwrap_or(self.listen_address)
    }

    /// The CQL address clients are told (`system.local.rpc_address`, peers' rows): never a
    /// wildcard.
    pub fn broadcast_rpc_address(&self) -> IpAddr {
        self.broadcast_rpc_address.unwrap_or_else(|| self.rpc_address())
    }

    /// The node's address on the ring: what other nodes and `system.peers.peer` name it by.
    pub fn broadcast_address(&self) -> IpAddr {
        self.broadcast_address.unwrap_or(self.listen_address)
    }

    /// The seed addresses (start-up only: host names are resolved here).
    pub fn seeds(&self) -> Result<Vec<IpAddr>, ConfigError> {
        seeds::resolve(&self.seed_provider)
    }

    pub fn failure_detector_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.failure_detector_timeout_in_ms)
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
    fn fault_injection_is_off_unless_configured() {
        assert!(Config::default().messaging_fault_injection.is_none());
        let text = "messaging_fault_injection:\n  seed: 7\n  rules:\n    - verb: MUTATION\n      action: drop\n";
        let c: Config = serde_yaml::from_str(text).unwrap();
        let rules = c.messaging_fault_injection.unwrap();
        assert_eq!(rules["seed"].as_u64(), Some(7));
        assert_eq!(rules["rules"][0]["verb"].as_str(), Some("MUTATION"));
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
