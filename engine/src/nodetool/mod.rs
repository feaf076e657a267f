//! `percore nodetool`: operator commands with Cassandra nodetool's syntax and output
//! shapes, sent to a running node's HTTP endpoint (`prometheus_port`; the paths are listed
//! in `admin::http_endpoint` and `admin::nodetool_api`). Runs in the client process: it asks
//! ([`http`]; the ring commands ask every member too, [`ring_answers`]), then prints
//! ([`format`]).

pub mod format;
pub mod http;
pub mod ring_answers;

use clap::{Args, Subcommand};

use crate::admin::views::{CompactionsView, NodeInfo, TokenRangeView};
use crate::replica::compaction_activity::CompactionRecord;
use crate::replica::table_metrics::TableStats;

use http::{percent_encode, Endpoint};

#[derive(Debug, Args)]
pub struct NodetoolArgs {
    /// Address of the node's HTTP endpoint.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// The node's `prometheus_port`.
    #[arg(long, short = 'p', default_value_t = 9180)]
    port: u16,
    #[command(subcommand)]
    command: NodetoolCommand,
}

#[derive(Debug, Subcommand)]
#[command(rename_all = "lower")]
enum NodetoolCommand {
    /// Flush memtables to SSTables: `flush [<keyspace> [<table>...]]`.
    Flush { keyspace: Option<String>, tables: Vec<String> },
    /// Major compaction: `compact [<keyspace> [<table>...]]`.
    Compact { keyspace: Option<String>, tables: Vec<String> },
    /// Print the node's release version.
    Version,
    /// Print node information (uptime, load, ...).
    Info {
        /// Show all tokens.
        #[arg(short = 'T', long = "tokens")]
        tokens: bool,
    },
    /// Print cluster information (state, load, IDs, ...).
    Status { keyspace: Option<String> },
    /// Print information about the token ring.
    Ring { keyspace: Option<String> },
    /// Print the name, snitch, partitioner and schema version of the cluster.
    DescribeCluster,
    /// Print each member's state as the node knows it (ring record, liveness, load).
    GossipInfo,
    /// Print the end points that own the key: `getendpoints <keyspace> <table> <key>`.
    GetEndpoints {
        keyspace: String,
        table: String,
        /// The partition key (`:` between the columns of a composite one; blobs in hex); may
        /// start with `-` (a negative number).
        #[arg(allow_hyphen_values = true)]
        key: String,
    },
    /// Show the token ranges of a keyspace.
    DescribeRing { keyspace: String },
    /// Print statistics on tables: `tablestats [<keyspace>[.<table>]...]`.
    #[command(alias = "cfstats")]
    TableStats { tables: Vec<String> },
    /// Print statistics on compactions.
    CompactionStats,
    /// Print the history of compactions.
    CompactionHistory,
    /// Print the compaction throughput, MB/s.
    GetCompactionThroughput,
    /// Set the compaction throughput, MB/s (0: unthrottled).
    SetCompactionThroughput { value_in_mb: u64 },
    /// Enable background compactions: `enableautocompaction [<keyspace> [<table>...]]`.
    EnableAutoCompaction { keyspace: Option<String>, tables: Vec<String> },
    /// Disable background compactions: `disableautocompaction [<keyspace> [<table>...]]`.
    DisableAutoCompaction { keyspace: Option<String>, tables: Vec<String> },
    /// Flush every table and stop listening for client connections.
    Drain,
    /// Stop the node (clean shutdown).
    StopDaemon,
    #[command(external_subcommand)]
    Unknown(Vec<String>),
}

