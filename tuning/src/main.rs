//! `percore-tune`: Percore's iotune + perftune. `io` measures disks with io_uring O_DIRECT and writes
//! `io_properties.yaml`; `check` reports host settings; `apply` plans (and with `--yes` makes) safe changes.

mod apply;
mod blockdev;
mod check;
#[cfg(test)]
mod fixture;
mod fsinfo;
mod io;
mod limits;
mod settings;
mod signal;
mod status;
mod sysroot;

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Parser, Debug)]
#[command(name = "percore-tune", version, about = "Measure the disk and check/tune the host for Percore")]
struct Cli {
    /// Directory standing for `/` when reading /proc and /sys (for testing on fake trees).
    #[arg(long, global = true, default_value = "/", hide = true)]
    sys_root: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Measure each data directory's disk (io_uring, O_DIRECT) and write Seastar-format io_properties.yaml.
    Io(IoArgs),
    /// Check host settings; exit 0 all ok, 1 warnings, 2 critical.
    Check(CheckArgs),
    /// Show (default) or apply (--yes, root) the safe subset of host settings.
    Apply(ApplyArgs),
}

#[derive(Args, Debug)]
struct IoArgs {
    /// Data directory to measure (repeatable; created if missing).
    #[arg(long = "dir", default_value = limits::DEFAULT_DATA_DIR)]
    dirs: Vec<PathBuf>,
    /// Total time budget, split among phases (e.g. 60s, 2m).
    #[arg(long, default_value = limits::DEFAULT_IO_DURATION, value_parser = io::budget::parse_duration)]
    duration: Duration,
    /// Where to write the YAML.
    #[arg(long, default_value = limits::DEFAULT_IO_PROPERTIES)]
    output: PathBuf,
}

#[derive(Args, Debug)]
struct CheckArgs {
    /// Number of shards Percore will run.
    #[arg(long)]
    smp: Option<usize>,
    /// Data directory to inspect (repeatable).
    #[arg(long = "dir", default_value = limits::DEFAULT_DATA_DIR)]
    dirs: Vec<PathBuf>,
    /// Print JSON instead of the table.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct ApplyArgs {
    /// Only print the plan (the default).
    #[arg(long, conflicts_with = "yes")]
    dry_run: bool,
    /// Make the changes (needs root).
    #[arg(long)]
    yes: bool,
    /// Data directory whose disk queues are tuned (repeatable).
    #[arg(long = "dir", default_value = limits::DEFAULT_DATA_DIR)]
    dirs: Vec<PathBuf>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let root = sysroot::SysRoot::new(&cli.sys_root);
    let code = match cli.command {
        Command::Io(a) => run_io(a),
        Command::Check(a) => {
            let live = check::gather(&a.dirs);
            let findings = check::run(&root, &live, a.smp);
            if a.json {
                emit(&format!("{}\n", status::render_json(&findings)));
            } else {
                emit(&status::render_text(&findings));
            }
            status::exit_code(&findings)
        }
        Command::Apply(a) => {
            let changes = apply::plan(&root, &apply::disks_for(&root, &a.dirs));
            let dry_run = !a.yes;
            if !dry_run && !changes.is_empty() && !apply::is_root() {
                eprintln!(
                    "percore-tune: refusing to apply: changing kernel settings needs root (run with sudo); the plan:"
                );
                emit(&apply::render(&changes, true));
                return ExitCode::from(1);
            }
            emit(&apply::render(&changes, dry_run));
            match if dry_run { Ok(()) } else { apply::execute(&root, &changes, apply::is_root()) } {
                Ok(()) => 0,
                Err(e) => {
                    eprintln!("percore-tune: {e:#}");
                    1
                }
            }
        }
    };
    ExitCode::from(code as u8)
}

fn run_io(a: IoArgs) -> i32 {
    if a.duration < limits::MIN_IO_DURATION {
        eprintln!("percore-tune: --duration must be at least {:?}", limits::MIN_IO_DURATION);
        return 2;
    }
    signal::install();
    let opts = io::IoOptions { dirs: a.dirs, duration: a.duration, output: a.output };
    match io::run(&opts) {
        Ok(_) => 0,
        Err(e) if e.is::<io::Interrupted>() => {
            eprintln!("percore-tune: {e}");
            signal::INTERRUPTED_EXIT_CODE
        }
        Err(e) => {
            eprintln!("percore-tune: {e:#}");
            1
        }
    }
}

/// Prints to stdout, ignoring a closed pipe (`percore-tune check | head`).
fn emit(text: &str) {
    use std::io::Write;
    let _ = std::io::stdout().write_all(text.as_bytes());
}
