//! The `percore` binary: parse flags, load `percore.yaml`, run the node until SIGINT/SIGTERM.

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use percore::config::{parse_memory_size, Config};

/// A shard-per-core CQL database. Without flags: data in ./percore-data, CQL on
/// 127.0.0.1:9042 (shard-aware 19042), one shard per CPU this process may use.
#[derive(Debug, Parser)]
#[command(name = "percore", version)]
struct Cli {
    /// percore.yaml with Scylla-style keys (flags override it).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Number of shards (executors); may exceed the CPU count (then unpinned).
    #[arg(long)]
    smp: Option<usize>,
    /// CPUs the shards may use, e.g. 0-3,6 (within the process affinity).
    #[arg(long)]
    cpuset: Option<String>,
    /// Memory for the node, e.g. 4G (default: half of the machine).
    #[arg(long)]
    memory: Option<String>,
    /// Data directory (data_file_directories).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    #[arg(long)]
    listen_address: Option<IpAddr>,
    #[arg(long)]
    native_transport_port: Option<u16>,
    #[arg(long)]
    native_shard_aware_transport_port: Option<u16>,
    #[arg(long)]
    prometheus_port: Option<u16>,
    /// The internode messaging port (`storage_port`, 7000).
    #[arg(long)]
    storage_port: Option<u16>,
    /// Seed addresses, comma-separated (cassandra.yaml's `seed_provider` seeds).
    #[arg(long)]
    seeds: Option<String>,
    #[arg(long)]
    cluster_name: Option<String>,
    /// `periodic` (default) or `batch`.
    #[arg(long)]
    commitlog_sync: Option<String>,
    #[arg(long)]
    commitlog_directory: Option<PathBuf>,
    /// io_properties.yaml written by `percore-tune io` (Seastar's format): sets the I/O
    /// scheduling; start-up fails if it is missing or invalid.
    #[arg(long)]
    io_properties_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Operator commands against a running node, with nodetool's syntax.
    Nodetool(percore::nodetool::NodetoolArgs),
}

/// glommio's reactor logs an ERROR for every file on a device without io_uring polling
/// support (most virtual disks): harmless, so it is hidden unless PERCORE_LOG asks for it.
/// openraft narrates every election and membership step at INFO: its warnings are enough.
const DEFAULT_LOG_FILTER: &str = "info,glommio::reactor=off,openraft=warn";

fn config_from(cli: Cli) -> Result<Config, Box<dyn std::error::Error>> {
    let mut config = match &cli.config {
        Some(path) => Config::load(path)?,
        None => Config::default(),
    };
    if cli.config.is_none() && cli.data_dir.is_none() {
        config.data_file_directories = vec![PathBuf::from("percore-data")];
    }
    if let Some(v) = cli.smp {
        config.smp = Some(v);
    }
    if let Some(v) = cli.cpuset {
        config.cpuset = Some(v);
    }
    if let Some(v) = cli.memory {
        config.memory_bytes = Some(parse_memory_size(&v)?);
    }
    if let Some(v) = cli.data_dir {
        config.data_file_directories = vec![v];
    }
    if let Some(v) = cli.listen_address {
        config.listen_address = v;
    }
    if let Some(v) = cli.native_transport_port {
        config.native_transport_port = v;
    }
    if let Some(v) = cli.native_shard_aware_transport_port {
        config.native_shard_aware_transport_port = v;
    }
    if let Some(v) = cli.prometheus_port {
        config.prometheus_port = v;
    }
    if let Some(v) = cli.storage_port {
        config.storage_port = v;
    }
    if let Some(v) = cli.seeds {
        config.seed_provider = vec![percore::config::seeds::SeedProvider::simple(&v)];
    }
    if let Some(v) = cli.cluster_name {
        config.cluster_name = v;
    }
    if let Some(v) = cli.commitlog_sync {
        config.commitlog_sync = v;
    }
    if let Some(v) = cli.commitlog_directory {
        config.commitlog_directory = Some(v);
    }
    if let Some(v) = cli.io_properties_file {
        config.io_properties_file = Some(v);
    }
    config.validate()?;
    Ok(config)
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("PERCORE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(DEFAULT_LOG_FILTER)),
        )
        .with_writer(std::io::stderr)
        .init();
    let mut cli = Cli::parse();
    if let Some(Command::Nodetool(args)) = cli.command.take() {
        return match percore::nodetool::run(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("nodetool: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let config = match config_from(cli) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("percore: {e}");
            return ExitCode::from(2);
        }
    };
    match percore::node::run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("percore: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_properties_file_flag_overrides_the_file() {
        let config = config_from(Cli::parse_from(["percore", "--io-properties-file", "/etc/percore/io.yaml"])).unwrap();
        assert_eq!(config.io_properties_file, Some(PathBuf::from("/etc/percore/io.yaml")));
        assert_eq!(config_from(Cli::parse_from(["percore"])).unwrap().io_properties_file, None);
        let yaml = std::env::temp_dir().join(format!("percore-main-test-{}.yaml", std::process::id()));
        std::fs::write(&yaml, "io_properties_file: /from/yaml\ncompaction_throughput_mb_per_sec: 8\n").unwrap();
        let from_file = config_from(Cli::parse_from(["percore", "--config", yaml.to_str().unwrap()])).unwrap();
        let overridden = config_from(Cli::parse_from([
            "percore",
            "--config",
            yaml.to_str().unwrap(),
            "--io-properties-file",
            "/from/flag",
        ]));
        let _ = std::fs::remove_file(&yaml);
        assert_eq!(from_file.io_properties_file, Some(PathBuf::from("/from/yaml")));
        assert_eq!(from_file.compaction_throughput_mb_per_sec, 8);
        assert_eq!(overridden.unwrap().io_properties_file, Some(PathBuf::from("/from/flag")));
    }
}
