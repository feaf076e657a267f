//! `percore nodetool`: operator commands with nodetool's syntax, sent to a running node's
//! HTTP endpoint (`prometheus_port`, Scylla's REST paths). Runs in the client process.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use clap::{Args, Subcommand};

/// How long a nodetool command waits for the node (a flush of big memtables takes a while).
const NODETOOL_TIMEOUT_S: u64 = 600;

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
enum NodetoolCommand {
    /// Flush memtables to SSTables: `flush [<keyspace> [<table>...]]`.
    Flush { keyspace: Option<String>, tables: Vec<String> },
    /// Major compaction: `compact [<keyspace> [<table>...]]`.
    Compact { keyspace: Option<String>, tables: Vec<String> },
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
}

pub fn run(args: NodetoolArgs) -> Result<(), NodetoolError> {
    let (all, per_keyspace, keyspace, tables) = match &args.command {
        NodetoolCommand::Flush { keyspace, tables } => ("flush", "keyspace_flush", keyspace, tables),
        NodetoolCommand::Compact { keyspace, tables } => ("compact", "keyspace_compaction", keyspace, tables),
    };
    let path = match keyspace {
        None => format!("/storage_service/{all}"),
        Some(ks) if tables.is_empty() => format!("/storage_service/{per_keyspace}/{ks}"),
        Some(ks) => format!("/storage_service/{per_keyspace}/{ks}?cf={}", tables.join(",")),
    };
    post(&args.host, args.port, &path)
}

fn post(host: &str, port: u16, path: &str) -> Result<(), NodetoolError> {
    let mut stream = TcpStream::connect((host, port)).map_err(|source| NodetoolError::Unreachable {
        host: host.to_string(),
        port,
        source,
    })?;
    stream.set_read_timeout(Some(Duration::from_secs(NODETOOL_TIMEOUT_S)))?;
    let request = format!("POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response.lines().next().unwrap_or("");
    if status.contains(" 200 ") {
        Ok(())
    } else {
        let body = response.split_once("\r\n\r\n").map(|(_, b)| b.trim()).unwrap_or("");
        Err(NodetoolError::Refused { status: status.to_string(), message: body.to_string() })
    }
}
