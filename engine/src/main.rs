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
    #[arg(long)]
    cluster_name: Option<String>,
    /// `periodic` (default) or `batch`.
    #[arg(long)]
    commitlog_sync: Option<String>,
    #[arg(long)]
    commitlog_directory: Option<PathBuf>,
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
const DEFAULT_LOG_FILTER: &str = "info,glommio::reactor=off";

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
    if let Some(v) = cli.cluster_name {
        config.cluster_name = v;
    }
    if let Some(v) = cli.commitlog_sync {
        config.commitlog_sync = v;
    }
    if let Some(v) = cli.commitlog_directory {
        config.commitlog_directory = Some(v);
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
    match percore::runtime::node::run(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("percore: {e}");
            ExitCode::FAILURE
        }
    }
}
