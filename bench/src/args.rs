//! Command-line interface (clap): subcommands per workload plus `profile`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "percore-bench",
    version,
    about = "cassandra-stress/latte-style load generator and latency profiler for Percore",
    after_help = "Examples:\n  \
      percore-bench write --duration 30s --concurrency 64 --cpu 1\n  \
      percore-bench read --ops 1M --dist zipf:1.1 --partitions 100k\n  \
      percore-bench mixed --ratio write=1,read=3 --rate 20k --duration 1m --hdr-log run.hlog\n  \
      percore-bench user --yaml profile.yaml --ratio insert=1,read=2 --duration 30s\n  \
      percore-bench profile --workload write --step-duration 10s --out report/"
)]
pub struct Cli {
    #[command(subcommand)]
    pub cmd: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Write rows to keyspace1.standard1 (cassandra-stress `write`).
    Write(RunArgs),
    /// Read rows by partition key (populate first with `write`).
    Read(RunArgs),
    /// Weighted mix of writes and reads (`--ratio write=1,read=1`).
    Mixed(RunArgs),
    /// Counter increments on keyspace1.counter1 (cassandra-stress `counter_write`).
    Counter(RunArgs),
    /// Workload from a YAML profile (`--yaml FILE`).
    User(RunArgs),
    /// Latency-vs-throughput profile: max throughput, then fixed-rate steps.
    Profile(ProfileArgs),
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorkloadKind {
    Write,
    Read,
    Mixed,
    Counter,
    User,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteStmt {
    Insert,
    Update,
}

#[derive(Args, Debug, Clone)]
pub struct ProfileArgs {
    /// Workload to profile.
    #[arg(long, value_enum, default_value = "write")]
    pub workload: WorkloadKind,
    /// Fixed-rate steps in percent of the measured maximum.
    #[arg(long, default_value = "10,20,30,40,50,60,70,80,90", value_delimiter = ',')]
    pub steps: Vec<f64>,
    /// Duration of the max-throughput run and of each step.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub step_duration: Duration,
    /// Skip the closed-loop search and use this maximum (op/s).
    #[arg(long)]
    pub max_rate: Option<f64>,
    /// Report directory (profile.svg, profile.md, profile.csv, profile.json).
    #[arg(long, default_value = "profile-report")]
    pub out: PathBuf,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Args, Debug, Clone)]
pub struct RunArgs {
    /// Contact points (host:port).
    #[arg(long, default_value = "127.0.0.1:9042", value_delimiter = ',')]
    pub nodes: Vec<String>,
    /// Number of operations to run (k/m/b suffixes). Default: 1M unless --duration is given.
    #[arg(long, short = 'n')]
    pub ops: Option<String>,
    /// Measured duration (e.g. 30s, 2m).
    #[arg(long, short = 'd', value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// Warm-up before measuring (not recorded); also lets the driver open its
    /// per-shard connections, without which early requests land on the wrong shard.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub warmup: Duration,
    /// Open-loop target rate in op/s (request i due at start + i/R; latency from that time).
    #[arg(long, short = 'r')]
    pub rate: Option<String>,
    /// Requests in flight.
    #[arg(long, short = 'c', default_value_t = 64)]
    pub concurrency: usize,
    /// Connections per shard (driver pool size).
    #[arg(long, default_value_t = 1)]
    pub connections: usize,
    /// Client runtime threads (1 = current_thread runtime).
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Pin client threads to these CPUs (e.g. `1`, `1,3`, `2-3`).
    #[arg(long)]
    pub cpu: Option<String>,

    /// Keyspace name.
    #[arg(long, default_value = "keyspace1")]
    pub keyspace: String,
    /// Replication: RF number, `key=value,..` or a CQL map.
    #[arg(long, default_value = "1")]
    pub replication: String,
    /// Compaction: class name, `key=value,..` or a CQL map.
    #[arg(long)]
    pub compaction: Option<String>,
    /// Compression: compressor name, `none`, `key=value,..` or a CQL map.
    #[arg(long)]
    pub compression: Option<String>,
    /// Do not create the schema.
    #[arg(long)]
    pub no_schema: bool,