/// Why a nodetool command failed.
#[derive(Debug, thiserror::Error)]
pub enum NodetoolError {
    #[error("cannot reach the node at {host}:{port}: {source}")]
    Unreachable { host: String, port: u16, source: std::io::Error },
    #[error("talking to the node: {0}")]
    Io(#[from] std::io::Error),
    /// The node refused or failed the action: its status line and message.
    #[error("{status}: {message}")]
    Refused { status: String, message: String },
    #[error("the node's answer to {path} is not understood: {reason}")]
    BadAnswer { path: String, reason: String },
    #[error("unknown command '{command}'; the commands are: {available}")]
    UnknownCommand { command: String, available: String },
    #[error("Unknown keyspace/table: {0}")]
    UnknownTable(String),
}

/// The nodetool commands there are, by name.
pub fn command_names() -> Vec<String> {
    NodetoolArgs::augment_args(clap::Command::new("nodetool"))
        .get_subcommands()
        .map(|c| c.get_name().to_string())
        .filter(|n| n != "help")
        .collect()
}

/// `/<path>[/<keyspace>][?cf=t1,t2]` for commands taking `[<keyspace> [<table>...]]`.
fn keyspace_path(all: &str, per_keyspace: &str, keyspace: &Option<String>, tables: &[String]) -> String {
    match keyspace {
        None => all.to_string(),
        Some(ks) if tables.is_empty() => format!("{per_keyspace}/{ks}"),
        Some(ks) => format!("{per_keyspace}/{ks}?cf={}", tables.join(",")),
    }
}

/// Runs the command; what it prints goes to stdout.
pub fn run(args: NodetoolArgs) -> Result<(), NodetoolError> {
    let node = Endpoint::new(args.host, args.port);
    let out = match args.command {
        NodetoolCommand::Flush { keyspace, tables } => {
            node.post(&keyspace_path("/storage_service/flush", "/storage_service/keyspace_flush", &keyspace, &tables))?;
            String::new()
        }
        NodetoolCommand::Compact { keyspace, tables } => {
            let path =
                keyspace_path("/storage_service/compact", "/storage_service/keyspace_compaction", &keyspace, &tables);
            node.post(&path)?;
            String::new()
        }
        NodetoolCommand::Version => format::info::version(node.get("/storage_service/release_version")?.trim()),
        NodetoolCommand::Info { tokens } => format::info::info(&node_info(&node)?, tokens),
        NodetoolCommand::Status { keyspace } => {
            format::status::status(&ring_answers::gather(&node, keyspace.as_deref())?)
        }
        NodetoolCommand::Ring { keyspace } => format::status::ring(&ring_answers::gather(&node, keyspace.as_deref())?),
        NodetoolCommand::DescribeCluster => format::cluster::describe_cluster(&ring_answers::gather(&node, None)?),
        NodetoolCommand::GossipInfo => format::gossip::gossipinfo(&ring_answers::gather(&node, None)?),
        NodetoolCommand::GetEndpoints { keyspace, table, key } => {
            let path = format!(
                "/storage_service/natural_endpoints/{}?cf={}&key={}",
                percent_encode(&keyspace),
                percent_encode(&table),
                percent_encode(&key)
            );
            format::cluster::endpoints(&node.get_json::<Vec<String>>(&path)?)
        }
        NodetoolCommand::DescribeRing { keyspace } => {
            let ranges: Vec<TokenRangeView> =
                node.get_json(&format!("/storage_service/describe_ring/{}", percent_encode(&keyspace)))?;
            format::cluster::describe_ring(&node_info(&node)?.schema_version, &ranges)
        }
        NodetoolCommand::TableStats { tables } => {
            let stats: Vec<TableStats> = node.get_json("/column_family/stats")?;
            if let Some(unknown) = format::tablestats::unknown_filters(&tables, &stats).into_iter().next() {
                return Err(NodetoolError::UnknownTable(unknown));
            }
            format::tablestats::tablestats(&stats, &tables)
        }
        NodetoolCommand::CompactionStats => {
            format::compaction::compactionstats(&node.get_json::<CompactionsView>("/compaction_manager/compactions")?)
        }
        NodetoolCommand::CompactionHistory => format::compaction::compactionhistory(
            &node.get_json::<Vec<CompactionRecord>>("/compaction_manager/compaction_history")?,
        ),
        NodetoolCommand::GetCompactionThroughput => {
            format::compaction::throughput(node.get_json("/storage_service/compaction_throughput")?)
        }
        NodetoolCommand::SetCompactionThroughput { value_in_mb } => {
            node.post(&format!("/storage_service/compaction_throughput?value={value_in_mb}"))?;
            String::new()
        }
        NodetoolCommand::EnableAutoCompaction { keyspace, tables } => {
            node.post(&keyspace_path(
                "/storage_service/auto_compaction",
                "/storage_service/auto_compaction",
                &keyspace,
                &tables,
            ))?;
            String::new()
        }
        NodetoolCommand::DisableAutoCompaction { keyspace, tables } => {
            node.delete(&keyspace_path(
                "/storage_service/auto_compaction",
                "/storage_service/auto_compaction",
                &keyspace,
                &tables,
            ))?;
            String::new()
        }
        NodetoolCommand::Drain => {
            node.post("/storage_service/drain")?;
            String::new()
        }
        NodetoolCommand::StopDaemon => {
            node.post("/storage_service/stop_daemon")?;
            String::new()
        }
        NodetoolCommand::Unknown(words) => {
            return Err(NodetoolError::UnknownCommand {
                command: words.first().cloned().unwrap_or_default(),
                available: command_names().join(", "),
            })
        }
    };
    print!("{out}");
    Ok(())
}

fn node_info(node: &Endpoint) -> Result<NodeInfo, NodetoolError> {
    node.get_json("/storage_service/node_info")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_commands_have_nodetools_names() {
        let names = command_names();
        for name in [
            "flush",
            "compact",
            "version",
            "info",
            "status",
            "ring",
            "describecluster",
            "getendpoints",
            "describering",
            "tablestats",
            "compactionstats",
            "compactionhistory",
            "getcompactionthroughput",
            "setcompactionthroughput",
            "enableautocompaction",
            "disableautocompaction",
            "drain",
            "stopdaemon",
        ] {
            assert!(names.iter().any(|n| n == name), "{name} missing from {names:?}");
        }
        assert!(!names.iter().any(|n| n == "unknown"), "{names:?}");
        NodetoolArgs::augment_args(clap::Command::new("nodetool")).debug_assert();
    }
}