    /// Partition population size (k/m/b suffixes).
    #[arg(long, default_value = "1M")]
    pub partitions: String,
    /// Key distribution: uniform, gaussian, zipf[:s], seq, or `name(A..B[,p])`.
    #[arg(long, default_value = "uniform")]
    pub dist: String,
    /// Clustering rows per partition (>1 uses keyspace1.standard1_rows with `ck`).
    #[arg(long, default_value_t = 1)]
    pub rows_per_partition: u64,
    /// Value size per column: bytes or a distribution (`uniform(10..100)`).
    #[arg(long, default_value = "34")]
    pub col_size: String,
    /// Number of value columns C0..Cn-1.
    #[arg(long, default_value_t = 5)]
    pub columns: usize,
    /// Write statement form.
    #[arg(long, value_enum, default_value = "update")]
    pub write_stmt: WriteStmt,
    /// Consistency level (ONE, LOCAL_ONE, QUORUM, ALL, ...).
    #[arg(long, default_value = "LOCAL_ONE")]
    pub consistency: String,
    /// Operation weights for `mixed`/`user` (e.g. `write=1,read=1`).
    #[arg(long)]
    pub ratio: Option<String>,
    /// YAML profile for `user`.
    #[arg(long)]
    pub yaml: Option<PathBuf>,
    /// Page size for reads.
    #[arg(long, default_value_t = 5000)]
    pub page_size: i32,
    /// Client-side request timeout (`0s`: none, saves a timer per request).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// RNG seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,

    /// Write the summary as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
    /// Write an HdrHistogram interval log (V2, compressed) to this file.
    #[arg(long)]
    pub hdr_log: Option<PathBuf>,
    /// Prometheus endpoint of the server.
    #[arg(long, default_value = "http://127.0.0.1:9180/metrics")]
    pub metrics_url: String,
    /// Do not scrape server metrics.
    #[arg(long)]
    pub no_metrics: bool,
    /// No per-second progress lines.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

impl RunArgs {
    pub fn rate(&self) -> Result<Option<f64>> {
        self.rate.as_deref().map(crate::keys::parse_count_f64).transpose()
    }

    /// Operation limit: explicit `--ops`, else unlimited with `--duration`, else 1M.
    pub fn op_limit(&self) -> Result<Option<u64>> {
        match (&self.ops, self.duration) {
            (Some(o), _) => Ok(Some(crate::keys::parse_count(o)?)),
            (None, Some(_)) => Ok(None),
            (None, None) => Ok(Some(1_000_000)),
        }
    }

    pub fn cpus(&self) -> Result<Vec<usize>> {
        self.cpu.as_deref().map(parse_cpu_list).unwrap_or(Ok(Vec::new()))
    }
}

/// `1`, `1,3`, `2-3`.
pub fn parse_cpu_list(s: &str) -> Result<Vec<usize>> {
    let mut v = Vec::new();
    for part in s.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        if let Some((a, b)) = part.split_once('-') {
            let (a, b): (usize, usize) = (a.parse()?, b.parse()?);
            v.extend(a..=b);
        } else {
            v.push(part.parse().with_context(|| format!("bad cpu {part:?}"))?);
        }
    }
    Ok(v)
}

/// `500ms`, `30s`, `2m`, `1h`, bare number = seconds.
pub fn parse_duration(s: &str) -> Result<Duration> {
    let s = s.trim();
    let idx = s.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(s.len());
    let (num, unit) = s.split_at(idx);
    let v: f64 = num.parse().with_context(|| format!("bad duration {s:?}"))?;
    let secs = match unit.trim() {
        "" | "s" => v,
        "ms" => v / 1e3,
        "us" => v / 1e6,
        "m" | "min" => v * 60.0,
        "h" => v * 3600.0,
        u => bail!("bad duration unit {u:?} in {s:?}"),
    };
    Ok(Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_cpus() {
        assert_eq!(parse_duration("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("5").unwrap(), Duration::from_secs(5));
        assert!(parse_duration("5x").is_err());
        assert_eq!(parse_cpu_list("1,3-4").unwrap(), vec![1, 3, 4]);
    }

    #[test]
    fn cli_parses() {
        let cli =
            Cli::try_parse_from(["percore-bench", "mixed", "--ratio", "write=1,read=1", "--rate", "10k", "-d", "10s"])
                .unwrap();
        let Command::Mixed(a) = cli.cmd else { panic!() };
        assert_eq!(a.rate().unwrap(), Some(10_000.0));
        assert_eq!(a.op_limit().unwrap(), None);
    }
}
